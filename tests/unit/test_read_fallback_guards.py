"""read_fallback: a client's object GET or HEAD that this site answers
404 is read from another site of the container's placement, walking the
ring backwards (``read_fallback.py``), and the guards that keep every
other request from it: container-sync's and other sites' requests, a
read auth did not allow, a delete here newer than the copy, object
changes, containers without a placement. Also ``peer_read.py``: how a
site answers another site's read (verified, from its own store only).

The ring is site 0 -> 1 -> 2 -> 0; the client reads at site 0, which asks
site 2 (the one that syncs to it) first, then site 1.
"""

import pytest
from swift.common.swob import Request, Response
from swift.common.utils import Timestamp

from autosync.peers import send
from autosync.placement import parse_site
from autosync.protocol import AUTH_HEADER, READ_FROM_HEADER

from helpers import (
    ACCOUNT_NAME,
    CONTAINER,
    CONTAINER_NAME,
    PLACEMENT,
    FakeLogger,
    client_request,
    denied_authorize,
    owner_authorize,
)

OBJECT = CONTAINER + '/o'
T1, T2, T3 = (Timestamp(1700000000 + n) for n in (1, 2, 3))


def ring(sites, count=3, style='url_style', **conf):
    """``count`` sites with read_fallback on and the container made at
    every one, what each received so far forgotten; site 0 first."""
    conf.setdefault('read_fallback', 'true')
    made = getattr(sites, style)(count, **conf)
    assert client_request(CONTAINER).get_response(
        made[0].app).status_int == 201
    for site in made:
        forget(site)
    return made


def forget(site):
    site.received.clear()
    site.methods.clear()
    site.swift.calls.clear()


def put_object(site, body=b'the object', at=T1, path=OBJECT, **headers):
    """An object in ``site``'s own store, as if written there."""
    headers['X-Timestamp'] = at.internal
    resp = Request.blank(path, method='PUT', body=body,
                         headers=headers).get_response(site.swift)
    assert resp.status_int == 201
    forget(site)


def delete_here(site, at):
    """A tombstone in ``site``'s own store (the gatekeeper in front of
    the other sites would hide the X-Backend-Timestamp it shows)."""
    Request.blank(OBJECT, method='DELETE', headers={
        'X-Timestamp': at.internal}).get_response(site.swift)
    forget(site)


def read(here, method='GET', path=OBJECT, headers=None, **kwargs):
    """A client's read at ``here``, as auth let it through."""
    return client_request(path, method, headers=headers,
                          **kwargs).get_response(here.app)


def log_info(resp):
    return resp.environ.get('swift.log_info', [])


def assert_asked_nobody(*others):
    assert [site.methods for site in others] == [[]] * len(others)


def signed_read(origin, target, method='GET', obj='o'):
    """A read of ``target``'s object, signed as ``origin`` signs one."""
    filt = origin.app
    return filt.sites.signed_request(
        filt.cfg.my_cluster, parse_site(target.url), method, ACCOUNT_NAME,
        CONTAINER_NAME, {}, obj=obj)


def sent(request):
    return send(request, 1, 5, FakeLogger(), whole_body=True)


# -- read from another site --

def test_get_missing_here_is_read_from_another_site(sites):
    here, one, two = ring(sites)
    put_object(two, b'written at two', **{'X-Object-Meta-Colour': 'red'})
    stored = two.swift.object_store[OBJECT].headers
    resp = read(here)
    assert resp.status_int == 200
    assert resp.body == b'written at two'
    assert resp.headers['ETag'] == stored['ETag']
    assert resp.headers['X-Timestamp'] == T1.normal
    assert resp.headers['X-Object-Meta-Colour'] == 'red'
    assert resp.headers[READ_FROM_HEADER] == two.url
    assert here.logger.counters['fallback.hit'] == 1
    assert 'as:fallback-hit' in log_info(resp)


