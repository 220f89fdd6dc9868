"""The real pair for end-to-end tests: two (or more) Swift clusters on
free ports.

Fixtures:

``pair`` (session)
    Realm-style pair with autosync, brought up once per session in a
    temporary data directory (on /dev/shm when the machine has it) and
    always taken down (and wiped) at the end.
``url_pair`` (session)
    The same in full-URL style; started only if a test asks for it.
``pair3`` (module)
    Realm-style, three sites (A -> B -> C -> A) with autosync; started
    only if a test asks for it.
``trio`` (module)
    Three realm-style sites whose placement filter puts logs-*
    containers on A and C only (``e2e_helpers.logs_rules('ac')``).
``pair_factory`` (session)
    ``pair_factory(style='realm', autosync=True, sync_interval=5.0,
    sites=2, placement_conf=None, site_down='refuse',
    error_suppression_interval=None)`` brings up one
    more pair (``autosync-pair up`` defers by default; tests of a site
    that is down say which mode they test); all are
    taken down at the end. ``sites=3`` gives clusters a, b and c in one
    realm; ``placement_conf`` is the text of a ``[filter:placement]``
    section for every proxy (``autosync-pair up --placement-conf``).
``sites`` (function)
    ``e2e_helpers.Sites`` of ``pair`` as test:tester: its connections to
    A and B, and every container the test named removed at the end.

A :class:`Pair` has ``a`` and ``b`` (and ``c``... with more sites:
:class:`Cluster`), ``clusters`` (all of them, in ring order),
``layout`` and ``settings`` (autosync.pair's, as ``up`` saved them),
``data_dir``, ``style``, ``run(*args)`` (the ``autosync-pair`` command),
``env(cluster, user)``, ``sync_once()`` (one container-sync pass on
every cluster, in turn), ``wait_until(check, timeout)`` and ``down()``.

A :class:`Cluster` has ``name`` ('a', 'b'...), ``port`` (its proxy's;
``service_port(service)`` for another server's), ``proxy_url``,
``auth_url``, ``swift_dir``, ``log_dir``, ``get_auth(user)`` ->
(storage_url, token), ``connection(user)`` (a swiftclient Connection),
``sync_once()`` (one container-sync pass now, so tests need not sleep),
``stop()`` and ``start()`` (the whole cluster, for "site down" tests).
All of it comes from autosync.pair: ports from the saved settings, URLs
from its render and cli modules, users from ``USERS``, paths from
``Layout``.

Set AUTOSYNC_PAIR_KEEP=1 to keep the data directories (logs included)
after the session.
"""

import dataclasses
import os
import shutil
import subprocess
import sys
import tempfile
import time
from typing import Callable, Dict, List, Optional, Tuple

import pytest

from autosync.pair import cli, health, keystone, render
from autosync.pair.cli import DEFAULT_USER
from autosync.pair.layout import (
    DEFAULT_SYNC_INTERVAL,
    PORT_OFFSETS,
    SITE_NAMES,
    Layout,
    Settings,
    tmpfs_dir,
)

from e2e_helpers import Sites, logs_rules, pair_for_module

# A pair comes up in 30-60 s on a quiet 2-core machine; a Keystone pair
# took more than 180 s at a load average of 50 (two test processes and
# more pairs beside them).
UP_TIMEOUT = 600
# Below Linux's ephemeral range (32768-60999), away from SAIO's ports.
PORT_RANGE = (20000, 32000)
UP_ATTEMPTS = 3


def autosync_pair_command() -> List[str]:
    return [sys.executable, '-m', 'autosync.pair.cli']


def free_base_port(taken: set) -> int:
    """A base port whose consecutive ports (one per PORT_OFFSETS) are free."""
    span = len(PORT_OFFSETS)
    for base in range(PORT_RANGE[0], PORT_RANGE[1], 10 * span):
        base += (os.getpid() * 7) % (9 * span)  # spread parallel sessions
        ports = range(base, base + span)
        if taken.isdisjoint(ports) and not any(
                health.port_in_use(p) for p in ports):
            taken.update(ports)
            return base
    raise RuntimeError('no %d consecutive free ports in %s' % (span,
                                                              PORT_RANGE))


