"""A site that cannot take a change now: ``site_down = refuse`` (an error
naming it) or ``defer`` (the local 2xx naming it as pending, recorded
for the reconciler); error limiting; the PUT that changes nothing."""

import time

from helpers import ACCOUNT, CONTAINER, client_request

PENDING_SYSMETA = 'X-Container-Sysmeta-Autosync-Pending'
ACCOUNT_PENDING_SYSMETA = 'X-Account-Sysmeta-Autosync-Pending'


def put_container(here, headers=None, method='PUT', path=CONTAINER):
    return client_request(path, method, headers=headers).get_response(
        here.app)


def post(here):
    return put_container(here, {'X-Container-Meta-Colour': 'red'},
                         method='POST')


# -- refuse --

def test_refuse_is_the_default_and_answers_503(sites, dead_url):
    here, peer = sites.url_style(2, also=[dead_url])
    resp = put_container(here)
    assert resp.status_int == 503
    assert 'X-Autosync-Pending' not in resp.headers
    assert here.logger.counters['fanout.deferred'] == 0


# -- defer --

def test_defer_answers_the_local_2xx_naming_the_site_down(sites, dead_url):
    here, peer = sites.url_style(2, also=[dead_url], site_down='defer')
    resp = put_container(here, {'X-Container-Meta-Colour': 'blue'})
    assert resp.status_int == 201
    assert resp.headers['X-Autosync-Pending'] == dead_url
    assert CONTAINER in peer.swift.store
    assert here.logger.counters['fanout.deferred'] == 1
    assert here.logger.counters['fanout.failed'] == 0
    warned = here.logger.lines['warning'][-1]
    assert 'pending at %s: %s: connection refused' % (
        dead_url, dead_url) in warned


def test_defer_records_the_pending_sites_and_change_time_here(
        sites, dead_url):
    here, peer = sites.url_style(2, also=[dead_url], site_down='defer')
    put_container(here)
    recorded = here.swift.store[CONTAINER][PENDING_SYSMETA]
    changed_at = here.swift.store[CONTAINER][
        'X-Container-Sysmeta-Autosync-Changed-At']
    assert recorded == '%s %s' % (changed_at, dead_url)
    assert PENDING_SYSMETA not in peer.swift.store[CONTAINER]


def test_defer_keeps_the_sites_an_earlier_change_is_pending_at(
        sites, dead_url):
    here, peer, other = sites.url_style(3, also=[dead_url],
                                        site_down='defer')
    put_container(here)
    other.swift.forced[('POST', CONTAINER)] = 503
    resp = put_container(here, {'X-Container-Meta-Colour': 'red'},
                         method='POST')
    assert resp.status_int == 204
    assert resp.headers['X-Autosync-Pending'] == '%s, %s' % (
        other.url, dead_url)
    assert here.swift.store[CONTAINER][PENDING_SYSMETA].endswith(
        ' %s, %s' % (other.url, dead_url))


def test_defer_covers_a_5xx_and_a_timeout(sites):
    here, slow, broken = sites.url_style(3, site_down='defer',
                                         node_timeout='0.2')
    put_container(here)
    slow.delay = 1
    broken.swift.forced[('POST', CONTAINER)] = 507
    resp = put_container(here, {'X-Container-Meta-Colour': 'red'},
                         method='POST')
    assert resp.status_int == 204
    assert resp.headers['X-Autosync-Pending'] == '%s, %s' % (
        slow.url, broken.url)


def test_defer_never_covers_a_4xx(sites, dead_url):
    here, peer = sites.url_style(2, also=[dead_url], site_down='defer')
    put_container(here)
    peer.swift.forced[('POST', CONTAINER)] = 400
    resp = put_container(here, {'X-Container-Meta-Colour': 'red'},
                         method='POST')
    assert resp.status_int == 503
    assert resp.body.decode().startswith('%s: 400' % peer.url)
    assert 'X-Autosync-Pending' not in resp.headers


def test_defer_records_an_account_change_as_pending(sites, dead_url):
    here, peer = sites.url_style(2, also=[dead_url], site_down='defer')
    resp = put_container(here, {'X-Account-Meta-Colour': 'blue'},
                         method='POST', path=ACCOUNT)
    assert resp.status_int == 204
    assert resp.headers['X-Autosync-Pending'] == dead_url
    recorded = here.swift.store[ACCOUNT][ACCOUNT_PENDING_SYSMETA]
    assert recorded.endswith(' ' + dead_url)
    assert peer.swift.store[ACCOUNT]['X-Account-Meta-Colour'] == 'blue'


