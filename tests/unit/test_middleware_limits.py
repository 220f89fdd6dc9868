"""Issue 12, item 4: a change whose request for another site that site's
proxy would refuse for its headers is refused here, before it is applied
anywhere; a non-owner's X-Remove- of an owner-only header, which Swift
honours, reaches every site.

The peers are real eventlet servers on loopback, with Swift's header
limits: the largest change let through must reach them, one header more
must be refused here."""

from helpers import ACCOUNT, CONTAINER, client_request, owner_authorize

PEER_LIMITS = 'as:peer-limits'
TXN_ID = 'tx' + 'a' * 21 + '-' + '0' * 10


def meta(count, prefix='X-Container-Meta-'):
    return {'%sItem-%02d' % (prefix, i): 'v' for i in range(count)}


def filler(count, value='f'):
    return {'X-Filler-%03d' % i: value for i in range(count)}


def send(here, path=CONTAINER, method='PUT', headers=None,
         authorize=owner_authorize, environ=None):
    req = client_request(path, method, headers=headers, authorize=authorize,
                         environ=environ)
    return req, req.get_response(here.app)


def allow_not_owner(req):
    """swift.authorize for a user an account ACL lets write, who is not
    the owner."""
    return None


def assert_refused_here(req, resp, words):
    assert resp.status_int == 400, (resp.status, resp.body)
    assert resp.body.startswith(b'autosync: ' + words), resp.body
    assert resp.body.rstrip().endswith(
        b'nothing was changed at any site.'), resp.body
    assert PEER_LIMITS in req.environ['swift.log_info']


# -- the limits are those of the peer's proxy, to the header --

def first_refused(here, peer, make_headers, sizes):
    """PUT a new container with ``make_headers(size)`` for each size in
    turn until one is refused; return (size, its answer), after checking
    that each change before it reached the peer."""
    for size in sizes:
        path = '%s-%d' % (CONTAINER, size)
        req, resp = send(here, path, headers=make_headers(size))
        if resp.status_int == 400:
            assert path not in here.swift.store
            assert path not in peer.swift.store
            return size, req, resp
        assert resp.status_int == 201, (size, resp.status, resp.body)
        assert path in peer.swift.store
    raise AssertionError('nothing refused')


def test_the_largest_header_count_let_through_reaches_the_peer(sites):
    here, peer = sites.url_style(2)
    here.logger.txn_id = TXN_ID  # X-Trans-Id-Extra is one more line
    size, req, resp = first_refused(
        here, peer, lambda size: meta(90) | filler(size), range(80, 120))
    assert_refused_here(req, resp, b'too many headers for %s: it would '
                        b'get 201, 1 more than the 200 its proxy takes'
                        % peer.url.encode())
    # The peer answered every request before it: none got its 431.
    assert len(peer.received) == size - 80


def test_the_largest_header_size_let_through_reaches_the_peer(sites):
    here, peer = sites.url_style(2)
    big = filler(8, 'v' * 8000)

    def headers(size):
        return big | {'X-Last': 'l' * size}
    fits, over = 0, 8000
    while over - fits > 1:  # bisect: the size of the last header
        size = (fits + over) // 2
        path = '%s-%d' % (CONTAINER, size)
        req, resp = send(here, path, headers=headers(size))
        if resp.status_int == 201:
            assert path in peer.swift.store
            fits = size
        else:
            assert_refused_here(req, resp, b'headers too large for ')
            assert path not in peer.swift.store
            over = size
    assert over == fits + 1
    req, resp = send(here, '%s-%d' % (CONTAINER, over),
                     headers=headers(over))
    assert_refused_here(req, resp, b'headers too large for %s: 65537 '
                        b'bytes' % peer.url.encode())


def test_the_largest_delete_let_through_reaches_the_peer(sites):
    here, peer = sites.url_style(2)
    for size in range(185, 205):
        path = '%s-%d' % (CONTAINER, size)
        send(here, path)
        req, resp = send(here, path, 'DELETE', filler(size))
        if resp.status_int == 400:
            break
        assert resp.status_int == 204, (size, resp.status, resp.body)
        assert path not in peer.swift.store
    assert_refused_here(req, resp, b'too many headers for %s: it would '
                        b'get 201' % peer.url.encode())
    assert path in here.swift.store and path in peer.swift.store


# -- a refusal changes nothing anywhere --

def test_refused_put_creates_the_container_at_no_site(sites):
    here, peer = sites.url_style(2)
    req, resp = send(here, headers=meta(90) | filler(100))
    assert_refused_here(req, resp, b'too many headers for ')
    assert CONTAINER not in here.swift.store
    assert here.swift.calls_for('PUT') == []
    assert peer.received == []


