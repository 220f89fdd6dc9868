"""Rule 6: requests from other sites are served only when their
signature verifies, and then here only."""

import collections
import time

import pytest
from swift.common.middleware.acl import format_acl
from swift.common.middleware.tempauth import TempAuth
from swift.common.swob import Request

from autosync.placement import parse_site
from autosync.signing import sign, signed_fields

from helpers import (
    ACCOUNT,
    CONTAINER,
    KEY,
    A,
    B,
    FakeSwift,
    client_request,
    denied_authorize,
    make_filter,
)

SYNC = ('%s%s' % (A, CONTAINER), 'the-ring-key')


class SharedMemcache(object):
    """The memcache every proxy of a cluster shares."""

    def __init__(self):
        self.values = collections.Counter()

    def incr(self, key, delta=1, time=0):
        self.values[key] += delta
        return self.values[key]

    def get_multi(self, keys, server_key):
        return [self.values.get(key) for key in keys]

    def set_multi(self, mapping, server_key, time=0):
        for key, value in mapping.items():
            self.values[key] = value


def site_b(swift, **conf):
    """The filter at B, where A's requests arrive."""
    conf.setdefault('override_auth', 'true')
    conf.setdefault('autosync_key', KEY)
    return make_filter(swift, autosync_my_cluster=B,
                       autosync_placement='%s, %s' % (A, B), **conf)


def arriving(headers, method='PUT', path=CONTAINER, environ=None):
    """A request reaching a site with no token: auth would deny it."""
    env = {'REQUEST_METHOD': method, 'swift.authorize': denied_authorize}
    env.update(environ or {})
    return Request.blank(path, environ=env, headers=headers)


def signed(headers, method='PUT', path=CONTAINER, key=KEY, now=None,
           to=B):
    """The X-Autosync-Auth of a request with ``headers`` sent to ``to``."""
    return sign(key, signed_fields(
        method, path, '', headers.get('X-Orig-Cluster', ''),
        parse_site(to).ident, headers), now=now)


def from_a(method='PUT', path=CONTAINER, key=KEY, now=None, auth=None,
           orig=A, sync=SYNC, environ=None, to=B, extra=None):
    """A request as A sends it to B (or ``to``), with ``extra`` headers
    signed too; ``auth`` replaces the signature."""
    headers = {'X-Orig-Cluster': orig}
    if sync:
        headers['X-Container-Sync-To'], headers['X-Container-Sync-Key'] = \
            sync
    headers.update(extra or {})
    if auth is None:
        auth = signed(headers, method, path, key, now, to)
    if auth:
        headers['X-Autosync-Auth'] = auth
    return arriving(headers, method, path, environ)


def assert_refused(filt, swift, req):
    resp = req.get_response(filt)
    assert resp.status_int == 401
    assert b'request from another site refused' in resp.body
    assert swift.calls == []
    assert 'swift_owner' not in req.environ
    assert 'swift.authorize_override' not in req.environ
    assert filt.logger.counters['auth.invalid'] == 1
    return resp


# -- refused --

@pytest.mark.parametrize('conf', [
    {}, {'override_auth': 'false'}, {'forward_auth_token': 'true'},
    {'override_auth': 'false', 'forward_auth_token': 'true'}])
def test_unsigned_orig_cluster_is_refused_in_every_configuration(
        swift, conf):
    filt = site_b(swift, **conf)
    req = from_a(auth='')
    assert_refused(filt, swift, req)
    assert 'as:malformed' in req.environ['swift.log_info']


def test_garbage_signature_is_refused(swift):
    filt = site_b(swift)
    assert b'X-Autosync-Auth must be' in assert_refused(
        filt, swift, from_a(auth='garbage')).body


def test_signature_with_a_wrong_key_is_refused(swift):
    filt = site_b(swift)
    req = from_a(key='guessed')
    assert_refused(filt, swift, req)
    assert 'as:bad-sig' in req.environ['swift.log_info']


def test_signature_for_another_path_is_refused(swift):
    filt = site_b(swift)
    req = from_a()
    req.environ['PATH_INFO'] = ACCOUNT + '/other'
    assert_refused(filt, swift, req)


def test_changed_sync_target_is_refused(swift):
    filt = site_b(swift)
    req = from_a()
    req.headers['X-Container-Sync-To'] = 'http://evil.example.com/v1/x/y'
    assert_refused(filt, swift, req)


