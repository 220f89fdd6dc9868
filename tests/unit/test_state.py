"""What a HEAD answered -> one site's state of a container (state.py)."""

import pytest
import swift.common.utils as swift_utils
from swift.common.swob import Request, str_to_wsgi
from swift.common.utils import Timestamp
from swift.container.backend import ContainerBroker
from swift.container.server import ContainerController

from autosync.state import (
    ZERO,
    ContainerState,
    client_metadata,
    exposed_headers,
    from_broker,
    from_headers,
    key_fingerprint,
)

from helpers import B

SITE = B
KEY = 'a-secret-sync-key-0123456789abcdef'
PUT_AT = Timestamp(2000).internal
DELETED_AT = Timestamp(3000).internal


def answered(status, **headers):
    """from_headers over lower-cased headers given as keyword names."""
    return from_headers(SITE, status, {
        name.replace('_', '-'): value for name, value in headers.items()})


# -- exposed_headers --

def test_exposed_headers_rename_what_the_gatekeeper_hides():
    exposed = exposed_headers([
        ('X-Backend-PUT-Timestamp', PUT_AT),
        ('X-Backend-DELETE-Timestamp', ZERO),
        ('X-Container-Sysmeta-Autosync-Placement', 'a, b'),
        ('X-Container-Sysmeta-Autosync-Placement-Version', PUT_AT),
        ('X-Container-Sysmeta-Autosync-Changed-At', DELETED_AT)])
    assert exposed == [
        ('X-Autosync-Put-Timestamp', PUT_AT),
        ('X-Autosync-Delete-Timestamp', ZERO),
        ('X-Autosync-Placement', 'a, b'),
        ('X-Autosync-Placement-Version', PUT_AT),
        ('X-Autosync-Changed-At', DELETED_AT)]


def test_exposed_headers_match_names_in_any_case():
    assert exposed_headers([('x-backend-put-timestamp', PUT_AT)]) == [
        ('X-Autosync-Put-Timestamp', PUT_AT)]


def test_exposed_headers_leave_out_everything_else():
    assert exposed_headers([
        ('X-Container-Sync-Key', KEY), ('X-Backend-Storage-Policy-Index',
                                        '0'),
        ('X-Container-Sysmeta-Autosync-Orig-Cluster', 'a'),
        ('X-Container-Meta-Colour', 'blue')]) == []


# -- client_metadata --

def test_client_metadata_is_user_metadata_and_acls():
    assert client_metadata({
        'x-container-meta-colour': 'blue', 'x-container-read': '.r:*',
        'x-container-write': 'AUTH_other', 'x-container-sync-key': KEY,
        'x-container-sync-to': 'http://a/v1/AUTH_test/c',
        'x-container-sysmeta-autosync-placement': 'a, b',
        'x-container-object-count': '3', 'x-timestamp': PUT_AT}) == {
        'x-container-meta-colour': 'blue', 'x-container-read': '.r:*',
        'x-container-write': 'AUTH_other'}


def test_client_metadata_leaves_out_empty_values():
    assert client_metadata({'x-container-meta-gone': '',
                            'x-container-read': ''}) == {}


# -- key_fingerprint --

def test_fingerprint_never_contains_the_key():
    fingerprint = key_fingerprint(KEY)
    assert len(fingerprint) == 12
    assert fingerprint not in KEY and KEY not in fingerprint
    assert not any(KEY[i:i + 6] in fingerprint
                   for i in range(len(KEY) - 5))


def test_fingerprint_tells_keys_apart():
    assert key_fingerprint(KEY) == key_fingerprint(KEY)
    assert key_fingerprint(KEY) != key_fingerprint(KEY + 'x')


def test_no_key_no_fingerprint():
    assert key_fingerprint('') == ''


def test_state_shows_the_fingerprint_and_hides_the_key():
    state = answered(204, x_container_sync_key=KEY)
    assert state.key_fingerprint == key_fingerprint(KEY)
    assert KEY not in repr(state)


# -- from_headers --

def test_existing_container_state_from_a_signed_head():
    state = answered(
        204, x_autosync_put_timestamp=PUT_AT,
        x_autosync_delete_timestamp=ZERO,
        x_autosync_placement='a, b', x_autosync_placement_version=PUT_AT,
        x_autosync_changed_at=DELETED_AT,
        x_container_sync_to='http://a/v1/AUTH_test/c',
        x_container_sync_key=KEY, x_container_meta_colour='blue',
        x_container_object_count='3', x_container_bytes_used='42')
    assert state == ContainerState(
        SITE, 204, put_timestamp=PUT_AT, delete_timestamp=ZERO,
        placement='a, b', placement_version=PUT_AT, changed_at=DELETED_AT,
        sync_to='http://a/v1/AUTH_test/c', sync_key=KEY,
        metadata={'x-container-meta-colour': 'blue'}, object_count=3,
        bytes_used=42)
    assert state.exists and state.reachable and not state.deleted


def test_a_signed_head_tells_a_sharded_container():
    state = answered(204, x_autosync_sharding_state='sharded')
    assert state.sharding_state == 'sharded' and state.sharded


def test_exposed_headers_show_the_sharding_state():
    assert exposed_headers([('X-Backend-Sharding-State', 'sharding')]) == [
        ('X-Autosync-Sharding-State', 'sharding')]


def test_timestamps_are_read_in_internal_form():
    state = answered(204, x_autosync_put_timestamp='2000.5')
    assert state.put_timestamp == Timestamp(2000.5).internal


