"""Rules 5 and 7: what each peer is sent, in parallel, and what the
client hears when the sites do not agree."""

import json
import time
from urllib.parse import quote

import pytest
import webob

from helpers import ACCOUNT, CONTAINER, client_request, owner_authorize

CLIENT_HEADERS = {
    'X-Container-Meta-Colour': 'blue', 'X-Auth-Token': 'AUTH_tk',
    'X-Storage-Token': 'AUTH_tk', 'Host': 'client.example.com',
    'Connection': 'x-client-hop', 'Keep-Alive': 'timeout=5', 'TE': 'gzip',
    'Upgrade': 'h2c', 'Proxy-Authorization': 'Basic eA==',
    'Trailer': 'X-T', 'X-Backend-Storage-Policy-Index': '7'}
NEVER_FORWARDED = ('keep-alive', 'te', 'upgrade', 'proxy-authorization',
                   'trailer', 'x-backend-storage-policy-index')


def put_container(here, headers=None, path=CONTAINER):
    return client_request(path, headers=headers).get_response(here.app)


# -- what a peer is sent --

def test_peer_gets_same_method_and_path_without_the_query(sites):
    here, peer = sites.url_style(2)
    put_container(here)
    client_request(CONTAINER + '?format=json', 'POST').get_response(
        here.app)
    method, path, headers, env = peer.swift.calls[-1]
    assert (method, path, env.get('QUERY_STRING', '')) == (
        'POST', CONTAINER, '')


def test_a_query_http_cannot_carry_still_reaches_every_site(sites):
    here, peer = sites.url_style(2)
    resp = client_request(CONTAINER, environ={
        'QUERY_STRING': 'x=\xff'}).get_response(here.app)
    assert resp.status_int == 201
    assert CONTAINER in peer.swift.store


def test_peer_gets_client_metadata(sites):
    here, peer = sites.url_style(2)
    put_container(here, CLIENT_HEADERS)
    assert peer.received[0]['x-container-meta-colour'] == 'blue'
    assert peer.swift.store[CONTAINER]['X-Container-Meta-Colour'] == 'blue'


def test_peer_never_gets_hop_by_hop_or_backend_headers(sites):
    here, peer = sites.url_style(2)
    put_container(here, CLIENT_HEADERS)
    received = peer.received[0]
    assert [h for h in NEVER_FORWARDED if h in received] == []
    assert received.get('connection') != 'x-client-hop'


def allow_not_owner(req):
    """swift.authorize for a user an account ACL lets write, who is not
    the owner: the proxy drops owner-only headers for them."""
    return None


OWNER_ONLY = {
    'X-Container-Read': '.r:*', 'X-Container-Write': 'AUTH_other',
    'X-Container-Meta-Temp-Url-Key': 'k', 'X-Container-Meta-Temp-Url-Key-2':
    'k2'}  # Their X-Remove- forms are carried: test_middleware_limits.py


def test_non_owner_owner_only_headers_never_reach_a_peer(sites):
    here, peer = sites.url_style(2)
    headers = dict(OWNER_ONLY, **{'X-Container-Meta-Colour': 'blue'})
    resp = client_request(CONTAINER, headers=headers,
                          authorize=allow_not_owner).get_response(here.app)
    assert resp.status_int == 201
    received = peer.received[0]
    assert [h for h in OWNER_ONLY if h.lower() in received] == []
    stored = peer.swift.store[CONTAINER]
    assert stored['X-Container-Meta-Colour'] == 'blue'
    assert 'X-Container-Read' not in stored
    # The ring is still wired there.
    assert stored['X-Container-Sync-To'] == here.url + CONTAINER


def test_owner_only_headers_of_the_owner_reach_the_peer(sites):
    here, peer = sites.url_style(2)
    put_container(here, OWNER_ONLY)
    received = peer.received[0]
    assert [h for h in OWNER_ONLY if h.lower() not in received] == []


@pytest.mark.parametrize('header', [
    'X-Account-Meta-Temp-Url-Key', 'X-Account-Meta-Temp-Url-Key-2',
    'X-Account-Access-Control'])
def test_non_owner_account_owner_headers_never_reach_a_peer(sites, header):
    here, peer = sites.url_style(2)
    resp = client_request(ACCOUNT, 'POST', headers={
        header: 'v', 'X-Account-Meta-Team': 'ops'},
        authorize=allow_not_owner).get_response(here.app)
    assert resp.is_success
    assert header.lower() not in peer.received[0]
    assert peer.swift.store[ACCOUNT]['X-Account-Meta-Team'] == 'ops'