def test_refused_post_changes_nothing_at_either_site(sites):
    here, peer = sites.url_style(2)
    send(here)
    before = [dict(site.swift.store[CONTAINER]) for site in (here, peer)]
    req, resp = send(here, method='POST',
                     headers=meta(90) | filler(101))
    assert_refused_here(req, resp, b'too many headers for ')
    assert [site.swift.store[CONTAINER] for site in (here, peer)] == before
    assert peer.methods == ['PUT']


def test_refused_delete_deletes_nothing_and_asks_no_site(sites):
    here, peer = sites.url_style(2)
    send(here)
    req, resp = send(here, method='DELETE', headers=filler(195))
    assert_refused_here(req, resp, b'too many headers for ')
    assert CONTAINER in here.swift.store
    assert CONTAINER in peer.swift.store
    assert peer.methods == ['PUT']  # not even asked whether it is empty


def test_refused_account_post_changes_no_site(sites):
    here, peer = sites.url_style(2)
    req, resp = send(here, ACCOUNT, 'POST',
                     meta(90, 'X-Account-Meta-') | filler(105))
    assert_refused_here(req, resp, b'too many headers for ')
    assert here.swift.calls_for('POST') == []
    assert peer.received == []


def test_placement_change_whose_copied_metadata_would_not_fit(sites):
    """90 items, one emptied and one added: Swift here holds 90, but the
    new site's PUT would carry 91 (the emptied one among them)."""
    a, b, c = sites.url_style(3)
    placement = {'swift.placement': [a.url, b.url]}
    send(a, headers=meta(90), environ=placement)
    before = dict(a.swift.store[CONTAINER])
    req, resp = send(a, method='POST', headers={
        'X-Container-Meta-Item-00': '', 'X-Container-Meta-New': 'v'},
        environ={'swift.placement': [a.url, b.url, c.url],
                 'autosync.placement_requested': True})
    assert_refused_here(req, resp, b'metadata would not fit at %s: Too '
                        b'many metadata items; max 90' % c.url.encode())
    assert a.swift.store[CONTAINER] == before
    assert b.methods == ['PUT']
    assert c.received == []


def test_a_change_that_fits_is_not_refused(sites):
    here, peer = sites.url_style(2)
    req, resp = send(here, headers=meta(90) | filler(90))
    assert resp.status_int == 201
    assert PEER_LIMITS not in req.environ.get('swift.log_info', [])
    assert peer.swift.store[CONTAINER]['X-Container-Meta-Item-89'] == 'v'


def test_metadata_swift_refuses_here_is_left_to_swift(sites):
    """The proxy here answers it with its own 400 (FakeSwift does not
    check metadata, so here it is taken)."""
    here, peer = sites.url_style(2)
    req, resp = send(here, headers=meta(91))
    assert PEER_LIMITS not in req.environ.get('swift.log_info', [])
    assert here.swift.calls_for('PUT', CONTAINER)


# -- a non-owner's removal of an owner-only header --

REMOVALS = {'X-Remove-Container-Read': '1',
            'X-Remove-Container-Write': '1',
            'X-Remove-Container-Meta-Temp-Url-Key': '1'}


def test_non_owner_removal_of_owner_only_headers_reaches_the_peer(sites):
    """Swift's proxy drops the owner-only headers of a non-owner, not
    their X-Remove- forms: it removes them here, so every site must."""
    here, peer = sites.url_style(2)
    send(here, headers={'X-Container-Read': '.r:*',
                        'X-Container-Meta-Temp-Url-Key': 'secret'})
    assert peer.swift.store[CONTAINER]['X-Container-Meta-Temp-Url-Key'] \
        == 'secret'
    req, resp = send(here, method='POST', headers=dict(
        REMOVALS, **{'X-Container-Read': 'AUTH_other'}),
        authorize=allow_not_owner)
    assert resp.status_int == 204
    received = peer.received[-1]
    assert [h for h in REMOVALS if h.lower() not in received] == []
    assert 'x-container-read' not in received  # still the owner's alone
    assert peer.swift.store[CONTAINER]['X-Container-Meta-Temp-Url-Key'] \
        == ''


def test_non_owner_removal_of_an_account_owner_header_reaches_the_peer(
        sites):
    here, peer = sites.url_style(2)
    send(here, ACCOUNT, 'POST', {'X-Remove-Account-Meta-Temp-Url-Key': '1'},
         authorize=allow_not_owner)
    assert 'x-remove-account-meta-temp-url-key' in peer.received[-1]
