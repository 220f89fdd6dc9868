"""Rules 3 and 4: local first, the same sync key everywhere, the ring of
X-Container-Sync-To, and what a client may not set itself."""

from urllib.parse import quote

import pytest

from helpers import ACCOUNT, client_request, denied_authorize, make_filter

CONTAINER = ACCOUNT + '/photos'


def sync_headers(site, path=CONTAINER):
    stored = site.swift.store[path]
    return stored['X-Container-Sync-To'], stored['X-Container-Sync-Key']


def allow_not_owner(req):
    """swift.authorize for a user with write access who is not the
    owner (an account ACL): the proxy drops owner-only headers."""
    return None


# -- local first --

@pytest.mark.parametrize('method', ['PUT', 'POST'])
def test_change_failing_locally_returns_local_answer_and_no_peer(
        sites, method):
    here, peer = sites.url_style(2)
    here.swift.forced[(method, CONTAINER)] = 507
    resp = client_request(CONTAINER, method).get_response(here.app)
    assert resp.status_int == 507
    assert resp.body == b'forced by test'
    assert peer.received == []


@pytest.mark.parametrize('status', [401, 403, 409, 500, 503])
def test_delete_is_not_fanned_out_after_local_failure(sites, status):
    here, peer = sites.url_style(2)
    peer.swift.store[CONTAINER] = {}
    here.swift.forced[('DELETE', CONTAINER)] = status
    resp = client_request(CONTAINER, 'DELETE').get_response(here.app)
    assert resp.status_int == status
    # Only the read-only emptiness check went out, never the DELETE.
    assert peer.methods == ['HEAD']
    assert CONTAINER in peer.swift.store


def test_delete_by_a_refused_client_asks_no_peer_anything(sites):
    here, peer = sites.url_style(2)
    here.swift.store[CONTAINER] = {}
    req = client_request(CONTAINER, 'DELETE')
    req.environ['swift.authorize'] = denied_authorize
    resp = req.get_response(here.app)
    assert resp.status_int == 403
    assert peer.methods == []
    assert CONTAINER in here.swift.store


def test_delete_is_fanned_out_after_local_404(sites):
    here, peer = sites.url_style(2)
    peer.swift.store[CONTAINER] = {}
    resp = client_request(CONTAINER, 'DELETE').get_response(here.app)
    assert resp.status_int == 204
    assert CONTAINER not in peer.swift.store


def test_local_change_happens_before_any_peer_is_asked(sites):
    here, peer = sites.url_style(2)
    order = []
    real_handle = here.swift.handle

    def handle(req):
        if req.method == 'PUT':
            order.append(('local', len(peer.received)))
        return real_handle(req)
    here.swift.handle = handle
    client_request(CONTAINER).get_response(here.app)
    assert order == [('local', 0)]
    assert len(peer.received) == 1


# -- one sync key for every site --

def test_new_container_gets_the_same_key_at_every_site(sites):
    trio = sites.url_style(3)
    resp = client_request(CONTAINER).get_response(trio[0].app)
    assert resp.status_int == 201
    keys = {sync_headers(site)[1] for site in trio}
    assert len(keys) == 1


def test_new_sync_key_has_at_least_256_bits(sites):
    here, peer = sites.url_style(2)
    client_request(CONTAINER).get_response(here.app)
    key = sync_headers(here)[1]
    assert len(bytes.fromhex(key)) * 8 >= 256


def test_two_new_containers_get_different_keys(sites):
    here, peer = sites.url_style(2)
    client_request(CONTAINER).get_response(here.app)
    client_request(ACCOUNT + '/other').get_response(here.app)
    assert sync_headers(here)[1] != \
        sync_headers(here, ACCOUNT + '/other')[1]


@pytest.mark.parametrize('method', ['POST', 'PUT'])
def test_existing_sync_key_is_reused(sites, method):
    here, peer = sites.url_style(2)
    here.swift.store[CONTAINER] = {'X-Container-Sync-Key': 'running-key'}
    peer.swift.store[CONTAINER] = {}
    resp = client_request(
        CONTAINER, method,
        headers={'X-Container-Meta-Colour': 'blue'}).get_response(here.app)
    assert resp.is_success
    assert sync_headers(here)[1] == 'running-key'
    assert sync_headers(peer)[1] == 'running-key'
    assert peer.swift.store[CONTAINER]['X-Container-Meta-Colour'] == 'blue'


# -- the ring --

def test_two_url_sites_sync_to_each_other(sites):
    a, b = sites.url_style(2)
    client_request(CONTAINER).get_response(a.app)
    assert sync_headers(a)[0] == b.url + CONTAINER
    assert sync_headers(b)[0] == a.url + CONTAINER


def test_three_url_sites_form_the_ring_a_b_c_a(sites):
    a, b, c = sites.url_style(3)
    client_request(CONTAINER).get_response(b.app)
    assert sync_headers(a)[0] == b.url + CONTAINER
    assert sync_headers(b)[0] == c.url + CONTAINER
    assert sync_headers(c)[0] == a.url + CONTAINER


