"""The real pair for end-to-end tests: two (or more) Swift clusters on
free ports.

Fixtures:

``pair`` (session)
    Realm-style pair with autosync, brought up once per session in a
    temporary data directory (on /dev/shm when the machine has it) and
    always taken down (and wiped) at the end.
``url_pair`` (session)
    The same in full-URL style; started only if a test asks for it.
``pair3`` (session)
    Realm-style, three sites (A -> B -> C -> A) with autosync; started
    only if a test asks for it.
``pair_factory`` (session)
    ``pair_factory(style='realm', autosync=True, sync_interval=5.0,
    sites=2, placement_conf=None)`` brings up one more pair; all are
    taken down at the end. ``sites=3`` gives clusters a, b and c in one
    realm; ``placement_conf`` is the text of a ``[filter:placement]``
    section for every proxy (``autosync-pair up --placement-conf``).

A :class:`Pair` has ``a`` and ``b`` (and ``c``... with more sites:
:class:`Cluster`), ``clusters`` (all of them, in ring order),
``data_dir``, ``style``, ``run(*args)`` (the ``autosync-pair`` command),
``env(cluster, user)``, ``sync_once()`` (one container-sync pass on
every cluster, in turn), ``wait_until(check, timeout)`` and ``down()``.

A :class:`Cluster` has ``name`` ('a', 'b'...), ``port``, ``proxy_url``,
``auth_url``, ``users`` (``'test:tester' -> key``), ``swift_dir``,
``log_dir``, ``get_auth(user)`` -> (storage_url, token),
``connection(user)`` (a swiftclient Connection), ``sync_once()`` (one
container-sync pass now, so tests need not sleep), ``stop()`` and
``start()`` (the whole cluster, for "site down" tests).

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

from autosync.pair import health
from autosync.pair.layout import PORT_OFFSETS, SITE_NAMES, USERS, Layout
from e2e_helpers import pair_for_module

DEFAULT_USER = 'test:tester'
UP_TIMEOUT = 180
# Below Linux's ephemeral range (32768-60999), away from SAIO's ports.
PORT_RANGE = (20000, 32000)
UP_ATTEMPTS = 3


def autosync_pair_command() -> List[str]:
    return [sys.executable, '-m', 'autosync.pair.cli']


def free_base_port(taken: set) -> int:
    """A base port whose 5 consecutive ports are free on 127.0.0.1."""
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


def pair_data_parent() -> str:
    if os.path.isdir('/dev/shm') and os.access('/dev/shm', os.W_OK):
        return '/dev/shm'
    return tempfile.gettempdir()


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
    port: int

    @property
    def proxy_url(self) -> str:
        return 'http://127.0.0.1:%d' % self.port

    @property
    def auth_url(self) -> str:
        return self.proxy_url + '/auth/v1.0'

    @property
    def users(self) -> Dict[str, str]:
        return {'%s:%s' % (account, user): key
                for account, user, key, _ in USERS}

    @property
    def swift_dir(self) -> str:
        return self.pair.layout.swift_dir(self.name)

    @property
    def log_dir(self) -> str:
        return self.pair.layout.log_dir(self.name)

    def get_auth(self, user: str = DEFAULT_USER) -> Tuple[str, str]:
        """(storage URL, token) for ``user`` on this cluster."""
        from swiftclient import client

        return client.get_auth(self.auth_url, user, self.users[user])

    def connection(self, user: str = DEFAULT_USER):
        from swiftclient import client

        return client.Connection(self.auth_url, user, self.users[user],
                                 retries=0)

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

    def __init__(self, data_dir: str, ports: Dict[str, int], style: str):
        self.data_dir = data_dir
        self.layout = Layout(data_dir)
        self.style = style
        self.clusters: Tuple[Cluster, ...] = tuple(
            Cluster(self, name, port) for name, port in sorted(ports.items()))
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


def require_memcached() -> None:
    if shutil.which('memcached') or shutil.which(
            'memcached', path='/usr/bin:/usr/sbin:/usr/local/bin'):
        return
    message = 'memcached is not installed (apt-get install memcached)'
    if os.environ.get('CI'):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope='session')
def pair_factory():
    """Bring up pairs on free ports; take every one down at the end."""
    started: List[Pair] = []
    taken: set = set()
    keep = bool(os.environ.get('AUTOSYNC_PAIR_KEEP'))

    def make(style: str = 'realm', autosync: bool = True,
             sync_interval: float = 5.0, sites: int = 2,
             placement_conf: Optional[str] = None) -> Pair:
        require_memcached()
        for attempt in range(UP_ATTEMPTS):
            data_dir = tempfile.mkdtemp(prefix='autosync-pair-',
                                        dir=pair_data_parent())
            ports = {c: free_base_port(taken) for c in SITE_NAMES[:sites]}
            new = Pair(data_dir, ports, style)
            started.append(new)
            args = ['up', '--sites', str(sites), '--style', style,
                    '--autosync' if autosync else '--no-autosync',
                    '--sync-interval', str(sync_interval)]
            for name, port in ports.items():
                args += ['--port-' + name, str(port)]
            if placement_conf is not None:
                path = os.path.join(data_dir, 'placement.conf')
                with open(path, 'w') as f:
                    f.write(placement_conf)
                args += ['--placement-conf', path]
            try:
                new.run(*args)
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
            if getattr(each, 'is_down', False):
                continue
            try:
                each.down(wipe=not keep)
            except Exception as e:  # one failed teardown must not stop
                print('autosync-pair down failed for %s: %s'
                      % (each.data_dir, e), file=sys.stderr)
            if not keep:
                shutil.rmtree(each.data_dir, ignore_errors=True)


@pytest.fixture(scope='session')
def pair(pair_factory) -> Pair:
    """The realm-style pair with autosync, shared by the whole session."""
    return pair_factory()


@pytest.fixture(scope='module')
def pair3(pair_factory) -> Pair:
    """Three realm-style sites with autosync, A -> B -> C -> A."""
    yield from pair_for_module(pair_factory, sites=3)


@pytest.fixture(scope='module')
def url_pair(pair_factory) -> Pair:
    """A full-URL-style pair, started only when a test asks for it."""
    yield from pair_for_module(pair_factory, style='url')
