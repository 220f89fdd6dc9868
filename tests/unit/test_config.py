"""Every [filter:autosync] option, and the errors for bad ones
(config.py)."""

import pytest

from autosync.config import ConfigError, parse

from helpers import A, B

PAIR = {'autosync_my_cluster': A, 'autosync_placement': '%s, %s' % (A, B),
        'autosync_key': 'k'}


@pytest.fixture
def realms(realms_conf):
    return realms_conf([('dc1', 'http://127.0.0.1:1'),
                        ('dc2', 'http://127.0.0.1:2')]).load()


def refused(conf, realms=None):
    with pytest.raises(ConfigError) as caught:
        parse(conf, realms)
    return caught.value


def assert_refused(conf, option, value, realms=None):
    err = refused(conf, realms)
    assert err.option == option
    assert option in str(err)
    assert repr(value) in str(err)
    return str(err)


# -- each option parsed --

def test_unset_my_cluster_disables_autosync():
    cfg = parse({})
    assert not cfg.enabled
    assert cfg.placement == ()


def test_defaults_for_a_single_site():
    cfg = parse({'autosync_my_cluster': A})
    assert [s.name for s in cfg.placement] == [A]
    assert (cfg.override_auth, cfg.forward_auth_token) == (False, False)
    assert (cfg.conn_timeout, cfg.node_timeout) == (0.5, 10.0)
    assert cfg.signature_window == 60.0
    assert cfg.swift_dir == '/etc/swift'


def test_placement_keeps_its_order():
    cfg = parse(dict(PAIR, autosync_placement='%s, %s' % (B, A)))
    assert [s.name for s in cfg.placement] == [B, A]
    assert cfg.my_cluster.name == A


def test_keys_are_read_and_stripped():
    cfg = parse(dict(PAIR, autosync_key=' k1 ', autosync_key2='k2'))
    assert (cfg.key, cfg.key2) == ('k1', 'k2')


@pytest.mark.parametrize('option', ['override_auth', 'forward_auth_token'])
@pytest.mark.parametrize('value, expected', [
    ('true', True), ('Yes', True), ('1', True), ('off', False),
    ('false', False)])
def test_boolean_options(option, value, expected):
    assert getattr(parse(dict(PAIR, **{option: value})), option) is expected


@pytest.mark.parametrize('option', ['conn_timeout', 'node_timeout',
                                    'signature_window'])
def test_seconds_options(option):
    assert getattr(parse(dict(PAIR, **{option: '2.5'})), option) == 2.5


def test_realm_placement_with_known_realm(realms):
    cfg = parse({'autosync_my_cluster': '//r1/dc1',
                 'autosync_placement': '//r1/dc1, //r1/dc2'}, realms)
    assert cfg.style == 'realm'
    assert [s.cluster for s in cfg.placement] == ['DC1', 'DC2']


# -- bad values name option and value --

@pytest.mark.parametrize('value', [
    'a.example.com', 'ftp://a.example.com', 'http://a.example.com:70000',
    'http://a.example.com/v1', '//realm-only'])
def test_malformed_my_cluster(value):
    assert_refused({'autosync_my_cluster': value}, 'autosync_my_cluster',
                   value)


@pytest.mark.parametrize('value, why', [
    ('%s, %s/proxy' % (A, B), 'without a path'),
    ('%s, http://b.example.com:x' % A, 'not a valid URL'),
    ('%s, http://c.example.com:8080' % B, 'not in the placement')])
def test_bad_placement(value, why):
    assert why in assert_refused(
        dict(PAIR, autosync_placement=value), 'autosync_placement', value)


@pytest.mark.parametrize('value', [
    '%s, %s, %s' % (A, B, A), '%s, %s/' % (A, A),
    '%s, %s' % (A, A.upper())])
def test_duplicate_sites(value):
    assert 'twice' in assert_refused(
        dict(PAIR, autosync_placement=value), 'autosync_placement', value)


def test_mixed_styles_in_placement():
    value = '%s, //r1/dc2' % A
    assert_refused(dict(PAIR, autosync_placement=value),
                   'autosync_placement', value)


def test_placement_of_another_style_than_my_cluster(realms):
    value = '//r1/dc1, //r1/dc2'
    assert_refused(dict(PAIR, autosync_placement=value),
                   'autosync_placement', value, realms)


def test_placement_without_my_cluster():
    assert_refused({'autosync_placement': A}, 'autosync_placement', A)


@pytest.mark.parametrize('option', ['conn_timeout', 'node_timeout',
                                    'signature_window'])
@pytest.mark.parametrize('value', ['soon', '', '0', '-1', 'inf', 'nan'])
def test_bad_seconds(option, value):
    assert_refused(dict(PAIR, **{option: value}), option, value)


@pytest.mark.parametrize('option', ['override_auth', 'forward_auth_token'])
def test_boolean_garbage(option):
    assert 'true or false' in assert_refused(
        dict(PAIR, **{option: 'maybe'}), option, 'maybe')


def test_override_auth_without_key():
    assert 'autosync_key' in assert_refused(
        {'autosync_my_cluster': A, 'override_auth': 'true'},
        'override_auth', 'true')


def test_url_style_pair_without_key():
    conf = dict(PAIR)
    del conf['autosync_key']
    assert_refused(conf, 'autosync_key', '')


def test_key2_without_key():
    conf = dict(PAIR, autosync_key='', autosync_key2='k2')
    assert_refused(conf, 'autosync_key', '')


def test_realm_without_a_key(realms):
    value = '//r1/dc1, //other/dc2'
    assert 'OTHER has no key' in assert_refused(
        {'autosync_my_cluster': '//r1/dc1', 'autosync_placement': value},
        'autosync_placement', value, realms)


def test_realm_cluster_without_endpoint(realms):
    value = '//r1/dc1, //r1/dc9'
    assert 'cluster_dc9' in assert_refused(
        {'autosync_my_cluster': '//r1/dc1', 'autosync_placement': value},
        'autosync_placement', value, realms)


def test_realm_site_without_realms_conf():
    assert_refused({'autosync_my_cluster': '//r1/dc1'},
                   'autosync_my_cluster', '//r1/dc1')


# -- a site that is down --

def test_site_down_refuses_by_default_with_swifts_error_limits():
    cfg = parse(PAIR)
    assert (cfg.site_down, cfg.defers) == ('refuse', False)
    assert (cfg.error_suppression_interval,
            cfg.error_suppression_limit) == (60.0, 10)


@pytest.mark.parametrize('value', ['defer', ' Defer '])
def test_site_down_defer(value):
    assert parse(dict(PAIR, site_down=value)).defers


@pytest.mark.parametrize('value', ['', 'later', 'true'])
def test_site_down_must_be_refuse_or_defer(value):
    why = assert_refused(dict(PAIR, site_down=value), 'site_down', value)
    assert 'expected refuse or defer' in why


@pytest.mark.parametrize('value', ['-1', 'ten', '1.5'])
def test_error_suppression_limit_is_a_whole_number(value):
    assert_refused(dict(PAIR, error_suppression_limit=value),
                   'error_suppression_limit', value)


@pytest.mark.parametrize('value', ['0', '-1', 'soon'])
def test_error_suppression_interval_is_positive_seconds(value):
    assert_refused(dict(PAIR, error_suppression_interval=value),
                   'error_suppression_interval', value)
