"""Unit tests talk to loopback peer servers from the same process: patch
sockets for eventlet, as Swift's proxy does at start, so the fan-out's
green threads really run in parallel."""

import shutil
import socket

import eventlet

eventlet.monkey_patch(socket=True, select=True, thread=False, time=False)

import pytest  # noqa: E402
from swift.common import registry  # noqa: E402

from autosync import middleware  # noqa: E402

from helpers import (  # noqa: E402
    ACCOUNT,
    KEY,
    REALM,
    FakeLogger,
    FakeSwift,
    PeerSite,
    RealmsConf,
    write_realms_conf,
)


class Sites(object):
    """Starts PeerSites that share one placement (site 0 first) and
    stops them all at teardown. Site 0 plays "here": tests call its
    filter directly, the others are reached over loopback."""

    def __init__(self, realms_conf):
        self.started = []
        self.realms_conf = realms_conf

    def url_style(self, count, also=(), **conf):
        """``also``: more site URLs at the end of the placement, with
        no PeerSite behind them."""
        conf.setdefault('override_auth', 'true')
        sites = self._new(count)
        placement = ', '.join([site.url for site in sites] + list(also))
        for site in sites:
            site.serve(autosync_my_cluster=site.url,
                       autosync_placement=placement, autosync_key=KEY,
                       **conf)
        return sites

    def realm_style(self, count, **conf):
        conf.setdefault('override_auth', 'true')
        sites = self._new(count)
        names = ['c%d' % i for i in range(count)]
        written = self.realms_conf(
            [(name, site.url) for name, site in zip(names, sites)])
        placement = ', '.join('//%s/%s' % (REALM, name) for name in names)
        for name, site in zip(names, sites):
            site.serve(realms=written.load(),
                       autosync_my_cluster='//%s/%s' % (REALM, name),
                       autosync_placement=placement,
                       swift_dir=written.swift_dir, **conf)
        return sites

    def _new(self, count):
        sites = [PeerSite() for _ in range(count)]
        self.started.extend(sites)
        for site in sites:
            site.swift.store[ACCOUNT] = {}
        return sites

    def stop(self):
        for site in self.started:
            site.stop()


@pytest.fixture
def realms_conf():
    """``realms_conf(sites, **options)``: a RealmsConf for a swift_dir
    that ``helpers.write_realms_conf(sites, **options)`` writes; every
    one is removed at teardown."""
    written = []

    def write(sites, **options):
        written.append(write_realms_conf(sites, **options))
        return RealmsConf(written[-1])

    yield write
    for swift_dir in written:
        shutil.rmtree(swift_dir, ignore_errors=True)


@pytest.fixture
def sites(realms_conf):
    started = Sites(realms_conf)
    yield started
    started.stop()


@pytest.fixture
def swift():
    """A local FakeSwift in which the test account exists."""
    app = FakeSwift()
    app.store[ACCOUNT] = {}
    return app


@pytest.fixture
def logger():
    return FakeLogger()


@pytest.fixture
def dead_url():
    """A loopback URL where nothing listens: connection refused."""
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()
    return 'http://127.0.0.1:%d' % port


@pytest.fixture
def clean_registry(monkeypatch):
    """/info and the sensitive headers are process-wide: start empty,
    and leave them as they were."""
    monkeypatch.setattr(registry, '_swift_info', {})
    monkeypatch.setattr(registry, '_swift_admin_info', {})
    monkeypatch.setattr(registry, '_sensitive_headers', set())


@pytest.fixture
def startup_logger(monkeypatch):
    """The logger filter_factory makes, as a FakeLogger."""
    logger = FakeLogger()
    monkeypatch.setattr(middleware, 'get_logger',
                        lambda conf, log_route=None: logger)
    return logger
