"""Settings of a pair and where its files live.

Everything of one pair lives under one data directory::

    DATA/pair.json              settings and generated secrets
    DATA/a/etc/                 cluster A's swift_dir: swift.conf, rings,
                                every server's conf, realms conf
    DATA/a/node/d1/             its one device (d1 d2 d3 with
                                --replicas 3, one per storage node)
    DATA/a/log/NAME.log         one log per process
    DATA/a/run/NAME.pid         one PID file per process
    DATA/a/cache/               recon cache
    DATA/b/...                  the same for cluster B (and C, D, E
                                with --sites 3 and more)

The default data directory is on tmpfs (/dev/shm) when the machine has
it: Swift keeps object metadata in xattrs, and ext4 holds only about
3.5 KiB of them per inode, less than Swift's own metadata limits.
"""

import dataclasses
import getpass
import json
import os
import secrets
from typing import Dict, Iterable, Iterator, List, Optional, Tuple

# Sites are named a, b, c...; cluster x's base port is 8180 + 100 * i.
SITE_NAMES = ('a', 'b', 'c', 'd', 'e')
DEFAULT_SITES = 2
CLUSTERS = SITE_NAMES[:DEFAULT_SITES]
REALM = 'autosync'
STYLES = ('realm', 'url')
DEFAULT_PORTS = {c: 8180 + 100 * i for i, c in enumerate(SITE_NAMES)}
DEFAULT_SYNC_INTERVAL = 5.0
# The filter's site_down: the pair shows the reconciler carrying what a
# site that was down missed.
SITE_DOWN_MODES = ('refuse', 'defer')
AUTH_MODES = ('tempauth', 'keystone')
DEFAULT_SITE_DOWN = 'defer'
DATA_DIR_ENV = 'AUTOSYNC_PAIR_DIR'
SETTINGS_FILE = 'pair.json'

# A site's proxies (--proxies): the first on the base port, the others
# on ports of their own, all sharing the site's memcached.
MAX_PROXIES = 4

# Offsets from a cluster's base port; SAIO uses 8080, 6200-6240,
# 6010-6042 and 11211, which the default bases stay clear of. Every
# cluster keeps them all, used or not, so that --proxies never moves a
# port.
PORT_OFFSETS = {
    'proxy': 0,
    'account': 1,
    'container': 2,
    'object': 3,
    'memcached': 4,
    # Cluster A's only, with --auth keystone: the Keystone they share.
    'keystone': 5,
}
PORT_OFFSETS.update(('proxy%d' % n, 4 + n)
                    for n in range(2, MAX_PROXIES + 1))
# --replicas 3: a storage node each (account, container and object
# servers on a device of its own, d1 d2 d3); node 1 has the ports above.
REPLICA_CHOICES = (1, 3)
NODE_KINDS = ('account', 'container', 'object')
PORT_OFFSETS.update(
    ('%s%d' % (kind, n), 9 + 3 * (n - 2) + i)
    for n in range(2, max(REPLICA_CHOICES) + 1)
    for i, kind in enumerate(NODE_KINDS))
# The rsync daemon the DB replicators copy whole DBs through.
PORT_OFFSETS['rsync'] = 15
# Where the cluster's proxies and reconcilers send StatsD metrics (UDP;
# nothing of the pair listens: a test or an operator may).
PORT_OFFSETS['statsd'] = 16


def proxy_port_key(number: int) -> str:
    """The PORT_OFFSETS key of a site's proxy ``number`` (1 first)."""
    return 'proxy' if number == 1 else 'proxy%d' % number


def node_port_key(kind: str, node: int) -> str:
    """The PORT_OFFSETS key of storage node ``node``'s ``kind``
    (account, container, object) server (1 first)."""
    return kind if node == 1 else '%s%d' % (kind, node)


def device_name(node: int) -> str:
    return 'd%d' % node

# tempauth users: (account, user, key, groups)
USERS = (
    ('test', 'tester', 'testing', '.admin'),
    ('test', 'tester2', 'testing2', '.admin'),
    ('test', 'tester3', 'testing3', ''),
    ('test2', 'tester2', 'testing2', '.admin'),
    ('admin', 'admin', 'admin', '.admin .reseller_admin'),
    # In group "service": may use SERVICE_ accounts with another user's
    # token (Swift's service tokens), as in Swift's own test setup.
    ('test5', 'tester5', 'testing5', 'service'),
)


