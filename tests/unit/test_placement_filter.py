"""The placement engine filter: its config, the placement it sets for
container writes by rule, the owner's X-Autosync-Placement header and
every refusal of it, and loading it as paste does."""

import pytest
from paste.deploy import loadfilter
from swift.common.swob import HTTPUnauthorized

from autosync.placement_filter import (
    PlacementEngine,
    filter_factory,
    parse_config,
)
from autosync.rules import RuleError

from helpers import (
    ACCOUNT,
    REALM_SITES,
    FakeLogger,
    client_request,
    denied_authorize,
)

A, B, C = REALM_SITES
SITES = '%s, %s, %s' % (A, B, C)
LOGS = ACCOUNT + '/logs-2024'
PHOTOS = ACCOUNT + '/photos'
HEADER = 'X-Autosync-Placement'
CONF = {
    'sites': SITES,
    'rules': 'logs',
    'rule_logs_container_prefix': 'logs-',
    'rule_logs_sites': '%s, %s' % (A, C),
    'client_sites': '%s, %s' % (A, B),
}


class FakeApp(object):
    """Records each call and the environ it saw; answers 204."""

    def __init__(self):
        self.envs = []

    def __call__(self, env, start_response):
        self.envs.append(env)
        start_response('204 No Content', [('Content-Length', '0')])
        return [b'']

    @property
    def called(self):
        return bool(self.envs)

    @property
    def env(self):
        return self.envs[-1]


@pytest.fixture
def app():
    return FakeApp()


def engine(app, conf=None):
    """The filter as paste builds it, from CONF with ``conf`` changes
    (None drops an option)."""
    conf = dict(CONF, **(conf or {}))
    conf = {k: v for k, v in conf.items() if v is not None}
    return filter_factory({}, **conf)(app)


def send(app, path, method='PUT', conf=None, **kwargs):
    req = client_request(path, method, **kwargs)
    return req.get_response(engine(app, conf))


def ask(app, value, method='PUT', path=LOGS, **kwargs):
    """A container request carrying the placement header."""
    return send(app, path, method, headers={HEADER: value}, **kwargs)


def assert_refused(resp, app, status, why=b''):
    """Answered ``status`` saying ``why``, and never passed on."""
    assert resp.status_int == status
    assert why in resp.body
    assert not app.called


def allow_not_owner(req):
    """An authorize that lets the caller in (an ACL, say) without
    making them the account owner."""
    return None


def site_names(sites):
    return [site.name for site in sites]


# parse_config

def test_config_without_sites_is_refused():
    with pytest.raises(RuleError) as caught:
        parse_config({'default': A})
    assert caught.value.option == 'sites'


def test_config_with_blank_sites_is_refused():
    with pytest.raises(RuleError) as caught:
        parse_config({'sites': '  '})
    assert caught.value.option == 'sites'


def test_default_placement_is_all_sites():
    cfg = parse_config({'sites': SITES})
    assert site_names(cfg.default) == [A, B, C]


def test_default_placement_can_be_set():
    cfg = parse_config({'sites': SITES, 'default': '%s, %s' % (B, C)})
    assert site_names(cfg.default) == [B, C]


def test_default_with_an_unknown_site_is_refused():
    with pytest.raises(RuleError) as caught:
        parse_config({'sites': SITES, 'default': '%s, //realm/z' % A})
    assert caught.value.option == 'default'
    assert '//realm/z' in str(caught.value)


def test_client_sites_default_to_none():
    assert parse_config({'sites': SITES}).client_sites == ()


def test_client_sites_with_an_unknown_site_are_refused():
    with pytest.raises(RuleError) as caught:
        parse_config({'sites': SITES, 'client_sites': '//realm/z'})
    assert caught.value.option == 'client_sites'
    assert '//realm/z' in str(caught.value)


def test_rules_may_only_use_configured_sites():
    with pytest.raises(RuleError) as caught:
        parse_config(dict(CONF, sites='%s, %s' % (A, B)))
    assert caught.value.option == 'rule_logs_sites'


# Placement by rule

def test_container_put_is_placed_by_the_matching_rule(app):
    assert send(app, LOGS).status_int == 204
    assert app.env['swift.placement'] == [A, C]


def test_container_post_is_placed_by_the_matching_rule(app):
    send(app, LOGS, 'POST')
    assert app.env['swift.placement'] == [A, C]


def test_container_delete_is_placed_by_the_matching_rule(app):
    send(app, LOGS, 'DELETE')
    assert app.env['swift.placement'] == [A, C]


def test_container_no_rule_matches_gets_the_default(app):
    send(app, PHOTOS, conf={'default': B})
    assert app.env['swift.placement'] == [B]


def test_default_placement_is_all_sites_unless_configured(app):
    send(app, PHOTOS)
    assert app.env['swift.placement'] == [A, B, C]


def test_matching_rule_is_named_in_the_log_line(app):
    send(app, LOGS)
    assert app.env['swift.log_info'] == ['placement:logs']


def test_default_placement_is_named_in_the_log_line(app):
    send(app, PHOTOS)
    assert app.env['swift.log_info'] == ['placement:default']


def test_non_ascii_container_is_placed_by_rule(app):
    send(app, ACCOUNT + '/%C3%A9t%C3%A9-2024',
         conf={'rule_logs_container_prefix': 'été-'})
    assert app.env['swift.placement'] == [A, C]


