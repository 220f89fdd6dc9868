"""The processes of one cluster and their command lines.

Every Swift process runs through :mod:`autosync.pair.launcher` (its own
swift_dir) with ``-v``, so that its log goes to its log file: there is
no syslog (/dev/log) to rely on.
"""

import dataclasses
import getpass
import shutil
import sys
from typing import List, Optional, Tuple

from autosync.pair.layout import (
    MAX_PROXIES,
    NODE_KINDS,
    REPLICA_CHOICES,
    Layout,
    Settings,
    node_port_key,
    proxy_port_key,
)


@dataclasses.dataclass(frozen=True)
class Service:
    """One process of a cluster."""

    name: str
    entry_point: Optional[str]  # module:function; None for memcached
    conf: Optional[str]  # configuration file name in swift_dir
    port: Optional[str]  # key of PORT_OFFSETS it listens on, if any

    @property
    def is_server(self) -> bool:
        return self.port is not None


MEMCACHED = Service('memcached', None, None, 'memcached')
ENTRY_POINTS = {
    'account-server': 'swift.account.server:main',
    'container-server': 'swift.container.server:main',
    'object-server': 'swift.obj.server:main',
    'container-sync': 'swift.container.sync:main',
    'container-updater': 'swift.container.updater:main',
    'object-updater': 'swift.obj.updater:main',
    'account-replicator': 'swift.account.replicator:main',
    'container-replicator': 'swift.container.replicator:main',
    'object-replicator': 'swift.obj.replicator:main',
}
# (daemon, the server whose conf it reads): every node's.
NODE_DAEMONS = (('container-sync', 'container'),
                ('container-updater', 'container'),
                ('object-updater', 'object'))
# With --replicas 3 only: each node's replicators.
REPLICATORS = (('account-replicator', 'account'),
               ('container-replicator', 'container'),
               ('object-replicator', 'object'))


def suffixed(name: str, node: int) -> str:
    """Node 1's processes keep the names they have with one replica."""
    return name if node == 1 else '%s-%d' % (name, node)


def node_servers(node: int) -> Tuple[Service, ...]:
    """Storage node ``node``'s account, container and object servers."""
    return tuple(
        Service(suffixed(kind + '-server', node),
                ENTRY_POINTS[kind + '-server'],
                suffixed(kind + '-server', node) + '.conf',
                node_port_key(kind, node))
        for kind in NODE_KINDS)


def node_daemons(node: int, daemons=NODE_DAEMONS) -> Tuple[Service, ...]:
    return tuple(Service(suffixed(name, node), ENTRY_POINTS[name],
                         suffixed(kind + '-server', node) + '.conf', None)
                 for name, kind in daemons)


PROXY = Service('proxy-server', 'swift.proxy.server:main',
                'proxy-server.conf', 'proxy')
SERVERS = (MEMCACHED,) + node_servers(1) + (PROXY,)
DAEMONS = node_daemons(1)
CONTAINER_SYNC = DAEMONS[0]
# The rsync daemon of a cluster with --replicas 3 (rsyncd.conf).
RSYNC = Service('rsync', None, 'rsyncd.conf', 'rsync')
# The pair's Keystone, in cluster A (keystone.py); not in SERVICES.
KEYSTONE = Service('keystone', 'autosync.pair.keystone_server:main',
                   'keystone.conf', 'keystone')
SERVICES = SERVERS + DAEMONS


def proxy_server(number: int) -> Service:
    """A site's proxy ``number`` past the first (``--proxies``): a
    conf of its own (its port, its log)."""
    name = 'proxy-server-%d' % number
    return Service(name, PROXY.entry_point, name + '.conf',
                   proxy_port_key(number))


EXTRA_PROXIES = tuple(proxy_server(n) for n in range(2, MAX_PROXIES + 1))
NODES = range(1, max(REPLICA_CHOICES) + 1)


def replicated(nodes) -> Tuple[Service, ...]:
    """What ``--replicas`` adds: nodes 2... and every node's
    replicators, and rsync."""
    return tuple(s for node in nodes if node > 1
                 for s in node_servers(node) + node_daemons(node)) + tuple(
        s for node in nodes for s in node_daemons(node, REPLICATORS)) + (
        RSYNC,)


# Whatever a cluster may run, for finding and stopping what runs.
EVERY_SERVICE = (KEYSTONE,) + SERVICES + EXTRA_PROXIES + replicated(NODES)


def services_of(settings: Settings, cluster: str) -> Tuple[Service, ...]:
    """What runs in ``cluster``: Keystone first, where it runs."""
    found = SERVICES + EXTRA_PROXIES[:settings.proxies - 1]
    if settings.replicas > 1:
        found += replicated(range(1, settings.replicas + 1))
    if settings.auth == 'keystone' and cluster == 'a':
        return (KEYSTONE,) + found
    return found


def memcached_binary() -> str:
    found = shutil.which('memcached') or shutil.which(
        'memcached', path='/usr/bin:/usr/sbin:/usr/local/bin')
    if not found:
        raise RuntimeError(
            'memcached not found: install it (Debian/Ubuntu: '
            'apt-get install memcached)')
    return found


def rsync_binary() -> str:
    found = shutil.which('rsync')
    if not found:
        raise RuntimeError(
            'rsync not found: --replicas 3 runs Swift\'s replicators, '
            'which copy DBs with it (Debian/Ubuntu: apt-get install rsync)')
    return found


def swift_argv(layout: Layout, cluster: str, entry_point: str, conf: str,
               *extra: str) -> List[str]:
    return [sys.executable, '-m', 'autosync.pair.launcher',
            layout.swift_dir(cluster), entry_point,
            layout.conf(cluster, conf), '-v'] + list(extra)


def argv(layout: Layout, settings: Settings, cluster: str,
         service: Service) -> List[str]:
    """The command line that runs ``service`` of ``cluster``."""
    if service is MEMCACHED:
        # -u: memcached refuses to run as root without it; -U 0: no UDP.
        return [memcached_binary(), '-l', '127.0.0.1',
                '-p', str(settings.port(cluster, 'memcached')),
                '-U', '0', '-m', '64', '-u', getpass.getuser()]
    if service is RSYNC:
        return [rsync_binary(), '--daemon', '--no-detach',
                '--config', layout.conf(cluster, service.conf)]
    if service is KEYSTONE:
        return [sys.executable, '-m', service.entry_point.partition(':')[0],
                layout.conf(cluster, service.conf),
                str(settings.port(cluster, 'keystone'))]
    return swift_argv(layout, cluster, service.entry_point, service.conf)


RECONCILER = Service('autosync-reconciler', 'autosync.reconciler:main',
                     'autosync-reconciler.conf', None)


def reconcile_once_argvs(layout: Layout, settings: Settings,
                         cluster: str) -> List[List[str]]:
    """One autosync-reconciler pass over ``cluster``'s containers: one
    for each storage node, as it runs on every container server."""
    return [swift_argv(layout, cluster, RECONCILER.entry_point,
                       suffixed('autosync-reconciler', node) + '.conf',
                       'once')
            for node in range(1, settings.replicas + 1)]


def sync_once_argvs(layout: Layout, settings: Settings,
                    cluster: str) -> List[List[str]]:
    """One container-sync pass over every container of ``cluster``: one
    for each storage node (each syncs its share of the rows)."""
    return [swift_argv(layout, cluster, CONTAINER_SYNC.entry_point,
                       suffixed('container-server', node) + '.conf', 'once')
            for node in range(1, settings.replicas + 1)]