def test_a_delete_is_refused_in_defer_mode_too(sites, dead_url):
    """Only every site's answer says that no copy holds objects."""
    here, peer = sites.url_style(2, also=[dead_url], site_down='defer')
    put_container(here)
    resp = put_container(here, method='DELETE')
    assert resp.status_int == 503
    assert resp.body.decode().startswith('%s: connection refused' %
                                         dead_url)
    assert CONTAINER in here.swift.store
    assert CONTAINER in peer.swift.store


# -- error limiting --

def test_a_hung_site_costs_one_timeout_per_suppression_interval(sites):
    here, hung = sites.url_style(2, site_down='defer', node_timeout='0.3')
    put_container(here)
    hung.delay = 2
    started = time.monotonic()
    for colour in ('red', 'green', 'blue'):
        resp = put_container(here, {'X-Container-Meta-Colour': colour},
                             method='POST')
        assert resp.status_int == 204
        assert resp.headers['X-Autosync-Pending'] == hung.url
    elapsed = time.monotonic() - started
    assert here.logger.counters['peer.timeout'] == 1
    assert here.logger.counters['peer.error_limited'] == 2
    # One timeout (0.3 s), not three (0.9 s); the margin is for a busy
    # machine.
    assert elapsed < 0.8


def test_a_limited_site_answers_at_once_saying_why(sites, dead_url):
    here, peer = sites.url_style(2, also=[dead_url],
                                 error_suppression_limit='1')
    put_container(here)
    post(here)  # the second error limits it
    resp = post(here)
    assert resp.status_int == 503
    assert resp.body.decode().startswith(
        '%s: error-limited (connection refused)' % dead_url)
    assert here.logger.counters['peer.errors'] == 2
    assert here.logger.counters['peer.error_limited'] == 1
    assert here.logger.counters['peer.limited'] == 1


def test_a_limited_site_is_tried_again_after_the_interval(sites, dead_url):
    here, peer = sites.url_style(2, also=[dead_url],
                                 error_suppression_limit='0',
                                 error_suppression_interval='0.2')
    put_container(here)
    assert here.logger.counters['peer.errors'] == 1
    post(here)
    assert here.logger.counters['peer.error_limited'] == 1
    time.sleep(0.3)
    post(here)
    assert here.logger.counters['peer.errors'] == 2


def test_a_4xx_is_not_an_error_of_the_site(sites):
    here, peer = sites.url_style(2, error_suppression_limit='0')
    put_container(here)
    peer.swift.forced[('POST', CONTAINER)] = 400
    for _ in range(3):
        put_container(here, method='POST')
    assert here.logger.counters['peer.error_limited'] == 0
    assert len(peer.swift.calls_for('POST', CONTAINER)) == 3


# -- a bare PUT of an existing container --

def test_a_bare_put_of_an_existing_container_goes_nowhere_else(sites):
    # What ``swift upload`` sends first: with a site down it must not
    # wait for that site, in either mode.
    here, peer = sites.url_style(2)
    put_container(here, {'X-Container-Meta-Colour': 'blue'})
    calls = len(peer.swift.calls_for('PUT', CONTAINER))
    resp = put_container(here)
    assert resp.status_int == 202
    assert len(peer.swift.calls_for('PUT', CONTAINER)) == calls
    assert here.logger.counters['request.unchanged'] == 1


def test_a_refused_change_is_recorded_as_pending_here(sites, dead_url):
    here, peer = sites.url_style(2, also=[dead_url])
    assert put_container(here).status_int == 503
    assert here.swift.store[CONTAINER][PENDING_SYSMETA].endswith(
        ' ' + dead_url)


def test_a_bare_put_of_a_container_pending_elsewhere_goes_everywhere(
        sites, dead_url):
    # A repeated PUT after a 503 must not be answered 2xx while the
    # container is still missing at the site that was down.
    here, peer = sites.url_style(2, also=[dead_url])
    put_container(here)
    assert put_container(here).status_int == 503
    del here.swift.store[CONTAINER][PENDING_SYSMETA]  # as once repaired
    assert put_container(here).status_int == 202


def test_a_bare_put_of_a_new_container_still_goes_everywhere(sites):
    here, peer = sites.url_style(2)
    assert put_container(here).status_int == 201
    assert CONTAINER in peer.swift.store


def test_a_put_with_metadata_still_goes_everywhere(sites):
    here, peer = sites.url_style(2)
    put_container(here)
    put_container(here, {'X-Container-Meta-Colour': 'red'})
    assert peer.swift.store[CONTAINER]['X-Container-Meta-Colour'] == 'red'


def test_a_put_of_an_unwired_copy_still_goes_everywhere(sites):
    here, peer = sites.url_style(2)
    put_container(here)
    del here.swift.store[CONTAINER]['X-Container-Sync-To']
    put_container(here)
    assert 'X-Container-Sync-To' in here.swift.store[CONTAINER]
    assert len(peer.swift.calls_for('PUT', CONTAINER)) == 2