def test_expired_signature_is_refused(swift):
    filt = site_b(swift)
    req = from_a(now=time.time() - 3600)
    assert b'window' in assert_refused(filt, swift, req).body
    assert 'as:expired' in req.environ['swift.log_info']


def test_replayed_request_is_refused(swift):
    filt = site_b(swift)
    first = from_a()
    again = arriving(dict(first.headers))
    assert first.get_response(filt).status_int == 201
    calls_before = len(swift.calls)
    resp = again.get_response(filt)
    assert resp.status_int == 401
    assert b'already used' in resp.body
    assert len(swift.calls) == calls_before


def test_replay_to_another_proxy_of_the_cluster_is_refused(swift):
    memcache = SharedMemcache()
    auth = from_a().headers['X-Autosync-Auth']
    proxy1, proxy2 = site_b(swift), site_b(FakeSwift())
    assert from_a(auth=auth, environ={'swift.cache': memcache}) \
        .get_response(proxy1).status_int == 201
    resp = from_a(auth=auth, environ={'swift.cache': memcache}) \
        .get_response(proxy2)
    assert resp.status_int == 401


def test_replay_of_a_request_seen_on_the_wire_is_refused(sites):
    here, peer = sites.url_style(2)
    client_request(CONTAINER).get_response(here.app)
    captured = peer.received[0]
    resp = arriving(captured).get_response(peer.app)
    assert resp.status_int == 401
    assert peer.logger.counters['auth.invalid'] == 1


def test_signature_without_orig_cluster_is_refused(swift):
    filt = site_b(swift)
    req = from_a()
    del req.headers['X-Orig-Cluster']
    assert_refused(filt, swift, req)


def test_origin_of_another_style_is_refused(swift):
    filt = site_b(swift)
    req = from_a(orig='//r1/a')
    assert_refused(filt, swift, req)
    assert 'as:bad-origin' in req.environ['swift.log_info']


# -- realm style: who may sign as a site --

# r1 is autosync's realm; "partner" is shared with another company for
# plain container-sync. Cluster c of r1 is in no placement of ours.
R1_CLUSTERS = [('a', 'http://a.example.com'), ('b', 'http://b.example.com'),
               ('c', 'http://c.example.com')]
PARTNER = ('partner', 'partner-secret', [('b', 'http://b.example.com'),
                                         ('them', 'http://them.example.com')])


def realm_site_b(swift, realms_conf):
    written = realms_conf(R1_CLUSTERS, key='autosync-secret',
                          others=[PARTNER])
    return make_filter(swift, realms=written.load(),
                       autosync_my_cluster='//r1/b',
                       autosync_placement='//r1/a, //r1/b',
                       swift_dir=written.swift_dir, override_auth='true')


def realm_request(orig, key, method='PUT', path=CONTAINER):
    headers = {'X-Orig-Cluster': orig, 'X-Container-Read': '.r:*'}
    headers['X-Autosync-Auth'] = signed(headers, method, path, key,
                                        to='//r1/b')
    return arriving(headers, method, path)


@pytest.mark.parametrize('orig, key', [
    ('//partner/them', 'partner-secret'), ('//partner/b', 'partner-secret'),
    ('//r1/nowhere', 'autosync-secret')])
def test_origin_outside_our_realm_clusters_is_refused(swift, realms_conf,
                                                      orig, key):
    filt = realm_site_b(swift, realms_conf)
    req = realm_request(orig, key)
    resp = assert_refused(filt, swift, req)
    assert 'as:bad-origin' in req.environ['swift.log_info']
    assert orig.encode() in resp.body
    assert CONTAINER not in swift.store


@pytest.mark.parametrize('orig', ['//r1/a', '//R1/C/'])
def test_any_cluster_of_our_realm_may_sign(swift, realms_conf, orig):
    filt = realm_site_b(swift, realms_conf)
    assert realm_request(orig, 'autosync-secret').get_response(filt) \
        .status_int == 201


# -- what the signature covers --

def test_request_signed_for_another_site_is_refused(swift):
    swift.store[CONTAINER] = {}
    filt = site_b(swift)
    req = from_a(method='DELETE', sync=None, to='http://c.example.com:8080')
    assert_refused(filt, swift, req)
    assert 'as:bad-sig' in req.environ['swift.log_info']
    assert CONTAINER in swift.store


def test_request_signed_for_this_site_however_spelled_is_served(swift):
    swift.store[CONTAINER] = {}
    filt = site_b(swift)
    req = from_a(method='DELETE', sync=None, to='HTTP://B.example.com:8080/')
    assert req.get_response(filt).status_int == 204


