"""Which containers this node's reconciler checks, and their state here.

The reconciler's DB walk, as ``swift/container/sync_store.py`` is
container-sync's: the container DBs on this node's devices, found as
Swift's own daemons find them (``audit_location_generator``) and read
with a ``ContainerBroker``, no request made. A container autosync
manages is one whose DB records a placement; a deleted DB has lost its
metadata (the sites that still hold the container find the delete), and
accounts starting with a dot are Swift's own. Of the replicas of a
container only one is checked, the one at the index its hash picks in
the container ring: one node checks each container, and no node lists
the whole cluster.
"""

import os
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Optional, Sequence, Tuple

from swift.common.ring.utils import is_local_device
from swift.common.utils import audit_location_generator, hash_path
from swift.container.backend import DATADIR, ContainerBroker

from autosync.protocol import PLACEMENT_SYSMETA
from autosync.state import ContainerState, from_broker

# (account, container, recorded placement, state here)
ManagedContainer = Tuple[str, str, str, ContainerState]


@dataclass(frozen=True)
class ContainerWalk:
    """``count(metric)`` is told of each DB that cannot be read
    (``errors``), which is logged too."""
    devices: str
    mount_check: bool
    ring: Any
    my_ips: Sequence[str]
    my_port: int
    site_name: str
    logger: Any
    count: Callable[[str], None]

    def is_mine(self, account: str, container: str, device: str) -> bool:
        """One replica of the container checks it: the one at the index
        its hash picks. Its device is matched too: a node may hold two
        replicas, on two devices."""
        _, nodes = self.ring.get_nodes(account, container)
        for index, node in enumerate(nodes):
            if node['device'] == device and is_local_device(
                    self.my_ips, self.my_port, node['ip'], node['port']):
                return index == int(hash_path(account, container),
                                    16) % len(nodes)
        return False

    def managed_containers(self, mine_only: bool = True
                           ) -> Iterator[ManagedContainer]:
        """Every container autosync manages whose DB is on this node and,
        with ``mine_only``, is this node's to check."""
        for path, device in self._container_dbs():
            found = self._read(path)
            if found is None:
                continue
            info, metadata, placement = found
            account, container = info['account'], info['container']
            if mine_only and not self.is_mine(account, container, device):
                continue
            yield (account, container, placement,
                   from_broker(self.site_name, info, metadata))

    def _container_dbs(self) -> Iterator[Tuple[str, str]]:
        """(path, device) of the DB of each container on this node's
        devices."""
        last_dir = None
        for path, device, _ in audit_location_generator(
                self.devices, DATADIR, '.db', mount_check=self.mount_check,
                logger=self.logger):
            # A container being sharded has two DBs in its directory,
            # listed one after the other: one container, checked once,
            # opened as the container server opens it.
            hash_dir = os.path.dirname(path)
            if hash_dir == last_dir:
                continue
            last_dir = hash_dir
            yield (os.path.join(hash_dir, os.path.basename(hash_dir) + '.db'),
                   device)

    def _read(self, path: str) -> Optional[Tuple[dict, dict, str]]:
        """(info, metadata, recorded placement) of the DB at ``path``;
        None if autosync does not manage it or it cannot be read."""
        try:
            broker = ContainerBroker(path, logger=self.logger)
            info = broker.get_info()
            if broker.is_deleted() or info['account'].startswith('.'):
                return None
            metadata = broker.metadata
            placement = metadata.get(PLACEMENT_SYSMETA, ('', 0))[0]
        except Exception as err:
            self.count('errors')
            self.logger.error('autosync-reconciler: cannot read %s: %s',
                              path, err)
            return None
        if not placement:
            return None
        return info, metadata, placement
