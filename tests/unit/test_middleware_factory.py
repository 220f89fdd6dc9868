"""Rule 9 and the configuration table, through filter_factory as paste
calls it: /info, the sensitive header, startup warnings, refusal to
start misconfigured."""

import json

import pytest
from swift.common import registry

from autosync.config import ConfigError
from autosync.middleware import Autosync, filter_factory

from helpers import A, B, FakeSwift

PAIR = {'autosync_my_cluster': A, 'autosync_placement': '%s,%s/' % (A, B),
        'autosync_key': 'sekrit-key', 'autosync_key2': 'older-key',
        'override_auth': 'true'}


pytestmark = pytest.mark.usefixtures('clean_registry')


def load(tmp_path, **local_conf):
    return filter_factory({'swift_dir': str(tmp_path)}, **local_conf)


def test_factory_returns_a_filter_around_the_app(tmp_path):
    app = FakeSwift()
    filt = load(tmp_path, **PAIR)(app)
    assert isinstance(filt, Autosync)
    assert filt.app is app


def test_info_names_this_cluster_and_the_placement(tmp_path):
    load(tmp_path, **PAIR)
    info = registry.get_swift_info()['autosync']
    assert info['my_cluster'] == A
    assert info['placement'] == [A, B]


def test_info_never_shows_the_keys(tmp_path):
    load(tmp_path, **PAIR)
    published = json.dumps(registry.get_swift_info(admin=True))
    assert 'sekrit-key' not in published
    assert 'older-key' not in published


def test_signature_header_is_hidden_from_proxy_logs(tmp_path):
    load(tmp_path, **PAIR)
    assert 'x-autosync-auth' in registry.get_sensitive_headers()


def test_unset_my_cluster_warns_once_at_startup(tmp_path, startup_logger):
    load(tmp_path)
    assert len(startup_logger.lines['warning']) == 1
    assert 'autosync_my_cluster is not set' in \
        startup_logger.lines['warning'][0]
    assert registry.get_swift_info()['autosync']['my_cluster'] is None


def test_pair_without_any_way_to_authenticate_warns(tmp_path,
                                                    startup_logger):
    load(tmp_path, **dict(PAIR, override_auth='false'))
    assert any('neither override_auth nor forward_auth_token' in line
               for line in startup_logger.lines['warning'])


def test_global_conf_is_merged_under_filter_conf(tmp_path):
    filt = filter_factory(
        {'swift_dir': str(tmp_path), 'node_timeout': '3'},
        **dict(PAIR, node_timeout='4'))(FakeSwift())
    assert filt.cfg.node_timeout == 4.0
    assert filt.cfg.swift_dir == str(tmp_path)


@pytest.mark.parametrize('option, value', [
    ('autosync_my_cluster', 'proxy-a:8080'),
    ('autosync_placement', B),
    ('conn_timeout', 'half a second'),
    ('override_auth', 'sometimes')])
def test_factory_refuses_a_bad_value(tmp_path, option, value):
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, **dict(PAIR, **{option: value}))
    assert option in str(caught.value)
    assert value in str(caught.value)
    assert 'autosync' not in registry.get_swift_info()


def test_factory_refuses_override_auth_without_a_key(tmp_path):
    with pytest.raises(ConfigError, match='override_auth'):
        load(tmp_path, autosync_my_cluster=A, override_auth='true')


def test_realm_style_needs_the_realm_in_swift_dir(tmp_path):
    with pytest.raises(ConfigError, match='container-sync-realms.conf'):
        load(tmp_path, autosync_my_cluster='//realm1/dc1')