def test_placement_by_rule_does_not_ask_auth_early(app):
    asked = []
    send(app, LOGS, authorize=lambda req: asked.append(req))
    assert asked == []
    assert 'swift_owner' not in app.env
    assert 'autosync.placement_requested' not in app.env


@pytest.mark.parametrize('path', [LOGS + '/obj', ACCOUNT, '/info',
                                  '/auth/AUTH_test/logs-2024'],
                         ids=['object', 'account', 'info', 'not-v1'])
def test_non_container_paths_pass_untouched(app, path):
    send(app, path)
    assert 'swift.placement' not in app.env
    assert 'swift.log_info' not in app.env


@pytest.mark.parametrize('method', ['GET', 'HEAD'])
def test_container_reads_pass_untouched(app, method):
    send(app, LOGS, method, headers={HEADER: '//realm/z'})
    assert 'swift.placement' not in app.env
    assert 'swift.log_info' not in app.env


def test_object_put_with_the_header_passes_untouched(app):
    resp = ask(app, '//realm/z', path=LOGS + '/obj')
    assert resp.status_int == 204
    assert 'swift.placement' not in app.env


# The owner's X-Autosync-Placement

def test_owner_header_with_allowed_sites_sets_the_placement(app):
    assert ask(app, '%s, %s' % (B, A)).status_int == 204
    assert app.env['swift.placement'] == [B, A]


def test_owner_header_marks_the_placement_requested(app):
    ask(app, A)
    assert app.env['autosync.placement_requested'] is True


def test_owner_header_overrides_the_rules(app):
    ask(app, B)
    assert app.env['swift.placement'] == [B]
    assert app.env['swift.log_info'] == ['placement:requested']


def test_owner_header_on_post_sets_the_placement(app):
    assert ask(app, A, 'POST').status_int == 204
    assert app.env['swift.placement'] == [A]
    assert app.env['autosync.placement_requested'] is True


def test_owner_header_sites_compare_as_site_names(app):
    ask(app, '//REALM/B/')
    assert app.env['swift.placement'] == ['//REALM/B']


def test_header_site_not_allowed_is_400_naming_it(app):
    resp = ask(app, '%s, %s' % (A, C))
    assert_refused(resp, app, 400, b'site //realm/c is not allowed')
    assert b'allowed: //realm/a, //realm/b' in resp.body


def test_header_with_an_unknown_site_is_400(app):
    resp = ask(app, '//realm/z')
    assert_refused(resp, app, 400, b'site //realm/z is not allowed')


def test_malformed_header_is_400(app):
    resp = ask(app, 'ftp://example.com')
    assert_refused(resp, app, 400, b'X-Autosync-Placement')


def test_empty_header_is_400(app):
    assert_refused(ask(app, ''), app, 400, b'names no site')


def test_header_without_client_sites_configured_is_400(app):
    resp = ask(app, A, conf={'client_sites': None})
    assert_refused(resp, app, 400, b'does not let clients choose')


def test_header_from_a_non_owner_is_403(app):
    resp = ask(app, A, authorize=allow_not_owner)
    assert_refused(resp, app, 403, b'only the account owner')


def test_header_from_a_denied_client_is_403(app):
    resp = ask(app, A, authorize=denied_authorize)
    assert_refused(resp, app, 403, b'denied')


def test_header_from_a_denied_client_gets_auths_own_answer(app):
    # A 401 (expired token) must stay a 401: the client re-authenticates.
    resp = ask(app, A, authorize=lambda req: HTTPUnauthorized(request=req))
    assert_refused(resp, app, 401)


def test_header_without_any_auth_is_403(app):
    assert_refused(ask(app, A, authorize=None), app, 403)


def test_header_on_delete_is_400(app):
    resp = ask(app, A, 'DELETE')
    assert_refused(resp, app, 400, b'means nothing on a DELETE')


def test_refusal_is_logged_with_its_reason(app):
    logger = FakeLogger()
    filt = PlacementEngine(app, parse_config(CONF), logger=logger)
    req = client_request(LOGS, headers={HEADER: C})
    resp = req.get_response(filt)
    assert resp.status_int == 400
    assert req.environ['swift.log_info'] == ['placement:refused']
    assert logger.lines['info'] == [
        'placement: refused PUT /v1/AUTH_test/logs-2024: site //realm/c '
        'is not allowed; allowed: //realm/a, //realm/b']


# Building the filter

def test_filter_factory_merges_global_and_local_conf(app):
    factory = filter_factory({'sites': SITES, 'default': A},
                             default=C, client_sites=B)
    filt = factory(app)
    assert isinstance(filt, PlacementEngine)
    assert filt.app is app
    assert site_names(filt.cfg.default) == [C]
    assert site_names(filt.cfg.client_sites) == [B]


def test_filter_loads_by_its_egg_name(app):
    factory = loadfilter('egg:swift-autosync#placement', global_conf=CONF)
    client_request(LOGS).get_response(factory(app))
    assert app.env['swift.placement'] == [A, C]


def test_bad_rule_stops_the_filter_from_loading():
    with pytest.raises(RuleError) as caught:
        filter_factory({}, **dict(CONF, rule_logs_sites='//realm/z'))
    assert caught.value.option == 'rule_logs_sites'
    assert 'rule_logs_sites' in str(caught.value)
