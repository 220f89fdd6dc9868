"""Objects written at either site reach the other through Swift's
container-sync daemon, byte for byte and with their metadata."""

import pytest

from autosync.pair.layout import DEFAULT_SYNC_INTERVAL

from e2e_helpers import Sites, head_object, sync_both_at_once, wait_for_objects

# The daemon runs every 5 s; an object may just miss a pass.
NATURAL_SYNC_TIMEOUT = 2 * DEFAULT_SYNC_INTERVAL + 5
USER_METADATA = {'X-Object-Meta-Colour': 'blue',
                 'X-Object-Meta-Unicode': 'ünïcødé'}


def put_with_metadata(conn, container: str, name: str) -> bytes:
    body = ('%s: some bytes\n' % name).encode() * 100
    conn.put_object(container, name, body, content_type='text/x-e2e',
                    headers=USER_METADATA)
    return body


def assert_same_object(source: dict, copy: dict) -> None:
    """Contents, type, user metadata and timestamp equal: a copy with
    a newer timestamp would be synced back forever."""
    compared = ('etag', 'content-length', 'content-type', 'x-timestamp')
    for name in compared:
        assert copy.get(name) == source.get(name), name
    user_meta = {k: v for k, v in source.items()
                 if k.startswith('x-object-meta-')}
    assert user_meta == {k: v for k, v in copy.items()
                         if k.startswith('x-object-meta-')}
    assert len(user_meta) == len(USER_METADATA)


@pytest.mark.parametrize('origin, target', [('a', 'b'), ('b', 'a')])
def test_forced_sync_pass_copies_object_with_metadata(sites, origin,
                                                      target):
    source, copy = getattr(sites, origin), getattr(sites, target)
    container = sites.container()
    source.put_container(container)
    body = put_with_metadata(source, container, 'hello.txt')
    assert head_object(copy, container, 'hello.txt') is None
    getattr(sites.pair, origin).sync_once()
    assert_same_object(source.head_object(container, 'hello.txt'),
                       copy.head_object(container, 'hello.txt'))
    assert copy.get_object(container, 'hello.txt')[1] == body


def test_objects_written_at_both_sites_meet_within_sync_interval(
        sites, record_property):
    """No forced pass: the daemons alone move objects each way."""
    container = sites.container()
    sites.a.put_container(container)
    put_with_metadata(sites.a, container, 'from-a')
    put_with_metadata(sites.b, container, 'from-b')
    (at_b, a_to_b), (at_a, b_to_a) = wait_for_objects(
        sites.pair, [(sites.b, container, 'from-a'),
                     (sites.a, container, 'from-b')],
        NATURAL_SYNC_TIMEOUT)
    record_property('sync_delay_a_to_b', round(a_to_b, 2))
    record_property('sync_delay_b_to_a', round(b_to_a, 2))
    print('sync delay A->B %.2fs, B->A %.2fs'
          % (a_to_b, b_to_a))
    assert_same_object(sites.a.head_object(container, 'from-a'), at_b)
    assert_same_object(sites.b.head_object(container, 'from-b'), at_a)


def test_url_style_pair_syncs_objects_both_ways(url_pair):
    with Sites(url_pair) as sites:
        container = sites.container()
        # Full-URL sync HEADs the remote object with only the sync key:
        # tempauth lets that through only on a publicly readable
        # container (see README).
        sites.a.put_container(container,
                              headers={'X-Container-Read': '.r:*'})
        assert sites.b.head_container(container)['x-container-read'] \
            == '.r:*'
        put_with_metadata(sites.a, container, 'from-a')
        put_with_metadata(sites.b, container, 'from-b')
        sync_both_at_once(url_pair)
        assert_same_object(sites.a.head_object(container, 'from-a'),
                           sites.b.head_object(container, 'from-a'))
        assert_same_object(sites.b.head_object(container, 'from-b'),
                           sites.a.head_object(container, 'from-b'))