def test_head_missing_here_is_read_from_another_site(sites):
    here, one, two = ring(sites)
    put_object(two, b'written at two', **{'X-Object-Meta-Colour': 'red'})
    resp = read(here, 'HEAD')
    assert resp.status_int == 200
    assert resp.body == b''
    assert resp.headers['Content-Length'] == str(len(b'written at two'))
    assert resp.headers['X-Object-Meta-Colour'] == 'red'
    assert resp.headers[READ_FROM_HEADER] == two.url
    assert two.methods == ['HEAD']


def test_the_site_that_syncs_here_is_asked_first(sites):
    here, one, two = ring(sites)
    put_object(one, b'from one')
    put_object(two, b'from two')
    resp = read(here)
    assert resp.body == b'from two'
    assert resp.headers[READ_FROM_HEADER] == two.url
    assert two.methods == ['GET']
    assert_asked_nobody(one)


def test_the_next_site_back_is_asked_when_the_first_lacks_it(sites):
    here, one, two = ring(sites)
    put_object(one, b'from one')
    resp = read(here)
    assert resp.body == b'from one'
    assert resp.headers[READ_FROM_HEADER] == one.url
    assert (two.methods, one.methods) == (['GET'], ['GET'])


def test_a_realm_site_is_read_at_its_realm_endpoint(sites):
    here, one, two = ring(sites, style='realm_style')
    put_object(two, b'written at two')
    resp = read(here)
    assert resp.status_int == 200
    assert resp.body == b'written at two'
    assert resp.headers[READ_FROM_HEADER] == '//r1/c2'


def test_an_object_name_with_slash_space_and_utf8_is_read(sites):
    here, one, two = ring(sites)
    path = CONTAINER + '/d%C3%BCr/a%20b'
    put_object(two, b'quoted', path=path)
    resp = read(here, path=path)
    assert resp.status_int == 200
    assert resp.body == b'quoted'


def test_a_range_is_read_from_the_other_site(sites):
    here, one, two = ring(sites)
    put_object(two, b'0123456789')
    resp = read(here, headers={'Range': 'bytes=2-5'})
    assert resp.status_int == 206
    assert resp.body == b'2345'
    assert resp.headers['Content-Range'] == 'bytes 2-5/10'


def test_a_matching_if_none_match_answers_304_from_the_other_site(sites):
    here, one, two = ring(sites)
    put_object(two)
    etag = two.swift.object_store[OBJECT].headers['ETag']
    resp = read(here, headers={'If-None-Match': etag})
    assert resp.status_int == 304
    assert resp.body == b''
    assert resp.headers[READ_FROM_HEADER] == two.url
    assert one.methods == []  # a 304 says the site has it


def test_the_query_is_carried_to_the_other_site(sites):
    here, one, two = ring(sites)
    put_object(two)
    resp = read(here, path=OBJECT + '?multipart-manifest=get')
    assert resp.status_int == 200
    served = two.swift.calls_for('GET', OBJECT)[-1][3]
    assert served['QUERY_STRING'] == 'multipart-manifest=get'


def test_the_other_sites_date_is_not_relayed(sites):
    """The client's answer is this site's: its servers set the date."""
    here, one, two = ring(sites)
    put_object(two)
    resp = read(here)
    assert resp.status_int == 200
    assert 'Date' not in resp.headers


def test_no_site_has_it_answers_the_local_404_as_a_miss(sites):
    here, one, two = ring(sites)
    resp = read(here)
    assert resp.status_int == 404
    assert READ_FROM_HEADER not in resp.headers
    assert (two.methods, one.methods) == (['GET'], ['GET'])
    assert here.logger.counters['fallback.miss'] == 1
    assert 'as:fallback-miss' in log_info(resp)


# -- when no other site is asked --

def test_off_by_default_no_other_site_is_asked(sites):
    here, one, two = ring(sites, read_fallback='false')
    put_object(two)
    assert read(here).status_int == 404
    assert_asked_nobody(one, two)


def test_an_object_found_here_is_not_read_elsewhere(sites):
    here, one, two = ring(sites)
    put_object(here, b'here')
    put_object(two, b'at two')
    resp = read(here)
    assert resp.status_int == 200
    assert resp.body == b'here'
    assert READ_FROM_HEADER not in resp.headers
    assert_asked_nobody(one, two)