def tmpfs_dir() -> Optional[str]:
    """/dev/shm when this machine has one we may write to, else None."""
    if os.path.isdir('/dev/shm') and os.access('/dev/shm', os.W_OK):
        return '/dev/shm'
    return None


def default_data_dir() -> str:
    """$AUTOSYNC_PAIR_DIR, else a per-user directory on tmpfs if any."""
    from_env = os.environ.get(DATA_DIR_ENV)
    if from_env:
        return os.path.abspath(from_env)
    user = getpass.getuser()
    tmpfs = tmpfs_dir()
    if tmpfs:
        return os.path.join(tmpfs, 'autosync-pair-%s' % user)
    state = os.environ.get('XDG_STATE_HOME') or os.path.expanduser(
        '~/.local/state')
    return os.path.join(state, 'autosync-pair')


@dataclasses.dataclass(frozen=True)
class Settings:
    """What ``up`` was asked for, plus secrets generated once."""

    ports: Dict[str, int]
    style: str = 'realm'
    autosync: bool = True
    sync_interval: float = DEFAULT_SYNC_INTERVAL
    realm_key: str = ''
    autosync_key: str = ''
    hash_suffixes: Dict[str, str] = dataclasses.field(default_factory=dict)
    sites: int = DEFAULT_SITES
    # A [filter:placement] section for every proxy, '' for none.
    placement_conf: str = ''
    site_down: str = DEFAULT_SITE_DOWN
    # Seconds a failing site stays error-limited (Swift's default).
    error_suppression_interval: float = 60.0
    # The filter's read_fallback: an object not here yet is read from
    # another site of its placement.
    read_fallback: bool = False
    # s3api in every proxy, before auth (S3 keys: ACCOUNT:USER, KEY; with
    # Keystone, s3token and EC2 credentials PROJECT:USER, password).
    s3: bool = False
    # tempauth in every proxy, or one Keystone shared by every cluster
    # with authtoken and keystoneauth in every proxy (keystone.py).
    auth: str = 'tempauth'
    # Proxy servers per site (the realm's endpoint is the first: a load
    # balancer's place).
    proxies: int = 1
    # Replicas of every ring: one storage node each, with replicators.
    replicas: int = 1

    @classmethod
    def new(cls, ports: Optional[Dict[str, int]] = None,
            **choices) -> 'Settings':
        return cls(ports=dict(ports or {}),
                   realm_key=secrets.token_hex(32),
                   autosync_key=secrets.token_hex(32),
                   **choices).completed()

    def completed(self) -> 'Settings':
        """These settings with a port and a hash suffix for each cluster.

        Both are kept for clusters left out by a smaller ``sites``: the
        suffix must stay the same for as long as the cluster's data does.
        """
        ports = {c: DEFAULT_PORTS[c] for c in self.clusters}
        suffixes = {c: secrets.token_hex(16) for c in self.clusters}
        return dataclasses.replace(
            self, ports=dict(ports, **self.ports),
            hash_suffixes=dict(suffixes, **self.hash_suffixes))

    @property
    def clusters(self) -> Tuple[str, ...]:
        return SITE_NAMES[:self.sites]

    def port(self, cluster: str, service: str) -> int:
        return self.ports[cluster] + PORT_OFFSETS[service]

    def all_ports(self) -> Dict[int, str]:
        """Every port of the pair -> a label naming its owner."""
        return {self.port(c, s): '%s %s' % (c, s)
                for c in self.clusters for s in PORT_OFFSETS}

    def check(self) -> None:
        """Raise ValueError naming the option when settings conflict."""
        if self.style not in STYLES:
            raise ValueError('style %r: must be one of %s'
                             % (self.style, ', '.join(STYLES)))
        if not DEFAULT_SITES <= self.sites <= len(SITE_NAMES):
            raise ValueError('--sites %r: must be between %d and %d'
                             % (self.sites, DEFAULT_SITES, len(SITE_NAMES)))
        self.check_ports()
        if self.site_down not in SITE_DOWN_MODES:
            raise ValueError('--site-down %r: must be %s' % (
                self.site_down, ' or '.join(SITE_DOWN_MODES)))
        if self.error_suppression_interval <= 0:
            raise ValueError('--error-suppression-interval %r: must be '
                             'positive' % self.error_suppression_interval)
        if self.auth not in AUTH_MODES:
            raise ValueError('--auth %r: must be %s' % (
                self.auth, ' or '.join(AUTH_MODES)))
        if self.replicas not in REPLICA_CHOICES:
            raise ValueError('--replicas %r: must be %s' % (
                self.replicas, ' or '.join(map(str, REPLICA_CHOICES))))
        if not 1 <= self.proxies <= MAX_PROXIES:
            raise ValueError('--proxies %r: must be between 1 and %d'
                             % (self.proxies, MAX_PROXIES))
        if self.sync_interval <= 0:
            raise ValueError('--sync-interval %r: must be positive'
                             % self.sync_interval)

    def check_ports(self) -> None:
        for cluster in self.clusters:
            base = self.ports[cluster]
            if not 1024 <= base <= 65535 - len(PORT_OFFSETS):
                raise ValueError('--port-%s %r: must be between 1024 and %d'
                                 % (cluster, base,
                                    65535 - len(PORT_OFFSETS)))
        if len(self.all_ports()) != len(self.clusters) * len(PORT_OFFSETS):
            raise ValueError(
                '%s: each cluster uses %d consecutive ports, and they '
                'overlap' % (', '.join('--port-%s %d' % (c, self.ports[c])
                                       for c in self.clusters),
                             len(PORT_OFFSETS)))

    def changes(self, other: 'Settings') -> List[str]:
        """What differs from ``other``, one phrase per setting."""
        mine, theirs = dataclasses.asdict(self), dataclasses.asdict(other)
        return ['%s %s, not %s' % (name, mine[name], theirs[name])
                if name in SHOWN_SETTINGS else name
                for name in mine if mine[name] != theirs[name]]


