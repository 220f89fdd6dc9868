"""Loading the filter as a proxy does: by its egg name through
paste.deploy, from a config like etc/proxy-server.conf-sample, and
refusing a pipeline where autosync comes before auth."""

import configparser
import os

import pytest
from paste.deploy import loadfilter

from autosync.middleware import Autosync
from autosync.pipeline import check_pipeline

from helpers import REALM_KEY, FakeLogger, FakeSwift

pytestmark = pytest.mark.usefixtures('clean_registry')

SAMPLE = os.path.join(os.path.dirname(__file__), '..', '..', 'etc',
                      'proxy-server.conf-sample')
OPTIONS = ('autosync_my_cluster', 'autosync_placement', 'autosync_key',
           'autosync_key2', 'override_auth', 'forward_auth_token',
           'conn_timeout', 'node_timeout', 'signature_window')
PROXY_CONF = """
[DEFAULT]
swift_dir = %(swift_dir)s

[pipeline:main]
pipeline = %(pipeline)s

[app:proxy-server]
use = egg:swift#proxy

[filter:catch_errors]
use = egg:swift#catch_errors

[filter:tempauth]
use = egg:swift#tempauth

[filter:autosync]
use = egg:swift-autosync#autosync
autosync_my_cluster = http://127.0.0.1:8080

[filter:keystone]
use = egg:swift#tempauth

[filter:sync]
use = egg:swift-autosync#autosync
autosync_my_cluster = http://127.0.0.1:8080
"""


@pytest.fixture
def sample_conf(tmp_path, realms_conf):
    """The sample, pointed at a swift_dir whose realms file knows the
    sample's sites."""
    swift_dir = realms_conf(
        [('dc1', 'http://127.0.0.1:8080'), ('dc2', 'http://127.0.0.1:8081')],
        realm='realm1').swift_dir
    with open(SAMPLE) as f:
        text = f.read().replace('swift_dir = /etc/swift',
                                'swift_dir = %s' % swift_dir)
    path = tmp_path / 'proxy-server.conf'
    path.write_text(text)
    return str(path)


def proxy_conf(tmp_path, pipeline):
    path = tmp_path / 'proxy-server.conf'
    path.write_text(PROXY_CONF % {'swift_dir': tmp_path,
                                  'pipeline': pipeline})
    return str(path)


def sample_section(name):
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(SAMPLE)
    return parser[name]


def test_filter_loads_by_its_egg_name(tmp_path):
    factory = loadfilter('egg:swift-autosync#autosync', global_conf={
        'swift_dir': str(tmp_path),
        'autosync_my_cluster': 'http://127.0.0.1:8080'})
    filt = factory(FakeSwift())
    assert isinstance(filt, Autosync)
    assert filt.cfg.my_cluster.url == 'http://127.0.0.1:8080'


def test_filter_loads_from_the_sample_config(sample_conf):
    filt = loadfilter('config:' + sample_conf, name='autosync')(FakeSwift())
    assert filt.cfg.my_cluster.name == '//realm1/dc1'
    assert [s.name for s in filt.cfg.placement] == [
        '//realm1/dc1', '//realm1/dc2']
    assert filt.realms.key('realm1') == REALM_KEY


def test_sample_documents_every_option():
    with open(SAMPLE) as f:
        text = f.read()
    section = text[text.index('[filter:autosync]'):]
    assert [o for o in OPTIONS if o not in section] == []


def test_sample_puts_autosync_right_after_auth():
    names = sample_section('pipeline:main')['pipeline'].split()
    assert names[names.index('autosync') - 1] == 'tempauth'
    assert names.index('container_sync') < names.index('tempauth')


def test_autosync_before_auth_refuses_to_load(tmp_path):
    conf = proxy_conf(tmp_path, 'catch_errors autosync tempauth '
                                'proxy-server')
    with pytest.raises(ValueError, match='must come after tempauth'):
        loadfilter('config:' + conf, name='autosync')


def test_filters_are_known_by_entry_point_not_section_name(tmp_path):
    """tempauth under another name, autosync under another name."""
    conf = proxy_conf(tmp_path, 'catch_errors sync keystone proxy-server')
    with pytest.raises(ValueError, match='must come after keystone'):
        loadfilter('config:' + conf, name='sync')


def test_autosync_after_auth_loads(tmp_path, startup_logger):
    conf = proxy_conf(tmp_path, 'catch_errors tempauth autosync '
                                'proxy-server')
    assert loadfilter('config:' + conf, name='autosync')(FakeSwift())
    assert not any('pipeline' in line
                   for line in startup_logger.all_lines())


def test_pipeline_without_auth_warns(tmp_path):
    conf = proxy_conf(tmp_path, 'catch_errors autosync proxy-server')
    logger = FakeLogger()
    check_pipeline({'__file__': conf}, logger)
    assert 'no tempauth or keystoneauth' in logger.lines['warning'][0]


def test_unreadable_pipeline_is_not_checked(tmp_path):
    logger = FakeLogger()
    assert check_pipeline({'__file__': str(tmp_path / 'missing.conf')},
                          logger) is None
    assert logger.all_lines() == []