@pytest.mark.parametrize('header, value', [
    ('X-Container-Sync-Auth', 'US nonce signature'),
    ('X-Container-Sync-Key', 'the-ring-key')])
def test_container_syncs_read_is_not_read_elsewhere(sites, header, value):
    """Its daemon HEADs the next site before each PUT: an answer from
    elsewhere would stop the object from ever being copied."""
    here, one, two = ring(sites)
    put_object(two)
    assert read(here, 'HEAD', headers={header: value}).status_int == 404
    assert_asked_nobody(one, two)


def test_a_read_that_claims_another_site_is_not_read_elsewhere(sites):
    here, one, two = ring(sites)
    put_object(two)
    resp = read(here, headers={'X-Orig-Cluster': one.url})
    assert resp.status_int == 404
    assert_asked_nobody(one, two)


def test_a_read_auth_refused_is_not_read_elsewhere(sites):
    here, one, two = ring(sites)
    put_object(two)
    resp = read(here, authorize=denied_authorize)
    assert resp.status_int == 403
    assert_asked_nobody(one, two)


def test_a_read_auth_never_saw_is_not_read_elsewhere(sites):
    here, one, two = ring(sites)
    put_object(two)
    assert read(here, authorize=None).status_int == 404
    assert_asked_nobody(one, two)


def test_auth_allowing_another_path_does_not_count(sites):
    """Only auth's answer for this very object counts (not one for a
    middleware's sub-request in the same environ)."""
    here, one, two = ring(sites)
    put_object(two)
    swift = here.app.app

    def allows_another_path_only(env, start_response):
        env['swift.authorize'](Request.blank(CONTAINER + '/other'))
        env = dict(env)
        del env['swift.authorize']
        return swift(env, start_response)
    here.app.app = allows_another_path_only
    assert read(here).status_int == 404
    assert_asked_nobody(one, two)


def test_a_container_without_a_placement_is_not_read_elsewhere(sites):
    here, one, two = ring(sites)
    del here.swift.store[CONTAINER][PLACEMENT]
    put_object(two)
    assert read(here).status_int == 404
    assert_asked_nobody(one, two)


def test_a_placement_without_this_site_is_not_read_elsewhere(sites):
    here, one, two = ring(sites)
    here.swift.store[CONTAINER][PLACEMENT] = '%s, %s' % (one.url, two.url)
    put_object(two)
    assert read(here).status_int == 404
    assert_asked_nobody(one, two)


def object_404_once_allowed(swift):
    """``swift``, but for the object: 404 to what its auth allowed."""
    def app(env, start_response):
        req = Request(env)
        if req.path != OBJECT:
            return swift(env, start_response)
        denial = env['swift.authorize'](req)
        return (denial or Response(status=404, request=req))(
            env, start_response)
    return app


@pytest.mark.parametrize('method', ['PUT', 'POST', 'DELETE'])
def test_an_object_change_answered_404_is_not_sent_elsewhere(
        sites, method):
    here, one, two = ring(sites)
    put_object(two)
    here.app.app = object_404_once_allowed(here.swift)
    assert read(here, method).status_int == 404
    assert_asked_nobody(one, two)
    assert OBJECT in two.swift.object_store


def test_a_limited_site_is_not_asked(sites):
    here, one, two = ring(sites)
    put_object(one, b'from one')
    put_object(two, b'from two')
    here.app.limiter.limit(two.url)
    resp = read(here)
    assert resp.body == b'from one'
    assert_asked_nobody(two)
    assert here.logger.counters['peer.error_limited'] == 1


# -- a delete here --

def test_a_delete_here_newer_than_the_copy_answers_404(sites):
    here, one, two = ring(sites)
    put_object(two, at=T1)
    delete_here(here, T2)
    resp = read(here)
    assert resp.status_int == 404
    assert here.logger.counters['fallback.miss'] == 1
    assert here.logger.counters['fallback.hit'] == 0
    assert 'as:deleted-here' in log_info(resp)


