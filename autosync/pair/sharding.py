"""Shard one container of a pair with Swift's own tools.

``autosync-pair shard a AUTH_test/big --rows 100`` does what an operator
does on a real cluster: ``swift-manage-shard-ranges DB find_and_replace
ROWS --enable`` on the container's DB, then ``swift-container-sharder
once`` until the DB is sharded (two passes for a small container: one
cleaves, the next finds the shards active). Both run through the
launcher with the cluster's swift_dir, their output in the cluster's
``container-sharder-once`` log.

Once sharded, new object rows go to shard containers and container-sync,
which reads the container's own DB, carries none of them (README,
"Sharded containers"); autosync tells, it cannot repair.
"""

import glob
import os
import sys
from typing import List

from autosync.pair import services
from autosync.pair.layout import Layout

SHARDER = 'swift.container.sharder:main'
MANAGE_SHARD_RANGES = 'swift.cli.manage_shard_ranges:main'
SHARDER_PASSES = 4


class ShardingError(RuntimeError):
    pass


def container_dbs(layout: Layout, cluster: str, account: str,
                  container: str) -> List[str]:
    """The paths of ``account/container``'s DBs in ``cluster``, one per
    replica, found by reading the DBs there (a pair has few)."""
    from swift.container.backend import ContainerBroker

    pattern = os.path.join(layout.devices(cluster), '*', 'containers',
                           '*', '*', '*')
    found = []
    for hash_dir in sorted(glob.glob(pattern)):
        path = os.path.join(hash_dir, os.path.basename(hash_dir) + '.db')
        info = ContainerBroker(path).get_info()
        if (info['account'], info['container']) == (account, container):
            found.append(path)
    return found


def container_db(layout: Layout, cluster: str, account: str,
                 container: str) -> str:
    """The path of ``account/container``'s (first) DB in ``cluster``."""
    found = container_dbs(layout, cluster, account, container)
    if not found:
        raise ShardingError('cluster %s holds no DB of %s/%s' % (
            cluster, account, container))
    return found[0]


def db_state(path: str) -> str:
    from swift.container.backend import ContainerBroker

    return ContainerBroker(path).get_db_state()


def manage_argv(layout: Layout, cluster: str, path: str,
                rows_per_shard: int) -> List[str]:
    return [sys.executable, '-m', 'autosync.pair.launcher',
            layout.swift_dir(cluster), MANAGE_SHARD_RANGES, path,
            'find_and_replace', str(rows_per_shard), '--enable', '--force']


def sharder_argv(layout: Layout, cluster: str) -> List[str]:
    return services.swift_argv(layout, cluster, SHARDER,
                               'container-server.conf', 'once')