def test_owner_only_headers_are_the_proxys_own_list(sites):
    here, peer = sites.url_style(2)
    # As a proxy whose swift_owner_headers option adds a header.
    here.swift.swift_owner_headers = ['X-Container-Meta-Secret']
    client_request(CONTAINER, headers={'X-Container-Meta-Secret': 's'},
                   authorize=allow_not_owner).get_response(here.app)
    assert 'x-container-meta-secret' not in peer.received[0]


def test_peer_gets_its_own_host_not_the_clients(sites):
    here, peer = sites.url_style(2)
    put_container(here, CLIENT_HEADERS)
    assert peer.received[0]['host'] == peer.url[len('http://'):]


def test_auth_tokens_are_not_forwarded_by_default(sites):
    here, peer = sites.url_style(2)
    put_container(here, CLIENT_HEADERS)
    assert 'x-auth-token' not in peer.received[0]
    assert 'x-storage-token' not in peer.received[0]


def test_auth_token_is_forwarded_with_forward_auth_token(sites):
    here, peer = sites.url_style(2, forward_auth_token='true')
    put_container(here, CLIENT_HEADERS)
    assert peer.received[0]['x-auth-token'] == 'AUTH_tk'


def test_container_peer_request_names_the_origin(sites):
    here, peer = sites.url_style(2)
    put_container(here)
    received = peer.received[0]
    assert received['x-orig-cluster'] == here.url
    # Recorded by the peer as sysmeta, never as one of the client's
    # metadata items (which would break Swift's limits at peers only).
    stored = peer.swift.store[CONTAINER]
    assert stored['X-Container-Sysmeta-Autosync-Orig-Cluster'] == here.url
    assert not any('meta-orig' in name.lower() for name in received)
    assert not any('meta-orig' in name.lower() for name in stored)
    assert 'X-Container-Sysmeta-Autosync-Orig-Cluster' not in \
        here.swift.store[CONTAINER]


def test_peer_request_is_signed(sites):
    here, peer = sites.url_style(2)
    put_container(here)
    assert len(peer.received[0]['x-autosync-auth'].split()) == 3
    assert peer.logger.counters['auth.valid'] == 1


def test_signature_is_not_stored_at_the_peer(sites):
    here, peer = sites.url_style(2)
    put_container(here)
    method, path, headers, env = peer.swift.calls[-1]
    assert 'X-Autosync-Auth' not in headers


@pytest.mark.parametrize('method', ['PUT', 'POST'])
def test_account_change_is_fanned_out_naming_the_origin(sites, method):
    here, peer = sites.url_style(2)
    resp = client_request(ACCOUNT, method, headers={
        'X-Account-Meta-Team': 'ops'}).get_response(here.app)
    assert resp.is_success
    stored = peer.swift.store[ACCOUNT]
    assert stored['X-Account-Meta-Team'] == 'ops'
    assert stored['X-Account-Sysmeta-Autosync-Orig-Cluster'] == here.url
    assert 'x-container-sync-to' not in peer.received[0]


def test_account_delete_is_fanned_out(sites):
    here, peer = sites.url_style(2)
    resp = client_request(ACCOUNT, 'DELETE').get_response(here.app)
    assert resp.status_int == 204
    assert ACCOUNT not in peer.swift.store
    assert peer.received[0]['x-orig-cluster'] == here.url


def test_non_ascii_container_reaches_every_site(sites):
    here, peer = sites.url_style(2)
    path = ACCOUNT + '/' + quote('ünïcødé ☃ 100%')
    resp = put_container(here, path=path)
    assert resp.status_int == 201
    assert path in peer.swift.store
    assert peer.swift.store[path]['X-Container-Sync-To'] == here.url + path
    delete = client_request(path, 'DELETE').get_response(here.app)
    assert delete.status_int == 204
    assert path not in peer.swift.store


def test_webob_client_sees_the_local_answer(sites):
    here, peer = sites.url_style(2)
    resp = webob.Request.blank(
        CONTAINER, method='PUT',
        environ={'swift.authorize': owner_authorize}).get_response(here.app)
    assert resp.status_int == 201
    assert CONTAINER in peer.swift.store


