"""Container and account changes made at A reach B: creation with one
sync key and a two-way ring, metadata, deletion and its refusal."""

import pytest
from swiftclient import client

from e2e_helpers import (
    NON_OWNER,
    NON_OWNER_ACL,
    assert_synced_both_ways,
    granting_non_owner_write,
    head_container,
    raw,
    sync_daemon_stopped,
    unique,
)


def test_container_put_at_a_creates_it_at_b_syncing_both_ways(sites):
    container = sites.container()
    sites.a.put_container(container)
    assert_synced_both_ways(sites, container)
    at_b = head_container(sites.b, container)
    assert at_b['x-autosync-orig-cluster'].lower() == '//autosync/a'
    # Recorded as sysmeta: no metadata item of the client's is used up.
    assert not any('orig-cluster' in name and 'meta' in name
                   for name in at_b)
    assert 'x-autosync-orig-cluster' not in head_container(sites.a,
                                                            container)


def test_container_made_by_a_non_owner_is_synced_too(sites):
    """An account ACL lets test:tester3 create containers; the proxy
    drops sync headers from non-owners, so autosync sets them itself."""
    with granting_non_owner_write(sites.a):
        container = sites.container()
        sites.pair.a.connection(NON_OWNER).put_container(container)
        assert_synced_both_ways(sites, container)
    assert 'x-account-access-control' not in sites.b.head_account()


def test_account_acl_reaches_b_and_a_non_owner_sets_no_owner_header(
        sites):
    """The ACL set at A lets test:tester3 in at B too. What A's proxy
    drops from a non-owner (an ACL, a temp-URL key) must not reach B,
    where autosync's request acts as the owner."""
    with granting_non_owner_write(sites.a):
        assert sites.b.head_account()['x-account-access-control'] == \
            NON_OWNER_ACL
        non_owner = sites.pair.a.connection(NON_OWNER)
        container = sites.container()
        non_owner.put_container(container, headers={
            'X-Container-Read': '.r:*',
            'X-Container-Meta-Temp-Url-Key': 'not-theirs',
            'X-Container-Meta-Colour': 'blue'})
        assert_synced_both_ways(sites, container)
        for conn in (sites.a, sites.b):
            found = head_container(conn, container)
            assert found['x-container-meta-colour'] == 'blue'
            assert 'x-container-read' not in found
            assert 'x-container-meta-temp-url-key' not in found
        at_b = sites.container()
        sites.pair.b.connection(NON_OWNER).put_container(at_b)
        assert_synced_both_ways(sites, at_b)
    assert 'x-account-access-control' not in sites.b.head_account()
    with pytest.raises(client.ClientException) as refused:
        sites.pair.b.connection(NON_OWNER).put_container(
            sites.container())
    assert refused.value.http_status == 403


def test_container_put_again_keeps_the_sync_key(sites):
    container = sites.container()
    sites.a.put_container(container)
    key = assert_synced_both_ways(sites, container)
    sites.b.put_container(container)
    assert assert_synced_both_ways(sites, container) == key


def test_container_post_metadata_reaches_b(sites):
    container = sites.container()
    sites.a.put_container(container)
    key = assert_synced_both_ways(sites, container)
    sites.a.post_container(container, {'X-Container-Meta-Colour': 'blue',
                                       'X-Container-Meta-Name': 'ünï ☃',
                                       'X-Container-Read': '.r:*'})
    at_b = head_container(sites.b, container)
    assert at_b['x-container-meta-colour'] == 'blue'
    assert at_b['x-container-meta-name'] == 'ünï ☃'
    assert at_b['x-container-read'] == '.r:*'
    # A metadata change never rotates the key under a running sync.
    assert assert_synced_both_ways(sites, container) == key


def test_account_post_metadata_reaches_b(sites):
    name = 'X-Account-Meta-%s' % unique('E2e')
    sites.a.post_account({name: 'here ☃'})
    try:
        assert sites.b.head_account()[name.lower()] == 'here ☃'
    finally:
        sites.a.post_account({name: ''})
    assert name.lower() not in sites.b.head_account()


def test_account_put_and_delete_by_reseller_admin_reach_b(pair):
    account = unique('AUTH_e2e')
    token_a = pair.a.get_auth('admin:admin')[1]
    token_b = pair.b.get_auth('admin:admin')[1]
    status, _, body = raw(pair.a, 'PUT', token=token_a, account=account,
                          headers={'X-Account-Meta-Made-By': 'e2e'})
    assert status == 201, body
    try:
        _, headers, _ = raw(pair.b, 'HEAD', token=token_b, account=account)
        assert headers.get('X-Account-Meta-Made-By') == 'e2e', headers
    finally:
        status, _, body = raw(pair.a, 'DELETE', token=token_a,
                              account=account)
    assert status == 204, body
    for cluster, token in ((pair.a, token_a), (pair.b, token_b)):
        assert raw(cluster, 'HEAD', token=token, account=account)[0] \
            in (404, 410)


def test_delete_of_an_empty_container_removes_it_at_both_sites(sites):
    container = sites.container()
    sites.a.put_container(container)
    assert_synced_both_ways(sites, container)
    sites.a.delete_container(container)
    assert head_container(sites.a, container) is None
    assert head_container(sites.b, container) is None


def test_delete_of_a_container_missing_everywhere_is_404(sites):
    with pytest.raises(client.ClientException) as caught:
        sites.a.delete_container(sites.container())
    assert caught.value.http_status == 404


def test_delete_of_a_container_not_empty_at_b_is_409_naming_b(sites):
    container = sites.container()
    sites.a.put_container(container)
    # B's daemon must not copy the object to A before the DELETE.
    with sync_daemon_stopped(sites.pair.b):
        sites.b.put_object(container, 'only-at-b', b'stays')
        with pytest.raises(client.ClientException) as caught:
            sites.a.delete_container(container)
    assert caught.value.http_status == 409
    body = caught.value.http_response_content.decode()
    assert '//autosync/b' in body.lower(), body
    assert 'nothing was deleted' in body, body
    assert 'holds 1 object;' in body, body
    # Checked before deleting: A keeps its copy, so the ring stays whole.
    assert head_container(sites.a, container) is not None
    assert head_container(sites.b, container) is not None
    _, listing = sites.b.get_container(container)
    assert [entry['name'] for entry in listing] == ['only-at-b']
    assert sites.b.get_object(container, 'only-at-b')[1] == b'stays'


def test_emptying_a_container_then_deleting_it_works_after_a_sync_pass(
        sites):
    """What `swift delete CONTAINER` does: delete the objects, then the
    container at once. B still has its copies until container-sync
    carries the deletes, so the first DELETE is refused and changes
    nothing; after a sync pass it removes the container everywhere.
    A's daemon is stopped meanwhile: a pass of its own between the
    object DELETE and the container DELETE would carry the delete
    first (seen once in CI)."""
    container = sites.container()
    sites.a.put_container(container)
    with sync_daemon_stopped(sites.pair.a):
        sites.a.put_object(container, 'doomed', b'x')
        sites.pair.a.sync_once()
        assert head_container(sites.b, container)[
            'x-container-object-count'] == '1'
        sites.a.delete_object(container, 'doomed')
        with pytest.raises(client.ClientException) as caught:
            sites.a.delete_container(container)
        assert caught.value.http_status == 409
        assert head_container(sites.a, container) is not None
        sites.pair.a.sync_once()
    sites.a.delete_container(container)
    assert head_container(sites.a, container) is None
    assert head_container(sites.b, container) is None