def wait_until(check: Callable[[], object], timeout: float = 30.0,
               interval: float = 0.1):
    """Poll ``check`` until it returns something true; return that.

    Raises AssertionError naming the check after ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError('%s still false after %gs'
                                 % (getattr(check, '__name__', check),
                                    timeout))
        time.sleep(interval)


@dataclasses.dataclass
class Cluster:
    """One cluster of a running pair."""

    pair: 'Pair'
    name: str

    def service_port(self, service: str) -> int:
        """The port of this cluster's ``service`` (a key of
        autosync.pair.layout.PORT_OFFSETS)."""
        return self.pair.settings.port(self.name, service)

    @property
    def port(self) -> int:
        return self.service_port('proxy')

    @property
    def proxy_url(self) -> str:
        return render.proxy_url(self.pair.settings, self.name)

    @property
    def proxy_urls(self) -> List[str]:
        """Every proxy of this cluster (``--proxies``), the realm's
        endpoint first."""
        return render.proxy_urls(self.pair.settings, self.name)

    @property
    def auth_url(self) -> str:
        return cli.auth_url(self.pair.settings, self.name)

    @property
    def swift_dir(self) -> str:
        return self.pair.layout.swift_dir(self.name)

    @property
    def log_dir(self) -> str:
        return self.pair.layout.log_dir(self.name)

    def get_auth(self, user: str = DEFAULT_USER) -> Tuple[str, str]:
        """(storage URL, token) for ``user`` on this cluster."""
        return self.connection(user).get_auth()

    def connection(self, user: str = DEFAULT_USER):
        """``user``'s swiftclient connection to this cluster: tempauth's
        ACCOUNT:USER, or on a Keystone pair PROJECT:USER through the
        catalog (this cluster's region)."""
        from swiftclient import client

        if self.pair.settings.auth != 'keystone':
            return client.Connection(self.auth_url, user,
                                     cli.user_key(user), retries=0)
        found = keystone.find_user(*user.split(':', 1))
        return client.Connection(
            authurl=self.auth_url, user=found.name, key=found.password,
            auth_version='3', retries=0, os_options={
                'project_name': found.project,
                'user_domain_name': found.domain,
                'project_domain_name': found.domain,
                'region_name': self.name})

    def sync_once(self) -> None:
        """One container-sync pass over this cluster's containers now."""
        self.pair.run('sync', self.name)

    def stop(self) -> None:
        """Stop every process of this cluster (its data stays)."""
        self.pair.run('down', '--cluster', self.name)

    def start(self) -> None:
        """Start whatever of the pair is stopped; wait until it answers."""
        self.pair.run('up')


class Pair:
    """A running pair, driven through the ``autosync-pair`` command."""

    def __init__(self, data_dir: str):
        self.layout = Layout(data_dir)
        self.settings: Optional[Settings] = None  # known once it is up
        self.clusters: Tuple[Cluster, ...] = ()

    @property
    def data_dir(self) -> str:
        return self.layout.data_dir

    @property
    def style(self) -> str:
        return self.settings.style

    def up(self, *args: str) -> None:
        """``autosync-pair up ARGS``; then the clusters its saved
        settings name."""
        self.run('up', *args)
        self.settings = self.layout.load_settings()
        self.clusters = tuple(Cluster(self, name)
                              for name in self.settings.clusters)
        for cluster in self.clusters:
            setattr(self, cluster.name, cluster)  # pair.a, pair.b...

    def run(self, *args: str) -> str:
        """Run ``autosync-pair ARGS --data-dir DIR``; return its stdout."""
        result = subprocess.run(
            autosync_pair_command() + list(args)
            + ['--data-dir', self.data_dir],
            stdin=subprocess.DEVNULL, capture_output=True, text=True,
            timeout=UP_TIMEOUT)
        if result.returncode:
            raise AssertionError('autosync-pair %s exited %d:\n%s%s' % (
                ' '.join(args), result.returncode, result.stdout,
                result.stderr))
        return result.stdout

    def env(self, cluster: str, user: str = DEFAULT_USER) -> Dict[str, str]:
        """The variables ``autosync-pair env`` exports, as a dict."""
        found = {}
        for line in self.run('env', cluster, '--user', user).splitlines():
            name, _, value = line.replace('export ', '', 1).partition('=')
            found[name] = value.strip("'")
        return found

    def sync_once(self) -> None:
        for cluster in self.clusters:
            cluster.sync_once()

    wait_until = staticmethod(wait_until)

    def down(self, wipe: bool = True) -> None:
        self.run('down', *(['--wipe'] if wipe else []))
        self.is_down = True


def require_program(name: str, why: str = '') -> None:
    """Skip (fail in CI, which installs it) without ``name``."""
    if shutil.which(name) or shutil.which(
            name, path='/usr/bin:/usr/sbin:/usr/local/bin'):
        return
    message = '%s is not installed (apt-get install %s)%s' % (name, name,
                                                              why)
    if os.environ.get('CI'):
        pytest.fail(message)
    pytest.skip(message)


def take_down(pair: Pair, keep: bool) -> None:
    """``down`` (with ``--wipe`` unless ``keep``), never raising: one
    failed teardown must not stop the others."""
    try:
        pair.down(wipe=not keep)
    except Exception as e:
        print('autosync-pair down failed for %s: %s' % (pair.data_dir, e),
              file=sys.stderr)
    if not keep:
        shutil.rmtree(pair.data_dir, ignore_errors=True)


def up_choices(style: str, autosync: bool, sync_interval: float,
               sites: int, site_down: str,
               error_suppression_interval: Optional[float],
               read_fallback: bool, s3: bool, auth: str,
               proxies: int = 1, replicas: int = 1) -> List[str]:
    """``autosync-pair up``'s arguments but the ports and placement."""
    choices = ['--sites', str(sites), '--proxies', str(proxies),
               '--replicas', str(replicas),
               '--style', style,
               '--autosync' if autosync else '--no-autosync',
               '--sync-interval', str(sync_interval),
               '--site-down', site_down]
    if read_fallback:
        choices.append('--read-fallback')
    if s3:
        choices.append('--s3')
    if auth != 'tempauth':
        choices += ['--auth', auth]
    if error_suppression_interval is not None:
        choices += ['--error-suppression-interval',
                    str(error_suppression_interval)]
    return choices


@pytest.fixture(scope='session')
def pair_factory():
    """Bring up pairs on free ports; take every one down at the end.
    ``make``'s arguments are ``autosync-pair up``'s (``read_fallback``
    is ``--read-fallback``, ``s3`` ``--s3``, ``auth`` ``--auth``,
    ``proxies`` ``--proxies``, ``replicas`` ``--replicas``)."""
    started: List[Pair] = []
    taken: set = set()
    keep = bool(os.environ.get('AUTOSYNC_PAIR_KEEP'))

    def make(style: str = 'realm', autosync: bool = True,
             sync_interval: float = DEFAULT_SYNC_INTERVAL, sites: int = 2,
             placement_conf: Optional[str] = None,
             site_down: str = 'refuse',
             error_suppression_interval: Optional[float] = None,
             read_fallback: bool = False, s3: bool = False,
             auth: str = 'tempauth', proxies: int = 1,
             replicas: int = 1) -> Pair:
        require_program('memcached')
        if replicas > 1:
            require_program('rsync', ": Swift's DB replicators copy with "
                            'it')
        choices = up_choices(style, autosync, sync_interval, sites,
                             site_down, error_suppression_interval,
                             read_fallback, s3, auth, proxies, replicas)
        for attempt in range(UP_ATTEMPTS):
            # Swift keeps object metadata in xattrs: tmpfs holds more.
            data_dir = tempfile.mkdtemp(prefix='autosync-pair-',
                                        dir=tmpfs_dir())
            ports = {c: free_base_port(taken) for c in SITE_NAMES[:sites]}
            new = Pair(data_dir)
            started.append(new)
            args = list(choices)
            for name, port in ports.items():
                args += ['--port-' + name, str(port)]
            if placement_conf is not None:
                path = os.path.join(data_dir, 'placement.conf')
                with open(path, 'w') as f:
                    f.write(placement_conf)
                args += ['--placement-conf', path]
            try:
                new.up(*args)
                return new
            except AssertionError as err:
                # Another process took a port between our check and up.
                if 'already in use' not in str(err) or \
                        attempt == UP_ATTEMPTS - 1:
                    raise

    try:
        yield make
    finally:
        for each in started:
            if not getattr(each, 'is_down', False):
                take_down(each, keep)


@pytest.fixture(scope='session')
def pair(pair_factory) -> Pair:
    """The realm-style pair with autosync, shared by the whole session."""
    return pair_factory()


@pytest.fixture(scope='module')
def pair3(pair_factory) -> Pair:
    """Three realm-style sites with autosync, A -> B -> C -> A."""
    yield from pair_for_module(pair_factory, sites=3)


@pytest.fixture(scope='module')
def trio(pair_factory) -> Pair:
    """Three sites, logs-* containers on A and C only; a module's own
    (a test may restart it with other rules)."""
    yield from pair_for_module(pair_factory, sites=3,
                               placement_conf=logs_rules('ac'))


@pytest.fixture(scope='module')
def url_pair(pair_factory) -> Pair:
    """A full-URL-style pair, started only when a test asks for it."""
    yield from pair_for_module(pair_factory, style='url')


@pytest.fixture
def sites(pair) -> Sites:
    with Sites(pair) as both:
        yield both
