"""Three replicas per site (``autosync-pair up --replicas 3``): three
storage nodes a cluster, 3-replica rings, Swift's replicators and an
rsync daemon, a container-sync daemon and a reconciler on every
container server.

One reconciler pass at a site (every node's) checks each container once
although three container servers hold it: each node checks the replica
its hash picks (db_walk.py). A container missing at B is repaired once.
container-sync carries objects as with one replica.
"""

import concurrent.futures
import os
import re
import shutil

import pytest

from autosync.pair import sharding

from e2e_helpers import (
    ACCOUNT,
    Sites,
    assert_synced_both_ways,
    batch_reads,
    head_container,
    pair_of_its_own,
    unique,
)

CONTAINERS = 200
# Every pass is forced: 2 x 3 nodes of daemons on their own every few
# seconds would only load the machine.
NO_NATURAL_PASS = 86400
NODES = 3


duo = pair_of_its_own(replicas=NODES, sync_interval=NO_NATURAL_PASS)


@pytest.fixture(scope='module')
def many(duo):
    """CONTAINERS containers made at A (and so at B); not removed: the
    pair is this module's."""
    names = [unique('replicas-%03d' % i) for i in range(CONTAINERS)]
    conn = duo.a.connection()
    conn.put_container(names[0])  # logs in once, for every thread
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(conn.put_container, names[1:]))
    return names


class Logs:
    """What the reconcilers of a cluster (all its nodes) log from now."""

    def __init__(self, duo, cluster: str):
        self.path = duo.layout.log(cluster, 'autosync-reconciler-once')
        self.start = os.path.getsize(self.path) if os.path.exists(
            self.path) else 0

    def since(self) -> str:
        with open(self.path) as f:
            f.seek(self.start)
            return f.read()


def checked(written: str) -> list:
    """The 'checked' figure of every pass summary in ``written``."""
    return [int(n) for n in re.findall(
        r'(?:pass done in|storage node \d\):) [^:]*: (\d+) checked', written)]


def every_container_at(duo, cluster) -> list:
    return [c['name'] for c in cluster.connection().get_account(
        full_listing=True)[1]]


def test_each_cluster_runs_three_storage_nodes(duo):
    for cluster in duo.clusters:
        for kind in ('account', 'container', 'object'):
            for node in range(2, NODES + 1):
                assert cluster.service_port('%s%d' % (kind, node))
        devices = sorted(os.listdir(duo.layout.devices(cluster.name)))
        assert devices == ['d1', 'd2', 'd3']


def test_a_container_is_on_three_container_servers(duo, many):
    assert len(db_dirs(duo, 'a', many[0])) == NODES
    assert len(db_dirs(duo, 'b', many[0])) == NODES


def test_one_pass_at_each_site_checks_each_container_once(duo, many):
    for cluster, other in zip(duo.clusters, duo.clusters[::-1]):
        logs = Logs(duo, cluster.name)
        before = batch_reads(other)
        printed = duo.run('reconcile', cluster.name)
        # The other site was read in batches, each answered by its
        # container servers (a container's first primary): no HEADs.
        batches, records, heads = (
            now - then for now, then in zip(batch_reads(other), before))
        assert batches >= NODES and records >= batches, (batches, records)
        assert heads == 0, printed
        figures = checked(logs.since())
        assert len(figures) == NODES, logs.since()
        assert sum(figures) == len(every_container_at(duo, cluster)) >= \
            CONTAINERS, figures
        # What autosync-pair prints is each node's summary.
        assert checked(printed) == figures, printed
        assert [line.split(':')[0] for line in printed.splitlines()] == [
            'reconciler pass at %s (storage node %d)' % (
                cluster.name.upper(), node) for node in range(1, NODES + 1)]


def db_dirs(duo, cluster: str, container: str) -> list:
    """The directories holding ``container``'s DB at ``cluster``, one
    per replica."""
    return [os.path.dirname(path) for path in sharding.container_dbs(
        duo.layout, cluster, ACCOUNT, container)]


def test_a_container_missing_at_b_is_repaired_once(duo, many):
    sites = Sites(duo)
    name = unique('replicas-missing')
    sites.a.put_container(name)
    for hash_dir in db_dirs(duo, 'b', name):  # as if never made there
        shutil.rmtree(hash_dir)
    assert head_container(sites.b, name) is None
    logs = {c.name: Logs(duo, c.name) for c in duo.clusters}
    for cluster in duo.clusters:
        duo.run('reconcile', cluster.name)
    written = ''.join(log.since() for log in logs.values())
    repairs = re.findall(r'%s/%s: PUT at (\S+)' % (ACCOUNT, name), written)
    assert repairs == ['//autosync/b'], written
    assert_synced_both_ways(sites, name)
    assert len(db_dirs(duo, 'b', name)) == NODES


def test_container_sync_carries_objects_with_three_replicas(duo, many):
    sites = Sites(duo)
    name = many[0]
    sites.a.put_object(name, 'obj', b'three replicas')
    printed = duo.run('sync', 'a')
    assert sites.b.get_object(name, 'obj')[1] == b'three replicas'
    # One node of the three sent it (its share of the rows).
    assert ', 1 puts, 0 skipped, 0 failed' in printed, printed
