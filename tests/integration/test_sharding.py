"""A synced container sharded with Swift's own tools
(``autosync-pair shard``: swift-manage-shard-ranges, then the sharder).

Measured here, and kept as a test so that a Swift that changes it is
noticed: once a container is sharded, the objects written to it (and
those not synced yet when it was sharded) never reach the other site,
however many container-sync passes run; container-sync reads the
container's own DB, and the new rows are in shard containers. autosync
cannot repair that: ``autosync status`` at every site and the
reconciler say so (README, "Sharded containers").
"""

import pytest

from e2e_helpers import (
    ACCOUNT,
    Sites,
    pair_of_its_own,
    status_reports,
    unique,
)

duo = pair_of_its_own()
ROWS_PER_SHARD = 4
BEFORE = ['before-%02d' % i for i in range(12)]
AFTER = ['after-%02d' % i for i in range(3)]
SYNC_PASSES = 3
VERDICT = ('sharded at //autosync/a: container-sync does not carry its '
           'new objects')


@pytest.fixture(scope='module')
def sharded(duo):
    """(sites, container): BEFORE synced to B, then the container
    sharded at A, then AFTER written at A and SYNC_PASSES passes run."""
    # Not removed after: a sharded container's DELETE waits for the
    # sharder to learn its shards are empty; the pair is this module's.
    sites = Sites(duo)
    name = unique('sharded')
    sites.a.put_container(name)
    for obj in BEFORE:
        sites.a.put_object(name, obj, obj.encode())
    duo.a.sync_once()
    duo.run('shard', 'a', '%s/%s' % (ACCOUNT, name),
            '--rows', str(ROWS_PER_SHARD))
    for obj in AFTER:
        sites.a.put_object(name, obj, obj.encode())
    for _ in range(SYNC_PASSES):
        duo.a.sync_once()
    return sites, name


def names(conn, container):
    return [entry['name'] for entry in
            conn.get_container(container, full_listing=True)[1]]


def test_the_container_is_sharded_and_serves_every_object_at_a(sharded):
    sites, name = sharded
    assert names(sites.a, name) == AFTER + BEFORE
    assert sites.a.get_object(name, AFTER[0])[1] == AFTER[0].encode()


def test_objects_written_after_sharding_never_reach_b(sharded):
    sites, name = sharded
    assert names(sites.b, name) == BEFORE


@pytest.mark.parametrize('cluster', ['a', 'b'])
def test_status_at_every_site_says_it_is_sharded(duo, sharded, cluster):
    _, name = sharded
    code, (report,) = status_reports(duo, '%s/%s' % (ACCOUNT, name),
                                     cluster=cluster)
    assert (code, report['verdict']) == (1, VERDICT)
    assert report['problems'] == [
        '//autosync/a: sharded: objects written to it since are not '
        'carried by container-sync']


@pytest.mark.parametrize('cluster', ['a', 'b'])
def test_a_reconciler_pass_logs_and_counts_it(duo, sharded, cluster):
    _, name = sharded
    log = duo.layout.log(cluster, 'autosync-reconciler-once')
    with open(log, 'a+') as f:
        f.seek(0, 2)
        start = f.tell()
    duo.run('reconcile', cluster)
    with open(log) as f:
        f.seek(start)
        written = f.read()
    assert ('autosync-reconciler: %s/%s: sharded at //autosync/a: '
            'container-sync does not carry objects written to it since'
            % (ACCOUNT, name)) in written
    assert '0 repaired, 0 conflicts, 0 unreachable, 1 sharded, 0 errors' \
        in written
