"""Rules 1 and 2: what autosync leaves alone, and the placement a
request may choose."""

import pytest
from swift.common.swob import Request

from helpers import (
    ACCOUNT,
    CONTAINER,
    A,
    B,
    FakeLogger,
    client_request,
    make_filter,
)


class NextApp(object):
    """Records the environ objects it is called with."""

    def __init__(self):
        self.envs = []
        self.body = [b'from the next app']

    def __call__(self, env, start_response):
        self.envs.append(env)
        start_response('200 OK', [])
        return self.body


def pair_filter(app, **conf):
    return make_filter(app, autosync_my_cluster=A,
                       autosync_placement='%s, %s' % (A, B),
                       autosync_key='k', **conf)


def assert_passed_through(filt, app, method, path):
    env = Request.blank(path, environ={'REQUEST_METHOD': method}).environ
    before = dict(env)
    answer = filt(env, lambda *args: None)
    assert answer is app.body
    assert len(app.envs) == 1
    assert app.envs[0] is env
    assert env == before


@pytest.mark.parametrize('method', ['GET', 'HEAD', 'OPTIONS'])
@pytest.mark.parametrize('path', [ACCOUNT, CONTAINER])
def test_reads_pass_through_untouched(method, path):
    app = NextApp()
    assert_passed_through(pair_filter(app), app, method, path)


@pytest.mark.parametrize('method', ['PUT', 'POST', 'DELETE', 'GET'])
def test_object_requests_pass_through_untouched(method):
    app = NextApp()
    assert_passed_through(pair_filter(app), app, method, CONTAINER + '/o')


@pytest.mark.parametrize('method', ['PUT', 'POST', 'DELETE'])
@pytest.mark.parametrize('path', [
    '/v1/AUTH_\xff', ACCOUNT + '/\xff\xfe', ACCOUNT + '/c%00'])
def test_names_that_are_not_utf8_pass_through_untouched(method, path):
    # Swift answers 412 to these itself.
    app = NextApp()
    assert_passed_through(pair_filter(app), app, method, path)


@pytest.mark.parametrize('method, path', [
    ('GET', '/info'), ('GET', '/healthcheck'), ('PUT', '/auth/v1.0'),
    ('POST', '/v2/AUTH_test/c'), ('PUT', '/'), ('DELETE', '/v1')])
def test_non_v1_paths_pass_through_untouched(method, path):
    app = NextApp()
    assert_passed_through(pair_filter(app), app, method, path)


@pytest.mark.parametrize('method', ['PUT', 'POST', 'DELETE'])
def test_everything_passes_through_without_my_cluster(method):
    app = NextApp()
    assert_passed_through(make_filter(app), app, method, CONTAINER)


def test_single_site_placement_changes_only_here(swift):
    filt = make_filter(swift, autosync_my_cluster=A)
    resp = client_request(CONTAINER).get_response(filt)
    assert resp.status_int == 201
    assert 'X-Container-Sync-To' not in swift.store[CONTAINER]
    # One PUT, here only; the look-up before it is whether the container
    # exists (and has a recorded placement).
    assert [c[0] for c in swift.calls if c[0] != 'HEAD'] == ['PUT']
    assert swift.store[CONTAINER][
        'X-Container-Sysmeta-Autosync-Placement'] == A


# -- a placement chosen per request --

def with_placement(here, placement, my_cluster=None):
    environ = {'swift.placement': placement}
    if my_cluster is not None:
        environ['swift.my_cluster'] = my_cluster
    return client_request(CONTAINER, environ=environ).get_response(here.app)


def test_request_placement_list_overrides_the_configured_one(sites):
    here, configured, chosen = sites.url_style(3)
    resp = with_placement(here, [here.url, chosen.url])
    assert resp.status_int == 201
    assert configured.received == []
    assert chosen.swift.store[CONTAINER]['X-Container-Sync-To'] == \
        here.url + CONTAINER


def test_request_placement_csv_overrides_the_configured_one(sites):
    here, configured, chosen = sites.url_style(3)
    resp = with_placement(here, '%s , %s/' % (chosen.url, here.url))
    assert resp.status_int == 201
    assert configured.received == []
    assert chosen.swift.calls_for('PUT', CONTAINER)


def test_request_my_cluster_overrides_the_configured_one(sites):
    here, me, other = sites.url_style(3)
    resp = with_placement(here, [me.url, other.url], my_cluster=me.url)
    assert resp.status_int == 201
    assert me.received == []
    assert other.received[0]['x-orig-cluster'] == me.url
    assert here.swift.store[CONTAINER]['X-Container-Sync-To'] == \
        other.url + CONTAINER


@pytest.mark.parametrize('placement, my_cluster, why', [
    ('ftp://nowhere', None, b'must be an http'),
    ([], None, b'names no site'),
    ('//r1/a, //r1/b', None, b'not of the configured style'),
    (None, '//r1/a', b'not of the configured style'),
    (None, 'http://', b'has no host')])
def test_malformed_request_placement_is_500_and_changes_nothing(
        sites, placement, my_cluster, why):
    here, peer = sites.url_style(2)
    environ = {}
    if placement is not None:
        environ['swift.placement'] = placement
    if my_cluster is not None:
        environ['swift.my_cluster'] = my_cluster
    resp = client_request(CONTAINER, environ=environ).get_response(here.app)
    assert resp.status_int == 500
    assert why in resp.body
    assert b'Nothing was changed' in resp.body
    assert here.swift.calls == []
    assert peer.received == []
    assert here.logger.lines['error']


def test_container_placed_elsewhere_is_409_naming_its_sites(sites):
    # A placement engine may place a container on other sites only: say
    # where it lives, change nothing anywhere.
    here, peer = sites.url_style(2)
    resp = with_placement(here, [peer.url])
    assert resp.status_int == 409
    assert ('is placed on %s, not at this site (%s)' % (
        peer.url, here.url)).encode() in resp.body
    assert resp.headers['X-Autosync-Placement'] == peer.url
    assert here.swift.calls_for('PUT') == []
    assert peer.received == []
    assert here.logger.counters['request.refused'] == 1


def test_bad_placement_is_marked_in_the_proxy_log(swift):
    filt = pair_filter(swift, logger=FakeLogger())
    req = client_request(CONTAINER, environ={'swift.placement': ['x']})
    req.get_response(filt)
    assert 'as:bad-placement' in req.environ['swift.log_info']


def test_realm_site_missing_from_realms_conf_is_500(sites):
    here, = sites.realm_style(1)
    resp = with_placement(here, '//r1/c0, //r1/c9')
    assert resp.status_int == 500
    assert b'no endpoint for //r1/c9' in resp.body
    assert here.swift.calls_for('PUT') == []
