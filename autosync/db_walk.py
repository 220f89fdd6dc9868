"""What the reconciler's two DB walks share (``container_walk.py``,
``account_walk.py``): the DBs on this node's devices, found as Swift's
own daemons find them (``audit_location_generator``), and which replica
of a DB this node checks: the one at the index its hash picks in the
ring, on its device (a node may hold two replicas, on two devices), so
that one node checks each DB and no node lists the whole cluster.
"""

from dataclasses import dataclass
from typing import Any, Callable, Iterator, Sequence, Tuple

from swift.common.ring.utils import is_local_device
from swift.common.utils import audit_location_generator, hash_path


@dataclass(frozen=True)
class DbWalk:
    """``count(metric)`` is told of each DB that cannot be read, which
    is logged too (``unreadable``)."""
    devices: str
    mount_check: bool
    ring: Any
    my_ips: Sequence[str]
    my_port: int
    site_name: str
    logger: Any
    count: Callable[[str], None]

    def db_files(self, datadir: str) -> Iterator[Tuple[str, str]]:
        """(path, device) of each DB of ``datadir`` on this node."""
        for path, device, _ in audit_location_generator(
                self.devices, datadir, '.db', mount_check=self.mount_check,
                logger=self.logger):
            yield path, device

    def is_mine_at(self, device: str, *names: str) -> bool:
        """The replica on ``device`` of the DB of ``names`` (the
        account, or the account and a container) is this node's to
        check."""
        _, nodes = self.ring.get_nodes(*names)
        for index, node in enumerate(nodes):
            if node['device'] == device and is_local_device(
                    self.my_ips, self.my_port, node['ip'], node['port']):
                return index == int(hash_path(*names), 16) % len(nodes)
        return False

    def unreadable(self, metric: str, path: str, err: Exception) -> None:
        self.count(metric)
        self.logger.error('autosync-reconciler: cannot read %s: %s',
                          path, err)