@pytest.mark.parametrize('name, value', [
    ('X-Container-Read', '.r:*,.rlistings'),
    ('X-Container-Meta-Temp-URL-Key', 'mitm'),
    ('X-Versions-Location', 'old'), ('X-Storage-Policy', 'cold'),
    ('X-Remove-Container-Meta-Color', 'x')])
def test_state_header_added_in_flight_is_refused(swift, name, value):
    swift.store[CONTAINER] = {'X-Container-Meta-Color': 'blue'}
    filt = site_b(swift)
    req = from_a(method='POST', sync=None,
                 extra={'X-Container-Meta-Color': 'red'})
    req.headers[name] = value
    assert_refused(filt, swift, req)
    assert 'as:bad-sig' in req.environ['swift.log_info']
    assert swift.store[CONTAINER] == {'X-Container-Meta-Color': 'blue'}


def test_state_header_changed_in_flight_is_refused(swift):
    swift.store[CONTAINER] = {}
    filt = site_b(swift)
    req = from_a(method='POST', sync=None,
                 extra={'X-Container-Meta-Color': 'red'})
    req.headers['X-Container-Meta-Color'] = 'green'
    assert_refused(filt, swift, req)


def test_metadata_change_verifies_across_the_wire(sites):
    here, peer = sites.url_style(2)
    for site in (here, peer):
        site.swift.store[CONTAINER] = {'X-Container-Meta-Old': 'x'}
    resp = client_request(CONTAINER, 'POST', headers={
        'X-Container-Meta-Color': ' blue ', 'X-Container-Meta-Empty': '',
        'X-Remove-Container-Meta-Old': 'x',
        'X-Container-Read': '.r:*'}).get_response(here.app)
    assert resp.status_int == 204, resp.body
    assert peer.logger.counters['auth.valid'] == 1
    stored = peer.swift.store[CONTAINER]
    assert stored['X-Container-Meta-Color'] == 'blue'
    assert stored['X-Container-Read'] == '.r:*'


# -- served --

def test_verified_request_is_applied_here(swift):
    filt = site_b(swift)
    resp = from_a().get_response(filt)
    assert resp.status_int == 201
    assert swift.store[CONTAINER]['X-Container-Sync-To'] == SYNC[0]
    assert filt.logger.counters['auth.valid'] == 1


def test_verified_request_is_never_fanned_out_again(sites):
    a, b, c = sites.url_style(3)
    headers = {'X-Orig-Cluster': a.url}
    headers['X-Autosync-Auth'] = signed(headers, to=b.url)
    req = arriving(headers)
    assert req.get_response(b.app).status_int == 201
    assert a.received == [] and c.received == []
    assert 'as:peer' in req.environ['swift.log_info']


def test_override_auth_acts_as_owner(swift):
    filt = site_b(swift)
    req = from_a()
    req.get_response(filt)
    assert req.environ['swift_owner'] is True
    method, path, headers, env = swift.calls[0]
    assert headers['X-Container-Sync-Key'] == SYNC[1]


def test_without_override_auth_normal_auth_decides(swift):
    filt = site_b(swift, override_auth='false')
    req = from_a()
    resp = req.get_response(filt)
    assert resp.status_int == 403
    assert 'swift_owner' not in req.environ
    assert CONTAINER not in swift.store


def test_peer_refusing_without_override_auth_fails_the_change(sites):
    here, peer = sites.url_style(2, override_auth='false')
    resp = client_request(CONTAINER).get_response(here.app)
    assert resp.status_int == 503
    assert '%s: 403' % peer.url in resp.body.decode()


def test_signature_with_key2_is_accepted(swift):
    filt = site_b(swift, autosync_key='new', autosync_key2=KEY)
    assert from_a(key=KEY).get_response(filt).status_int == 201


def test_realm_key_signs_realm_style_requests(sites):
    a, b = sites.realm_style(2)
    resp = client_request(CONTAINER).get_response(a.app)
    assert resp.status_int == 201
    assert b.logger.counters['auth.valid'] == 1


# -- the emptiness check before a DELETE --

def test_signed_head_from_a_peer_is_served_as_owner(swift):
    swift.store[CONTAINER] = {}
    swift.objects[CONTAINER] = 4
    filt = site_b(swift)
    req = from_a(method='HEAD', sync=None)
    resp = req.get_response(filt)
    assert resp.status_int == 204
    assert resp.headers['X-Container-Object-Count'] == '4'
    assert req.environ['swift_owner'] is True


