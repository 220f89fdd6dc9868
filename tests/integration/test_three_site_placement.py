"""Issue 5 on three real clusters: the placement filter places logs-*
on A and C; the placement is recorded, honoured, shown to the owner, and
changed only by the owner."""

import pytest
from swiftclient import client

from e2e_helpers import (
    NON_OWNER,
    connections,
    granting_non_owner_write,
    head_container,
    unique,
)


@pytest.fixture
def conns(trio):
    return connections(trio)


def sync_target(conn, container):
    return head_container(conn, container)['x-container-sync-to'].lower()


def test_rule_places_logs_on_a_and_c_only(trio, conns):
    container = unique('logs-')
    conns['a'].put_container(container)
    assert head_container(conns['b'], container) is None
    assert sync_target(conns['a'], container).startswith('//autosync/c/')
    assert sync_target(conns['c'], container).startswith('//autosync/a/')
    shown = head_container(conns['a'], container)['x-autosync-placement']
    assert shown == '//autosync/a, //autosync/c'


def test_put_at_a_site_outside_the_placement_is_409_naming_it(trio, conns):
    container = unique('logs-')
    with pytest.raises(client.ClientException) as caught:
        conns['b'].put_container(container)
    assert caught.value.http_status == 409
    body = caught.value.http_response_content.decode()
    assert '//autosync/a, //autosync/c' in body, body
    for name in 'abc':
        assert head_container(conns[name], container) is None


def test_object_written_at_c_reaches_a_never_b(trio, conns):
    container = unique('logs-')
    conns['a'].put_container(container)
    conns['c'].put_object(container, 'line', b'from c')
    trio.c.sync_once()
    assert conns['a'].get_object(container, 'line')[1] == b'from c'
    trio.a.sync_once()  # A's ring neighbour is C, not B
    assert head_container(conns['b'], container) is None


def test_owner_header_places_a_container(trio, conns):
    container = unique('mine-')
    conns['a'].put_container(container, headers={
        'X-Autosync-Placement': '//autosync/a, //autosync/b'})
    assert head_container(conns['b'], container) is not None
    assert head_container(conns['c'], container) is None


def test_header_naming_a_site_not_allowed_is_400(trio, conns):
    container = unique('mine-')
    with pytest.raises(client.ClientException) as caught:
        conns['a'].put_container(container, headers={
            'X-Autosync-Placement': '//autosync/a, //autosync/x'})
    assert caught.value.http_status == 400
    assert b'//autosync/x' in caught.value.http_response_content
    assert head_container(conns['a'], container) is None


def test_non_owner_header_is_refused(trio, conns):
    container = unique('mine-')
    conns['a'].put_container(container)
    non_owner = trio.a.connection(NON_OWNER)
    with granting_non_owner_write(conns['a']):
        with pytest.raises(client.ClientException) as caught:
            non_owner.post_container(container, {
                'X-Autosync-Placement': '//autosync/a'})
        assert caught.value.http_status == 403


def test_placement_change_adds_b_to_the_ring(trio, conns):
    container = unique('logs-')
    conns['a'].put_container(container, headers={
        'X-Container-Meta-Colour': 'blue'})
    key = head_container(conns['a'], container)['x-container-sync-key']
    conns['a'].post_container(container, {
        'X-Autosync-Placement': '//autosync/a, //autosync/b, //autosync/c'})
    at_b = head_container(conns['b'], container)
    assert at_b['x-container-meta-colour'] == 'blue'
    assert sync_target(conns['a'], container).startswith('//autosync/b/')
    assert sync_target(conns['b'], container).startswith('//autosync/c/')
    assert sync_target(conns['c'], container).startswith('//autosync/a/')
    assert {head_container(conns[n], container)['x-container-sync-key']
            for n in 'abc'} == {key}
    conns['b'].put_object(container, 'from-b', b'b')
    trio.b.sync_once()
    trio.c.sync_once()
    assert conns['c'].get_object(container, 'from-b')[1] == b'b'
    assert conns['a'].get_object(container, 'from-b')[1] == b'b'