def test_success_is_counted_and_logged(sites):
    here, peer = sites.url_style(2)
    req = client_request(CONTAINER)
    req.get_response(here.app)
    assert here.logger.counters['fanout.ok'] == 1
    assert here.logger.counters['peer.ok'] == 1
    assert 'as:fanout' in req.environ['swift.log_info']


# -- in parallel --

def test_peers_are_asked_in_parallel(sites):
    here, *peers = sites.url_style(5)
    for peer in peers:
        peer.delay = 0.5
    started = time.monotonic()
    resp = put_container(here)
    elapsed = time.monotonic() - started
    assert resp.status_int == 201
    assert all(CONTAINER in peer.swift.store for peer in peers)
    # In parallel about 0.5 s; in series 4 * 0.5 = 2 s. The margin
    # between is for a loaded machine.
    assert elapsed < 1.5


# -- sites that do not answer --

def test_dead_peer_makes_a_503_naming_it(sites, dead_url):
    here, peer = sites.url_style(2, also=[dead_url])
    resp = put_container(here)
    assert resp.status_int == 503
    text = resp.body.decode()
    assert '%s: connection refused' % dead_url in text
    assert '%s: 201' % here.url in text
    assert '%s: 201' % peer.url in text
    assert here.logger.counters['peer.errors'] == 1
    assert here.logger.counters['fanout.failed'] == 1
    assert any(dead_url in line for line in here.logger.lines['warning'])


def test_slow_peer_times_out_within_node_timeout(sites):
    here, peer = sites.url_style(2, node_timeout='0.2')
    peer.delay = 1.5
    started = time.monotonic()
    resp = put_container(here)
    elapsed = time.monotonic() - started
    assert resp.status_int == 503
    assert '%s: no answer within 0.2s' % peer.url in resp.body.decode()
    assert elapsed < 1.0
    assert here.logger.counters['peer.timeout'] == 1


# swiftclient shows the first 60 characters of an error body.
SHOWN = 60


def test_first_60_characters_name_the_dead_site(sites, dead_url):
    here, peer = sites.url_style(2, also=[dead_url])
    shown = put_container(here).body.decode()[:SHOWN]
    assert shown.startswith('%s: connection refused' % dead_url), shown
    assert here.url not in shown


def test_first_60_characters_name_the_refusing_site(sites):
    here, peer = sites.url_style(2)
    put_container(here)
    peer.swift.forced[('POST', CONTAINER)] = 507
    resp = client_request(CONTAINER, 'POST').get_response(here.app)
    assert resp.status_int == 503
    assert resp.body.decode()[:SHOWN].startswith(
        '%s: 507 Insufficient Storage' % peer.url)


def test_first_60_characters_name_the_site_that_holds_objects(sites):
    here, full = sites.url_style(2)
    put_container(here)
    full.swift.objects[CONTAINER] = 3
    resp = client_request(CONTAINER, 'DELETE').get_response(here.app)
    assert resp.status_int == 409
    assert resp.body.decode()[:SHOWN].startswith(
        '%s: holds 3 objects' % full.url)


def test_failure_body_is_json_when_accepted(sites, dead_url):
    here, peer = sites.url_style(2, also=[dead_url])
    resp = put_container(here, {'Accept': 'application/json'})
    assert resp.status_int == 503
    assert resp.content_type == 'application/json'
    answer = json.loads(resp.body)
    assert [(s['site'], s['status']) for s in answer['sites']] == [
        (here.url, 201), (peer.url, 201), (dead_url, None)]
    assert dead_url in answer['message']


def test_failure_body_is_json_for_a_webob_client(sites, dead_url):
    here, = sites.url_style(1, also=[dead_url])
    resp = webob.Request.blank(
        CONTAINER, method='PUT', accept='application/json',
        environ={'swift.authorize': owner_authorize}).get_response(here.app)
    assert resp.json['sites'][1]['detail'] == 'connection refused'


def test_peer_refusal_makes_a_503_with_its_answer(sites):
    here, peer = sites.url_style(2)
    peer.swift.forced[('PUT', CONTAINER)] = 507
    resp = put_container(here)
    assert resp.status_int == 503
    assert '%s: 507' % peer.url in resp.body.decode()
    assert here.logger.counters['peer.failed'] == 1