# Settings an error message may show (the others are secrets or long).
SHOWN_SETTINGS = ('ports', 'style', 'autosync', 'sync_interval', 'sites',
                  'site_down', 'read_fallback', 's3', 'auth', 'proxies',
                  'replicas')


@dataclasses.dataclass(frozen=True)
class Layout:
    """Paths of one pair's files under its data directory."""

    data_dir: str

    @property
    def settings_file(self) -> str:
        return os.path.join(self.data_dir, SETTINGS_FILE)

    def cluster_dir(self, cluster: str) -> str:
        return os.path.join(self.data_dir, cluster)

    def swift_dir(self, cluster: str) -> str:
        return os.path.join(self.cluster_dir(cluster), 'etc')

    def conf(self, cluster: str, name: str) -> str:
        return os.path.join(self.swift_dir(cluster), name)

    def devices(self, cluster: str) -> str:
        return os.path.join(self.cluster_dir(cluster), 'node')

    def log_dir(self, cluster: str) -> str:
        return os.path.join(self.cluster_dir(cluster), 'log')

    def log(self, cluster: str, process: str) -> str:
        return os.path.join(self.log_dir(cluster), process + '.log')

    def run_dir(self, cluster: str) -> str:
        return os.path.join(self.cluster_dir(cluster), 'run')

    def pid_file(self, cluster: str, process: str) -> str:
        return os.path.join(self.run_dir(cluster), process + '.pid')

    def cache_dir(self, cluster: str) -> str:
        return os.path.join(self.cluster_dir(cluster), 'cache')

    def directories(self, clusters: Iterable[str],
                    replicas: int = 1) -> Iterator[str]:
        for cluster in clusters:
            yield self.swift_dir(cluster)
            for node in range(1, replicas + 1):
                yield os.path.join(self.devices(cluster), device_name(node))
            yield self.log_dir(cluster)
            yield self.run_dir(cluster)
            yield self.cache_dir(cluster)

    def clusters_on_disk(self) -> List[str]:
        """Every cluster that has a run directory here, running or not."""
        return [c for c in SITE_NAMES if os.path.isdir(self.run_dir(c))]

    def load_settings(self) -> Optional[Settings]:
        """The saved settings, or None when no pair was set up here."""
        try:
            with open(self.settings_file) as f:
                saved = json.load(f)
        except FileNotFoundError:
            return None
        return Settings(**saved)

    def save_settings(self, settings: Settings) -> None:
        os.makedirs(self.data_dir, exist_ok=True)
        temporary = self.settings_file + '.tmp'
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, 'w') as f:
            json.dump(dataclasses.asdict(settings), f, indent=2,
                      sort_keys=True)
        os.replace(temporary, self.settings_file)
