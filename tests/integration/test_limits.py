"""No change left split behind a 2xx (issue 12, item 4), on real Swift:
a change whose request for B would not fit B's proxy is refused at A
before it is applied anywhere; a non-owner's X-Remove- of an owner-only
header, which Swift's proxy honours, is carried to B (tempauth)."""

from e2e_helpers import (
    NON_OWNER,
    granting_non_owner_write,
    head_container,
    raw,
)

# 90 metadata items (Swift's max_meta_count) and 100 other headers: with
# Host, Accept-Encoding, Content-Length and the token, 194 lines, which
# A's proxy takes (it takes 200).
FULL = dict({'X-Container-Meta-Item-%02d' % i: 'v' for i in range(90)},
            **{'X-Filler-%03d' % i: 'f' for i in range(100)})
# What autosync adds to a container PUT for B, at the least: sync target
# and key, placement, changed-at, client change time, put time, origin,
# signature.
AUTOSYNC_ADDS = 8


def test_full_put_is_refused_at_a_and_made_at_no_site(sites):
    container = sites.container()
    status, _, body = raw(sites.pair.a, 'PUT', container, FULL)
    assert status == 400, (status, body)
    assert body.startswith(b'autosync: too many headers for //autosync/b'), \
        body
    assert b'nothing was changed at any site' in body
    assert head_container(sites.a, container) is None
    assert head_container(sites.b, container) is None


def test_b_refuses_what_a_would_have_sent_it(sites):
    """Why A refuses: B's proxy answers such a request 431 itself."""
    container = sites.container()
    headers = dict(FULL, **{'X-Added-%d' % i: 'a'
                            for i in range(AUTOSYNC_ADDS)})
    status, _, body = raw(sites.pair.b, 'PUT', container, headers)
    assert status == 431, (status, body)
    assert head_container(sites.b, container) is None


def test_a_put_that_fits_b_reaches_b(sites):
    container = sites.container()
    headers = dict({'X-Container-Meta-Item-%02d' % i: 'v' for i in range(90)},
                   **{'X-Filler-%03d' % i: 'f' for i in range(80)})
    status, _, body = raw(sites.pair.a, 'PUT', container, headers)
    assert status == 201, (status, body)
    at_b = head_container(sites.b, container)
    assert at_b['x-container-meta-item-89'] == 'v'


def test_full_post_is_refused_and_changes_nothing(sites):
    # No metadata before: Swift's container servers count what a POST
    # adds to what the container holds (at most 90 items in all).
    container = sites.container()
    sites.a.put_container(container)
    status, _, body = raw(sites.pair.a, 'POST', container, FULL)
    assert status == 400, (status, body)
    assert body.startswith(b'autosync: too many headers for //autosync/b'), \
        body
    for conn in sites.both:
        found = head_container(conn, container)
        assert 'x-container-meta-item-00' not in found


def test_non_owner_removal_of_the_read_acl_reaches_b(sites):
    """A user an account ACL lets write is not the owner: Swift's proxy
    ignores the read ACL they set, yet removes it at their
    X-Remove-Container-Read. B must remove it too."""
    container = sites.container()
    sites.a.put_container(container, headers={
        'X-Container-Read': '.r:*', 'X-Container-Write': NON_OWNER})
    assert head_container(sites.b, container)['x-container-read'] == '.r:*'
    with granting_non_owner_write(sites.a):
        token = sites.pair.a.get_auth(NON_OWNER)[1]
        status, _, body = raw(sites.pair.a, 'POST', container, {
            'X-Remove-Container-Read': 'x',
            'X-Container-Meta-Colour': 'blue'}, token=token)
        assert status == 204, (status, body)
    for conn in sites.both:
        found = head_container(conn, container)
        assert found['x-container-meta-colour'] == 'blue'
        assert 'x-container-read' not in found, found
        assert found['x-container-write'] == NON_OWNER