def test_forged_head_is_refused(swift):
    swift.store[CONTAINER] = {}
    filt = site_b(swift)
    resp = from_a(method='HEAD', sync=None,
                  auth='1 2 3').get_response(filt)
    assert resp.status_int == 401  # a HEAD answer carries no body
    assert 'X-Container-Object-Count' not in resp.headers
    assert swift.calls == []
    assert filt.logger.counters['auth.invalid'] == 1


def test_head_without_a_signature_passes_through_untouched(swift):
    swift.store[CONTAINER] = {}
    filt = site_b(swift)
    req = arriving({'X-Orig-Cluster': A}, method='HEAD')
    resp = req.get_response(filt)
    # Plain Swift decides: here auth denies an anonymous HEAD.
    assert resp.status_int == 403
    assert filt.logger.counters == {}


def test_signed_head_verifies_whatever_query_the_pipeline_added(swift):
    # listing_formats turns a container HEAD into HEAD ?format=json.
    swift.store[CONTAINER] = {}
    filt = site_b(swift)
    req = from_a(method='HEAD', sync=None)
    req.environ['QUERY_STRING'] = 'format=json'
    assert req.get_response(filt).status_int == 204


# -- account ACLs (tempauth's X-Account-Access-Control) --

ACL = format_acl(version=2, acl_dict={'read-write': ['test:tester3'],
                                      'admin': ['test:tester2']})


def test_account_acl_from_a_peer_is_stored_as_tempauth_stores_it(swift):
    filt = site_b(swift)
    req = from_a(method='POST', path=ACCOUNT, sync=None,
                 extra={'X-Account-Access-Control': ACL})
    assert req.get_response(filt).status_int == 204
    stored = swift.store[ACCOUNT]
    assert stored['X-Account-Sysmeta-Core-Access-Control'] == ACL
    assert 'X-Account-Access-Control' not in stored


def test_empty_account_acl_from_a_peer_removes_it(swift):
    swift.store[ACCOUNT] = {'X-Account-Sysmeta-Core-Access-Control': ACL}
    filt = site_b(swift)
    req = from_a(method='POST', path=ACCOUNT, sync=None,
                 extra={'X-Account-Access-Control': ''})
    assert req.get_response(filt).status_int == 204
    # An empty value is how Swift removes metadata.
    assert swift.store[ACCOUNT][
        'X-Account-Sysmeta-Core-Access-Control'] == ''


@pytest.mark.parametrize('acl', [
    'not json', '["a list"]', '{"owner": ["x"]}', '{"admin": "x"}',
    '{"admin": [1]}'])
def test_invalid_account_acl_from_a_peer_is_refused(swift, acl):
    filt = site_b(swift)
    req = from_a(method='POST', path=ACCOUNT, sync=None,
                 extra={'X-Account-Access-Control': acl})
    resp = req.get_response(filt)
    assert resp.status_int == 400
    assert b'X-Account-Access-Control' in resp.body
    assert swift.calls == []


def test_account_acl_set_at_one_site_is_the_same_at_every_site(sites):
    here, peer = sites.url_style(2)
    tempauth = TempAuth(None, {})
    resp = client_request(
        ACCOUNT, 'POST', authorize=tempauth.authorize,
        environ={'REMOTE_USER': 'test,test:tester,AUTH_test'},
        headers={'X-Account-Access-Control': ACL}).get_response(here.app)
    assert resp.status_int == 204, resp.body
    for site in (here, peer):
        assert site.swift.store[ACCOUNT][
            'X-Account-Sysmeta-Core-Access-Control'] == ACL
        assert 'X-Account-Access-Control' not in site.swift.store[ACCOUNT]


def test_account_acl_no_tempauth_took_here_goes_nowhere(sites):
    """Under keystoneauth the header means nothing and is ignored here;
    another site must not make an ACL of it, nor refuse it."""
    here, peer = sites.url_style(2)
    resp = client_request(
        ACCOUNT, 'POST', headers={'X-Account-Access-Control': 'not-json',
                                  'X-Account-Meta-Colour': 'blue'}
    ).get_response(here.app)
    assert resp.status_int == 204, resp.body
    at_peer = peer.swift.store[ACCOUNT]
    assert at_peer['X-Account-Meta-Colour'] == 'blue'
    assert 'X-Account-Access-Control' not in at_peer
    assert 'X-Account-Sysmeta-Core-Access-Control' not in at_peer
