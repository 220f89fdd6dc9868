"""Which containers this node's reconciler checks, and their state here.

The reconciler's DB walk, as ``swift/container/sync_store.py`` is
container-sync's (what it shares with ``account_walk.py`` is
``db_walk.py``): the container DBs on this node's devices, read with a
``ContainerBroker``, no request made. A container autosync manages is
one whose DB records a placement; a deleted DB has lost its metadata
(the sites that still hold the container find the delete), and accounts
starting with a dot are Swift's own. Of the replicas of a container
only one is checked, the one at the index its hash picks in the
container ring.
"""

import os
from typing import Iterator, Optional, Tuple

from swift.container.backend import DATADIR, ContainerBroker

from autosync.db_walk import DbWalk
from autosync.protocol import PLACEMENT_SYSMETA
from autosync.state import ContainerState, from_broker

# (account, container, recorded placement, state here)
ManagedContainer = Tuple[str, str, str, ContainerState]


class ContainerWalk(DbWalk):
    """A DB that cannot be read is counted as ``errors``."""

    def is_mine(self, account: str, container: str, device: str) -> bool:
        return self.is_mine_at(device, account, container)

    def managed_containers(self, mine_only: bool = True
                           ) -> Iterator[ManagedContainer]:
        """Every container autosync manages whose DB is on this node and,
        with ``mine_only``, is this node's to check."""
        for path, device in self._container_dbs():
            found = self._read(path)
            if found is None:
                continue
            info, metadata, placement, db_state = found
            account, container = info['account'], info['container']
            if mine_only and not self.is_mine(account, container, device):
                continue
            yield (account, container, placement,
                   from_broker(self.site_name, info, metadata, db_state))

    def _container_dbs(self) -> Iterator[Tuple[str, str]]:
        """(path, device) of the DB of each container on this node's
        devices."""
        last_dir = None
        for path, device in self.db_files(DATADIR):
            # A container being sharded has two DBs in its directory,
            # listed one after the other: one container, checked once,
            # opened as the container server opens it.
            hash_dir = os.path.dirname(path)
            if hash_dir == last_dir:
                continue
            last_dir = hash_dir
            yield (os.path.join(hash_dir, os.path.basename(hash_dir) + '.db'),
                   device)

    def _read(self, path: str) -> Optional[Tuple[dict, dict, str, str]]:
        """(info, metadata, recorded placement, db_state) of the DB at
        ``path``; None if autosync does not manage it or it cannot be
        read."""
        try:
            broker = ContainerBroker(path, logger=self.logger)
            info = broker.get_info()
            if broker.is_deleted() or info['account'].startswith('.'):
                return None
            metadata = broker.metadata
            placement = metadata.get(PLACEMENT_SYSMETA, ('', 0))[0]
            db_state = broker.get_db_state()
        except Exception as err:
            self.unreadable('errors', path, err)
            return None
        if not placement:
            return None
        return info, metadata, placement, db_state