def test_two_realm_sites_sync_to_each_other(sites):
    a, b = sites.realm_style(2)
    resp = client_request(CONTAINER).get_response(a.app)
    assert resp.status_int == 201
    assert sync_headers(a)[0] == '//R1/C1/AUTH_test/photos'
    assert sync_headers(b)[0] == '//R1/C0/AUTH_test/photos'


def test_three_realm_sites_form_the_ring_a_b_c_a(sites):
    a, b, c = sites.realm_style(3)
    resp = client_request(CONTAINER).get_response(c.app)
    assert resp.status_int == 201
    assert [sync_headers(s)[0] for s in (a, b, c)] == [
        '//R1/C1/AUTH_test/photos', '//R1/C2/AUTH_test/photos',
        '//R1/C0/AUTH_test/photos']
    assert len({sync_headers(s)[1] for s in (a, b, c)}) == 1


def test_realm_peer_is_reached_at_its_endpoint_from_realms_conf(sites):
    a, b = sites.realm_style(2)
    client_request(CONTAINER).get_response(a.app)
    assert b.swift.calls_for('PUT', CONTAINER)
    assert b.logger.counters['auth.valid'] == 1


def test_sync_to_quotes_a_non_ascii_container_name(sites):
    a, b = sites.url_style(2)
    quoted = ACCOUNT + '/' + quote('résumé ?#%')
    resp = client_request(quoted).get_response(a.app)
    assert resp.status_int == 201
    assert sync_headers(a, quoted)[0] == b.url + quoted
    assert sync_headers(b, quoted)[0] == a.url + quoted


# -- the sync headers reach the store whoever the client is --

def test_non_owner_client_still_gets_sync_headers_locally(sites):
    here, peer = sites.url_style(2)
    resp = client_request(
        CONTAINER, authorize=allow_not_owner).get_response(here.app)
    assert resp.status_int == 201
    assert sync_headers(here)[0] == peer.url + CONTAINER
    assert sync_headers(here)[1] == sync_headers(peer)[1]


def test_non_owner_client_is_not_made_owner(sites):
    here, peer = sites.url_style(2)
    req = client_request(CONTAINER, authorize=allow_not_owner)
    req.get_response(here.app)
    assert 'swift_owner' not in req.environ
    assert 'swift.authorize_override' not in req.environ
    method, path, headers, env = here.swift.calls_for('PUT')[0]
    assert 'swift_owner' not in env


def test_sync_of_a_percent_named_container_is_set_on_that_container(sites):
    here, peer = sites.url_style(2)
    victim = ACCOUNT + '/victim'
    client_request(victim).get_response(here.app)
    before = dict(here.swift.store[victim])
    named = ACCOUNT + '/' + quote('%76ictim')  # the container "%76ictim"
    resp = client_request(named,
                          authorize=allow_not_owner).get_response(here.app)
    assert resp.status_int == 201
    assert here.swift.store[victim] == before
    assert sync_headers(here, named)[0] == peer.url + named


def test_failed_sync_setup_is_a_503_naming_this_site(sites):
    here, peer = sites.url_style(2)
    here.swift.forced[('POST', CONTAINER)] = 503
    req = client_request(CONTAINER, authorize=allow_not_owner)
    resp = req.get_response(here.app)
    assert resp.status_int == 503
    text = resp.body.decode()
    assert 'container-sync could not be set at %s' % here.url in text
    assert '%s: 503 Service Unavailable' % here.url in text
    assert here.logger.counters['fanout.failed'] == 1
    assert here.logger.counters['fanout.ok'] == 0
    assert 'as:sites-differ' in req.environ['swift.log_info']


def test_failed_sync_setup_at_a_peer_is_a_503_naming_it(sites):
    here, peer = sites.url_style(2, override_auth='false',
                                 forward_auth_token='true')
    # The peer's auth lets the client in, not as the owner.
    peer.authorize = allow_not_owner
    peer.swift.forced[('POST', CONTAINER)] = 503
    resp = client_request(CONTAINER).get_response(here.app)
    assert resp.status_int == 503
    assert '%s: 503' % peer.url in resp.body.decode()
    assert peer.logger.counters['fanout.failed'] == 1


def test_owner_client_needs_no_extra_request(sites):
    here, peer = sites.url_style(2)
    client_request(CONTAINER).get_response(here.app)
    assert here.swift.calls_for('POST') == []


# -- what a client may not send on a synced container --

@pytest.mark.parametrize('header', ['X-Container-Sync-To',
                                    'X-Container-Sync-Key'])
@pytest.mark.parametrize('method', ['PUT', 'POST'])
def test_client_sync_header_is_refused_and_nothing_changes(
        sites, header, method):
    here, peer = sites.url_style(2)
    resp = client_request(CONTAINER, method,
                          headers={header: 'mine'}).get_response(here.app)
    assert resp.status_int == 400
    assert header.encode() in resp.body
    assert b'autosync sets container-sync' in resp.body
    assert here.swift.calls_for(method) == []
    assert peer.received == []


