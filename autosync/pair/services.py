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
    Layout,
    Settings,
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
SERVERS = (
    MEMCACHED,
    Service('account-server', 'swift.account.server:main',
            'account-server.conf', 'account'),
    Service('container-server', 'swift.container.server:main',
            'container-server.conf', 'container'),
    Service('object-server', 'swift.obj.server:main',
            'object-server.conf', 'object'),
    Service('proxy-server', 'swift.proxy.server:main',
            'proxy-server.conf', 'proxy'),
)
CONTAINER_SYNC = Service('container-sync', 'swift.container.sync:main',
                         'container-server.conf', None)
DAEMONS = (
    CONTAINER_SYNC,
    Service('container-updater', 'swift.container.updater:main',
            'container-server.conf', None),
    Service('object-updater', 'swift.obj.updater:main',
            'object-server.conf', None),
)
# The pair's Keystone, in cluster A (keystone.py); not in SERVICES.
KEYSTONE = Service('keystone', 'autosync.pair.keystone_server:main',
                   'keystone.conf', 'keystone')
SERVICES = SERVERS + DAEMONS


def proxy_server(number: int) -> Service:
    """A site's proxy ``number`` (``--proxies``): the first is in
    SERVERS; each other has a conf of its own (its port, its log)."""
    name = 'proxy-server' if number == 1 else 'proxy-server-%d' % number
    return Service(name, 'swift.proxy.server:main', name + '.conf',
                   proxy_port_key(number))


EXTRA_PROXIES = tuple(proxy_server(n) for n in range(2, MAX_PROXIES + 1))
# Whatever a cluster may run, for finding and stopping what runs.
EVERY_SERVICE = (KEYSTONE,) + SERVICES + EXTRA_PROXIES


def services_of(settings: Settings, cluster: str) -> Tuple[Service, ...]:
    """What runs in ``cluster``: Keystone first, where it runs."""
    extra = EXTRA_PROXIES[:settings.proxies - 1]
    if settings.auth == 'keystone' and cluster == 'a':
        return (KEYSTONE,) + SERVICES + extra
    return SERVICES + extra


def memcached_binary() -> str:
    found = shutil.which('memcached') or shutil.which(
        'memcached', path='/usr/bin:/usr/sbin:/usr/local/bin')
    if not found:
        raise RuntimeError(
            'memcached not found: install it (Debian/Ubuntu: '
            'apt-get install memcached)')
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
    if service is KEYSTONE:
        return [sys.executable, '-m', service.entry_point.partition(':')[0],
                layout.conf(cluster, service.conf),
                str(settings.port(cluster, 'keystone'))]
    return swift_argv(layout, cluster, service.entry_point, service.conf)


RECONCILER = Service('autosync-reconciler', 'autosync.reconciler:main',
                     'autosync-reconciler.conf', None)


def reconcile_once_argv(layout: Layout, cluster: str) -> List[str]:
    """One autosync-reconciler pass over ``cluster``'s containers."""
    return swift_argv(layout, cluster, RECONCILER.entry_point,
                      RECONCILER.conf, 'once')


def sync_once_argv(layout: Layout, cluster: str) -> List[str]:
    """One container-sync pass over every container of ``cluster``."""
    return swift_argv(layout, cluster, CONTAINER_SYNC.entry_point,
                      CONTAINER_SYNC.conf, 'once')