def test_unreadable_timestamps_and_counts_read_as_zero():
    state = answered(204, x_autosync_put_timestamp='soon',
                     x_autosync_delete_timestamp='',
                     x_container_object_count='many',
                     x_container_bytes_used='-1')
    assert (state.put_timestamp, state.delete_timestamp) == (ZERO, ZERO)
    assert (state.object_count, state.bytes_used) == (0, 0)


def test_404_with_a_delete_timestamp_is_deleted():
    state = answered(404, x_autosync_put_timestamp=PUT_AT,
                     x_autosync_delete_timestamp=DELETED_AT)
    assert state.deleted
    assert state.reachable and not state.exists
    assert state.delete_timestamp == DELETED_AT


def test_empty_404_is_missing_not_deleted():
    state = answered(404)
    assert not state.deleted
    assert state.reachable and not state.exists


def test_404_carries_no_metadata():
    state = answered(404, x_container_meta_colour='blue')
    assert state.metadata == {}


def test_401_is_not_reachable_and_keeps_nothing_it_said():
    state = from_headers(SITE, 401, {'x-container-sync-key': KEY,
                                     'x-autosync-placement': 'a, b'},
                         detail='401 Unauthorized')
    assert not state.reachable
    assert not (state.exists or state.deleted)
    assert (state.sync_key, state.placement) == ('', '')
    assert state.detail == '401 Unauthorized'


def test_5xx_is_not_reachable():
    assert not answered(503).reachable


def test_no_answer_is_not_reachable():
    state = from_headers(SITE, None, {}, detail='connection refused')
    assert not state.reachable
    assert not state.deleted
    assert state.detail == 'connection refused'


# -- from_broker --

def db_info(**changes):
    info = {'put_timestamp': PUT_AT, 'delete_timestamp': ZERO,
            'object_count': 3, 'bytes_used': 42}
    info.update(changes)
    return info


def test_db_state_is_what_a_head_here_would_answer():
    metadata = {
        'X-Container-Sysmeta-Autosync-Placement': ('a, b', PUT_AT),
        'X-Container-Sysmeta-Autosync-Placement-Version': (PUT_AT, PUT_AT),
        'X-Container-Sysmeta-Autosync-Changed-At': (DELETED_AT, PUT_AT),
        'X-Container-Sync-To': ('http://b/v1/AUTH_test/c', PUT_AT),
        'X-Container-Sync-Key': (KEY, PUT_AT),
        'X-Container-Meta-Colour': ('blue', PUT_AT),
        'X-Container-Read': ('.r:*', PUT_AT)}
    assert from_broker(SITE, db_info(), metadata) == ContainerState(
        SITE, 204, put_timestamp=PUT_AT, delete_timestamp=ZERO,
        placement='a, b', placement_version=PUT_AT, changed_at=DELETED_AT,
        sync_to='http://b/v1/AUTH_test/c', sync_key=KEY,
        metadata={'x-container-meta-colour': 'blue',
                  'x-container-read': '.r:*'},
        object_count=3, bytes_used=42)


@pytest.mark.parametrize('db_state,sharded', [
    ('unsharded', False), ('sharding', True), ('sharded', True),
    ('collapsed', False)])
def test_db_state_tells_whether_the_db_is_sharded(db_state, sharded):
    state = from_broker(SITE, db_info(), {}, db_state)
    assert (state.sharding_state, state.sharded) == (db_state, sharded)


def test_db_state_leaves_out_removed_metadata():
    state = from_broker(SITE, db_info(), {
        'X-Container-Meta-Gone': ('', PUT_AT),
        'X-Container-Sync-Key': ('', PUT_AT)})
    assert state.metadata == {}
    assert state.sync_key == ''


def test_db_state_of_a_recreated_container_keeps_its_delete_time():
    state = from_broker(SITE, db_info(delete_timestamp=DELETED_AT), {})
    assert state.exists and not state.deleted
    assert state.delete_timestamp == DELETED_AT


def test_db_state_of_non_ascii_metadata_is_what_swifts_head_answers(
        tmp_path, monkeypatch):
    """Swift's own container server: the DB holds metadata as text, its
    HEAD answers WSGI strings. Both reads of one container must agree,
    or the reconciler would repair non-ASCII metadata every pass."""
    monkeypatch.setattr(swift_utils, 'HASH_PATH_SUFFIX', b'autosync-test')
    (tmp_path / 'sda').mkdir()
    server = ContainerController({'devices': str(tmp_path),
                                  'mount_check': 'false'})
    name, value = str_to_wsgi('X-Container-Meta-Café'), str_to_wsgi('日本')
    put = Request.blank('/sda/0/AUTH_test/c', method='PUT', headers={
        'X-Timestamp': PUT_AT, 'X-Backend-Storage-Policy-Index': '0',
        name: value}).get_response(server)
    assert put.status_int == 201
    head = Request.blank('/sda/0/AUTH_test/c',
                         method='HEAD').get_response(server)
    headers = {k.lower(): v for k, v in head.headers.items()}
    headers.update((k.lower(), v) for k, v in exposed_headers(
        head.headers.items()))
    broker = ContainerBroker(str(next(tmp_path.rglob('*.db'))))
    from_db = from_broker(SITE, broker.get_info(), broker.metadata,
                          broker.get_db_state())
    assert from_db.metadata == {name.lower(): value}
    assert from_db.sharding_state == 'unsharded'
    assert from_db == from_headers(SITE, head.status_int, headers)
