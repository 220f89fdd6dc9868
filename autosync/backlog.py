"""How far behind container-sync is on a container: the rows of its DB
on this node that container-sync has not yet sent, read from the DB, no
request made (``autosync status`` on a container server).

What ``swift/container/sync.py`` does with a DB, each pass: every row
(an object PUT or a delete, ``get_items_since``) with a ROWID above
``x_container_sync_point1`` is taken in ROWID order; the node sends the
rows whose name hashes to its index among the container's nodes in the
ring and moves sync point 1 past each row it takes, sent or not. On
its next pass, first, it goes over the rows between
``x_container_sync_point2`` and sync point 1 again, each one, sending
what the target still lacks (a HEAD first for an object): a row another
node was to send and did not, or one whose send failed; the first row
that fails again holds sync point 2 back.

So the rows above sync point 1 are the rows container-sync has not yet
reached in this DB: with one replica, exactly the rows not yet sent.
With several, the count is exact only up to which replica sends a row:
a row above this DB's sync point 1 may already have been sent from
another node's replica (the one whose index its name picks), and this
node, past a row another node was to send, sends it only on a later
pass if that node has not. A row counts as reached once its send is
started; a send that fails is not counted again (Swift keeps no record
of it but sync point 2). A row of an object that came from the target
counts too: container-sync goes over it with a HEAD that finds the
object there (or a DELETE the target answers 404).

ROWIDs have gaps (a newer row of a name replaces the older one; old
delete rows are reclaimed), so the rows are counted, not the distance
from sync point 1 to the newest row.
"""

import os
from dataclasses import dataclass
from typing import Iterable, List, Optional

from swift.common.constraints import check_drive
from swift.common.ring.utils import is_local_device
from swift.common.utils import hash_path, storage_directory
from swift.container.backend import DATADIR, ContainerBroker

from autosync.placement import (
    PlacementError,
    parse_site,
    same_sync_target,
    sync_target,
)
from autosync.state import SHARDED_STATES

SYNC_TO_METADATA = 'x-container-sync-to'


@dataclass(frozen=True)
class DbBacklog:
    """What container-sync has yet to send from one DB: at ``site``
    (this node's), ``rows`` to the container ``sync_to`` names."""
    site: str
    sync_to: str
    rows: int


def rows_after(broker, sync_point: int) -> int:
    """How many rows of ``broker``'s DB container-sync would read after
    ``sync_point``: its object rows, deletes included, with a greater
    ROWID (of those taken in: call after ``get_info``)."""
    if sync_point >= broker.get_max_row():
        return 0
    with broker.get() as conn:
        return conn.execute(
            'SELECT COUNT(*) FROM %s WHERE ROWID > ?'
            % broker.db_contains_type, (sync_point,)).fetchone()[0]


def sync_to_of(broker) -> str:
    """The DB's X-Container-Sync-To; '' when it has none. Named without
    case, as container-sync reads it."""
    for name, (value, _) in broker.metadata.items():
        if name.lower() == SYNC_TO_METADATA:
            return value
    return ''


def db_backlog(site: str, broker) -> Optional[DbBacklog]:
    """What container-sync has yet to send from ``broker``'s DB; None
    when it sends nothing from it (a deleted DB, or one without a sync
    target) or when its rows are no longer the container's objects
    (sharding or sharded: new rows go to shards, which sync nowhere)."""
    info = broker.get_info()  # takes in the rows still pending
    sync_to = sync_to_of(broker)
    if broker.is_deleted() or not sync_to or \
            info['db_state'] in SHARDED_STATES:
        return None
    return DbBacklog(site, sync_to,
                     rows_after(broker, info['x_container_sync_point1']))


def db_paths_here(walk, account: str, container: str) -> List[str]:
    """The paths, on this node's devices, of the DB of ``account``/
    ``container`` (a broker finds a sharded one's newest DB from it):
    none when this node is not one of its nodes in the ring, where
    container-sync leaves it alone. ``walk``: a ``DbWalk``."""
    part, nodes = walk.ring.get_nodes(account, container)
    if not any(is_local_device(walk.my_ips, walk.my_port, node['ip'],
                               node['port']) for node in nodes) or \
            not os.path.isdir(walk.devices):
        return []
    name_hash = hash_path(account, container)
    where = storage_directory(DATADIR, part, name_hash)
    paths = []
    for device in sorted(os.listdir(walk.devices)):
        try:
            check_drive(walk.devices, device, walk.mount_check)
        except ValueError:
            continue
        path = os.path.join(walk.devices, device, where, name_hash + '.db')
        if os.path.isdir(os.path.dirname(path)):
            paths.append(path)
    return paths


def backlog_here(walk, account: str, container: str
                 ) -> Optional[DbBacklog]:
    """The backlog of the container's DB on this node; of the largest
    when this node holds more than one; None when none is here or none
    can be read (logged)."""
    found = []
    for path in db_paths_here(walk, account, container):
        try:
            broker = ContainerBroker(path, logger=walk.logger)
            if not broker.db_files:
                continue
            backlog = db_backlog(walk.site_name, broker)
        except Exception as err:
            walk.logger.error('autosync status: cannot read %s: %s',
                              path, err)
            return None
        if backlog is not None:
            found.append(backlog)
    return max(found, key=lambda backlog: backlog.rows, default=None)


def target_name(sync_to: str, account: str, container: str,
                sites: Iterable[str]) -> str:
    """The site ``sync_to`` names, as ``sites`` name it (the name given
    in the placement); else its ``//realm/cluster`` or proxy URL as
    written."""
    for name in sites:
        try:
            if same_sync_target(sync_to, sync_target(parse_site(name),
                                                     account, container)):
                return name
        except PlacementError:
            continue
    return _written_site(sync_to)


def _written_site(sync_to: str) -> str:
    if sync_to.startswith('//'):
        return '/'.join(sync_to.split('/')[:4])
    head, _, _ = sync_to.partition('/v1/')
    return head