# -- DELETE verdicts end to end --

def test_delete_everywhere_is_204(sites):
    trio = sites.url_style(3)
    put_container(trio[0])
    resp = client_request(CONTAINER, 'DELETE').get_response(trio[0].app)
    assert resp.status_int == 204
    assert all(CONTAINER not in site.swift.store for site in trio)


def test_delete_of_a_container_nowhere_is_404(sites):
    here, peer = sites.url_style(2)
    resp = client_request(CONTAINER, 'DELETE').get_response(here.app)
    assert resp.status_int == 404
    assert peer.methods == ['HEAD', 'DELETE']


def test_delete_of_a_container_full_at_a_peer_is_409_naming_it(sites):
    here, full, empty = sites.url_style(3)
    put_container(here)
    full.swift.objects[CONTAINER] = 3
    resp = client_request(CONTAINER, 'DELETE').get_response(here.app)
    assert resp.status_int == 409
    first_line = resp.body.decode().splitlines()[0]
    assert full.url in first_line
    assert empty.url not in first_line
    assert 'holds 3 objects' in resp.body.decode()
    # Checked before deleting anything, so every site keeps its copy.
    assert all(CONTAINER in site.swift.store
               for site in (here, full, empty))
    assert all('DELETE' not in site.methods for site in (full, empty))


def test_delete_with_a_dead_peer_is_503_naming_it(sites, dead_url):
    here, = sites.url_style(1, also=[dead_url])
    resp = client_request(CONTAINER, 'DELETE').get_response(here.app)
    assert resp.status_int == 503
    assert dead_url in resp.body.decode().splitlines()[0]


def test_delete_with_a_dead_peer_deletes_nothing(sites, dead_url):
    """The dead site could not take the DELETE: deleting here would
    leave its copy, and any objects in it, with no site syncing it."""
    here, = sites.url_style(1, also=[dead_url])
    here.swift.store[CONTAINER] = {}
    resp = client_request(CONTAINER, 'DELETE').get_response(here.app)
    assert resp.status_int == 503
    assert resp.body.decode().startswith(
        '%s: connection refused; autosync: DELETE %s: could not ask %s '
        'whether it is empty; nothing was deleted.' % (
            dead_url, CONTAINER, dead_url))
    assert CONTAINER in here.swift.store
    assert here.swift.calls_for('DELETE') == []


def test_delete_with_a_peer_refusing_the_check_deletes_nothing(sites):
    here, peer = sites.url_style(2)
    put_container(here)
    peer.swift.forced[('HEAD', CONTAINER)] = 503
    resp = client_request(CONTAINER, 'DELETE').get_response(here.app)
    assert resp.status_int == 503
    assert CONTAINER in here.swift.store and CONTAINER in peer.swift.store
    assert 'DELETE' not in peer.methods


def test_reseller_rights_granted_here_are_granted_at_the_peer(sites):
    """Account quotas need a reseller request at every site."""
    here, peer = sites.url_style(2)
    req = client_request(ACCOUNT, 'POST', headers={
        'X-Account-Meta-Quota-Bytes': '10'})
    req.environ['reseller_request'] = True
    assert req.get_response(here.app).is_success
    method, path, headers, env = peer.swift.calls[-1]
    assert env['reseller_request'] is True
    assert 'X-Autosync-Reseller-Request' not in headers


def test_a_client_cannot_claim_reseller_rights_at_the_peer(sites):
    here, peer = sites.url_style(2)
    req = client_request(ACCOUNT, 'POST', headers={
        'X-Autosync-Reseller-Request': 'true'})
    assert req.get_response(here.app).is_success
    assert 'x-autosync-reseller-request' not in peer.received[0]
    method, path, headers, env = peer.swift.calls[-1]
    assert 'reseller_request' not in env


def test_head_shows_the_recorded_origin(sites):
    here, peer = sites.url_style(2)
    put_container(here)
    resp = client_request(CONTAINER, 'HEAD').get_response(peer.app)
    assert resp.headers['X-Autosync-Orig-Cluster'] == here.url


def test_head_of_a_container_made_here_shows_no_origin(sites):
    here, peer = sites.url_style(2)
    put_container(here)
    resp = client_request(CONTAINER, 'HEAD').get_response(here.app)
    assert resp.status_int == 204
    assert 'X-Autosync-Orig-Cluster' not in resp.headers