@pytest.mark.parametrize('header, value', [
    ('X-Versions-Location', 'old'), ('X-History-Location', 'old'),
    ('X-Versions-Enabled', 'true')])
def test_enabling_versioning_is_refused(sites, header, value):
    here, peer = sites.url_style(2)
    resp = client_request(CONTAINER, 'POST',
                          headers={header: value}).get_response(here.app)
    assert resp.status_int == 400
    assert b'versioning' in resp.body
    assert here.swift.calls_for('POST') == []
    assert peer.received == []


def test_disabling_versioning_is_allowed(sites):
    here, peer = sites.url_style(2)
    resp = client_request(
        CONTAINER, headers={'X-Versions-Enabled': 'false'}
    ).get_response(here.app)
    assert resp.status_int == 201


LEGACY_VERSIONED = {'X-Container-Sysmeta-Versions-Location': 'old',
                    'X-Container-Sysmeta-Versions-Mode': 'stack'}
OBJECT_VERSIONED = {
    'X-Container-Sysmeta-Versions-Container': '%00versions%00photos',
    'X-Container-Sysmeta-Versions-Enabled': 'True'}


@pytest.mark.parametrize('stored, remedy', [
    ({'X-Versions-Location': 'old'}, b'X-Remove-Versions-Location'),
    (LEGACY_VERSIONED, b'X-Remove-Versions-Location'),
    (OBJECT_VERSIONED, b'copy its objects into a new container')])
def test_change_of_versioned_container_names_the_remedy(
        sites, stored, remedy):
    here, peer = sites.url_style(2)
    here.swift.store[CONTAINER] = dict(stored)
    resp = client_request(
        CONTAINER, 'POST',
        headers={'X-Container-Meta-A': 'b'}).get_response(here.app)
    assert resp.status_int == 409
    assert remedy in resp.body
    assert here.swift.calls_for('POST') == []
    assert peer.received == []


@pytest.mark.parametrize('headers', [
    {'X-Remove-Versions-Location': '1'},
    {'X-Remove-History-Location': '1'},
    {'X-Versions-Location': ''},
    {'X-History-Location': '', 'X-Container-Meta-A': 'b'}])
@pytest.mark.parametrize('stored', [
    {'X-Versions-Location': 'old'}, LEGACY_VERSIONED])
def test_removing_legacy_versioning_wires_the_sync(sites, headers, stored):
    here, peer = sites.url_style(2)
    here.swift.store[CONTAINER] = dict(stored)
    peer.swift.store[CONTAINER] = {}
    resp = client_request(CONTAINER, 'POST',
                          headers=headers).get_response(here.app)
    assert resp.status_int == 204
    assert sync_headers(here)[0] == peer.url + CONTAINER
    assert sync_headers(peer)[0] == here.url + CONTAINER


def test_disabling_object_versioning_is_applied_here_only(sites):
    """Swift keeps the versions container after versioning is disabled
    and container-sync skips the container: nothing to wire."""
    here, peer = sites.url_style(2)
    here.swift.store[CONTAINER] = dict(OBJECT_VERSIONED)
    resp = client_request(CONTAINER, 'POST', headers={
        'X-Versions-Enabled': 'false'}).get_response(here.app)
    assert resp.status_int == 204
    assert here.swift.store[CONTAINER]['X-Versions-Enabled'] == 'false'
    assert 'X-Container-Sync-To' not in here.swift.store[CONTAINER]
    assert peer.received == []


def test_delete_checks_the_emptiness_of_the_container_itself(sites):
    here, peer = sites.url_style(2)
    named = ACCOUNT + '/' + quote('x%41')  # the container "x%41"
    other = ACCOUNT + '/xA'
    for path in (named, other):
        here.swift.store[path] = {}
    peer.swift.store[named] = {}
    here.swift.objects[other] = 3
    peer.swift.objects[named] = 5
    resp = client_request(named, 'DELETE').get_response(here.app)
    assert resp.status_int == 409
    assert peer.url.encode() in resp.body
    assert named in here.swift.store


def test_sync_headers_refused_only_where_autosync_manages(swift):
    alone = make_filter(swift, autosync_my_cluster='http://a.example:80')
    resp = client_request(
        CONTAINER, headers={'X-Container-Sync-To': '//r/c/a/c'}
    ).get_response(alone)
    assert resp.status_int == 201



def test_delete_of_a_container_full_here_gets_swifts_own_answer(sites):
    here, peer = sites.url_style(2)
    here.swift.store[CONTAINER] = {}
    here.swift.objects[CONTAINER] = 2
    peer.swift.store[CONTAINER] = {}
    peer.swift.objects[CONTAINER] = 2
    resp = client_request(CONTAINER, 'DELETE').get_response(here.app)
    assert resp.status_int == 409
    assert resp.body == b'There was a conflict'
    assert peer.methods == []
