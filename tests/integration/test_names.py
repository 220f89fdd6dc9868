"""Container and object names that need quoting survive the trip: the
peer request, the sync target and container-sync itself."""

from urllib.parse import quote

import pytest

from e2e_helpers import (
    ACCOUNT,
    assert_synced_both_ways,
    head_container,
    raw,
    unique,
)

NAMES = ['with space', 'ünïcødé ☃', '%41', 'what?', 'hash#tag', 'a+b',
         'semi;colon&amp=1']
OBJECT = 'obj ☃ %41?#+'


def named(sites, name: str) -> str:
    return sites.container('%s %s' % (name, unique()))


@pytest.mark.parametrize('name', NAMES)
def test_odd_container_name_is_created_synced_and_deleted_at_both(sites,
                                                                  name):
    container = named(sites, name)
    sites.a.put_container(container)
    assert_synced_both_ways(sites, container)
    # On the wire, the target is quoted once: not raw, not twice.
    _, headers, _ = raw(sites.pair.b, 'HEAD', container)
    sync_to = {k.lower(): v for k, v in headers.items()}[
        'x-container-sync-to']
    assert sync_to.split('/', 4)[4] == '%s/%s' % (ACCOUNT, quote(container))
    sites.a.delete_container(container)
    assert head_container(sites.a, container) is None
    assert head_container(sites.b, container) is None


def test_objects_in_odd_containers_sync_from_a_to_b(sites):
    containers = [named(sites, name) for name in NAMES]
    for container in containers:
        sites.a.put_container(container)
        sites.a.put_object(container, OBJECT, container.encode())
    sites.pair.a.sync_once()
    for container in containers:
        _, body = sites.b.get_object(container, OBJECT)
        assert body == container.encode(), container
