"""A container PUT from another site that crosses a delete here: made
again after the delete (undone), or landed first (kept: the delete
that came after it was refused and deleted nothing)."""

from swift.common.utils import Timestamp
from test_middleware_trust import from_a, site_b

from helpers import CONTAINER, FakeSwift


class DeleteDuringPut(FakeSwift):
    """A FakeSwift where a client's DELETE of the container lands at the
    same moment as the PUT: before it (``first='delete'``: the PUT makes
    the container again, 201) or after it (``first='put'``: the PUT
    finds it, 202; the older delete is refused, leaving only its time,
    as Swift's container server does)."""

    def __init__(self, first: str, deleted_at: str):
        super().__init__()
        self.first = first
        self.deleted_at = deleted_at

    def do_PUT(self, req, path, container):
        if not container:
            return super().do_PUT(req, path, container)
        if self.first == 'delete':
            self.store.pop(path, None)
            self.delete_timestamps[path] = self.deleted_at
            return super().do_PUT(req, path, container)
        resp = super().do_PUT(req, path, container)
        self.delete_timestamps[path] = self.deleted_at
        return resp


def crossing_put(first: str):
    put_at = Timestamp.now().internal
    deleted_at = Timestamp(float(put_at) + 1).internal
    swift = DeleteDuringPut(first, deleted_at)
    swift.store['/v1/AUTH_test'] = {}
    swift.store[CONTAINER] = {}
    filt = site_b(swift)
    resp = from_a(extra={'X-Autosync-Client-Change-At': put_at,
                         'X-Autosync-Client-Put-At': put_at}
                  ).get_response(filt)
    return swift, resp


def test_a_put_that_made_again_a_container_deleted_here_is_undone():
    swift, resp = crossing_put(first='delete')
    assert swift.calls_for('DELETE', CONTAINER)
    assert CONTAINER not in swift.store
    assert resp.status_int == 202
    assert 'X-Autosync-Superseded' in resp.headers


def test_a_put_that_found_the_container_is_kept_after_a_refused_delete():
    swift, resp = crossing_put(first='put')
    assert not swift.calls_for('DELETE', CONTAINER)
    assert CONTAINER in swift.store
    assert resp.status_int == 202
    assert 'X-Autosync-Superseded' not in resp.headers