def test_a_delete_here_as_old_as_the_copy_answers_404(sites):
    here, one, two = ring(sites)
    put_object(two, at=T2)
    delete_here(here, T2)
    assert read(here).status_int == 404


def test_a_delete_at_a_site_asked_before_hides_an_older_copy(sites):
    here, one, two = ring(sites)
    put_object(one, at=T1)
    delete_here(two, T2)
    resp = read(here)
    assert resp.status_int == 404
    assert two.methods == ['GET'] and one.methods == ['GET']
    assert here.logger.counters['fallback.miss'] == 1
    assert 'as:deleted-there' in log_info(resp)


def test_another_sites_404_says_when_it_deleted_the_object(sites):
    here, one, two = ring(sites)
    delete_here(two, T2)
    answer = sent(signed_read(here, two))
    assert answer.status == 404
    assert answer.headers['x-autosync-deleted-at'] == T2.internal


def test_a_404_with_no_other_site_to_ask_is_not_counted(sites):
    here, one, two = ring(sites)
    del here.swift.store[CONTAINER][PLACEMENT]
    resp = read(here)
    assert resp.status_int == 404
    assert here.logger.counters['fallback.miss'] == 0
    assert not [code for code in log_info(resp) if code.startswith('as:')]


@pytest.mark.parametrize('deleted_at, copy_at', [
    (0, 2),  # a delete here, the copy at the first site asked
    (2, 1),  # a delete at the first site asked, the copy at the next
])
def test_a_copy_newer_than_a_delete_is_read(sites, deleted_at, copy_at):
    made = ring(sites)
    here = made[0]
    put_object(made[copy_at], b'written again', at=T3)
    delete_here(made[deleted_at], T2)
    resp = read(here)
    assert resp.status_int == 200
    assert resp.body == b'written again'


# -- a site that cannot say --

def test_a_site_that_fails_leaves_the_local_404_counted_as_error(sites):
    here, one, two = ring(sites)
    two.swift.forced[('GET', OBJECT)] = 503
    resp = read(here)
    assert resp.status_int == 404
    assert b'forced by test' not in resp.body  # this site's own 404
    assert one.methods == ['GET']  # the walk goes on
    assert here.logger.counters['fallback.error'] == 1
    assert here.logger.counters['fallback.miss'] == 0
    assert 'as:fallback-error' in log_info(resp)


def test_a_site_down_is_passed_over(sites, dead_url):
    here, one = ring(sites, 2, also=[dead_url], site_down='defer')
    put_object(one, b'from one')
    errors = here.logger.counters['peer.errors']
    resp = read(here)
    assert resp.status_int == 200
    assert resp.headers[READ_FROM_HEADER] == one.url
    assert here.logger.counters['peer.errors'] == errors + 1


# -- another site's read (peer_read.py) --

def test_another_sites_read_is_answered_from_here_only(sites):
    """No fallback of a fallback: a site that lacks the object asks no
    other, even when its auth would let anyone read."""
    here, one, two = ring(sites)
    one.authorize = owner_authorize
    put_object(two)
    answer = sent(signed_read(here, one))
    assert answer.status == 404
    assert one.methods == ['GET']
    assert_asked_nobody(here, two)
    assert one.logger.counters['fallback.hit'] == 0


def test_another_sites_read_is_served_as_the_owner(sites):
    here, one, two = ring(sites)
    put_object(one, b'at one')
    answer = sent(signed_read(here, one))
    assert answer.status == 200
    assert answer.body == b'at one'
    served = one.swift.calls_for('GET', OBJECT)[-1][3]
    assert 'as:peer-read' in served['swift.log_info']


def test_another_sites_read_with_a_bad_signature_gets_401(sites):
    here, one, two = ring(sites)
    put_object(one)
    request = signed_read(here, one)
    signature = request.headers[AUTH_HEADER]
    request.headers[AUTH_HEADER] = signature[:-1] + (
        '0' if signature[-1] != '0' else '1')
    assert sent(request).status == 401
    assert one.swift.calls_for('GET', OBJECT) == []
    assert one.logger.counters['auth.invalid'] == 1
