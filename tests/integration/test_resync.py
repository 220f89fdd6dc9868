"""``autosync resync`` on the pair: B loses its copy of a container (its
container DB and object files go, as with a lost disk; the reconciler
makes the container again, empty), a container-sync pass at A sends
nothing (its sync points are past every row), the resync dry run counts
what A would send and changes nothing, ``--apply`` resets A's sync
points with the same target spelled otherwise, and the next pass at A
brings every object back to B, with nothing for the reconciler or
``autosync status`` to repair."""

import os
import shutil
import subprocess
import sys

import pytest
from swift.container.backend import ContainerBroker
from swift.obj.diskfile import read_metadata

from e2e_helpers import (
    ACCOUNT,
    Sites,
    assert_sync_to,
    autosync_status,
    head_container,
    pair_of_its_own,
)

NO_NATURAL_SYNC = 86400
OBJECTS = 5


duo = pair_of_its_own(sync_interval=NO_NATURAL_SYNC)


def resync_argv(duo, *args: str) -> list:
    return [sys.executable, '-m', 'autosync.cli', 'resync', '--conf',
            duo.layout.conf('a', 'autosync-reconciler.conf'), *args]


def run(argv: list) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True,
                          timeout=180)


def names(conn, container: str) -> list:
    return [entry['name'] for entry in
            conn.get_container(container, full_listing=True)[1]]


def lose_copy(devices: str, container: str) -> int:
    """Remove every file of ACCOUNT/``container`` under ``devices`` (a
    cluster's): its container DBs and its objects' directories, found by
    what each holds, as a lost disk would; how many went. No request is
    made, so nothing is deleted anywhere else."""
    path = '/%s/%s/' % (ACCOUNT, container)
    doomed = set()
    for top, _, files in os.walk(devices):
        for name in files:
            found = os.path.join(top, name)
            if name.endswith('.db') and '/containers/' in found:
                info = ContainerBroker(found).get_info()
                if (info['account'], info['container']) == (ACCOUNT,
                                                            container):
                    doomed.add(top)
            elif name.endswith('.data') and \
                    read_metadata(found)['name'].startswith(path):
                doomed.add(top)
    for top in doomed:
        shutil.rmtree(top)
    return len(doomed)


@pytest.fixture
def lost_at_b(duo):
    """A container whose OBJECTS objects A synced to B, then B lost its
    copy and the reconciler made it again, empty."""
    with Sites(duo) as sites:
        name = sites.container(prefix='resync-')
        sites.a.put_container(name)
        for i in range(OBJECTS):
            sites.a.put_object(name, 'obj-%d' % i, b'%d' % i)
        # Two passes: the first sends every row and moves the first
        # sync point; the second checks them again (a HEAD each, for
        # the rows other replicas send) and moves the second.
        duo.a.sync_once()
        duo.a.sync_once()
        assert len(names(sites.b, name)) == OBJECTS
        # The container DB and one directory an object.
        assert lose_copy(duo.layout.devices('b'), name) == OBJECTS + 1
        assert head_container(sites.b, name) is None
        duo.run('reconcile', 'a')
        assert head_container(sites.b, name) is not None
        yield sites, name


def test_resync_brings_back_what_b_lost(duo, lost_at_b):
    sites, name = lost_at_b
    where = '%s/%s' % (ACCOUNT, name)
    before = sites.a.head_container(name)['x-container-sync-to']
    assert_sync_to(sites.a.head_container(name), 'b', name)

    duo.a.sync_once()  # A's sync points are past every row: nothing
    duo.a.sync_once()
    assert names(sites.b, name) == []
    assert len(names(sites.a, name)) == OBJECTS

    dry = run(resync_argv(duo, 'b', where))
    assert dry.returncode == 0, dry.stderr
    assert '%s: //autosync/a would send again %d objects' % (
        where, OBJECTS) in dry.stdout, dry.stdout
    assert '%d of them missing or different at //autosync/b now' % (
        OBJECTS) in dry.stdout, dry.stdout
    assert 'dry run: nothing changed' in dry.stdout
    assert sites.a.head_container(name)['x-container-sync-to'] == before

    applied = run(resync_argv(duo, 'b', where, '--apply'))
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert '  done: POST X-Container-Sync-To: ' in applied.stdout
    after = sites.a.head_container(name)
    assert after['x-container-sync-to'] != before
    assert_sync_to(after, 'b', name)  # the same target to Swift

    duo.a.sync_once()
    waited = run([sys.executable, '-m', 'autosync.cli', 'wait', '--conf',
                  duo.layout.conf('a', 'autosync-reconciler.conf'), where,
                  '--timeout', '60', '--interval', '0.5'])
    assert waited.returncode == 0, waited.stdout + waited.stderr
    assert names(sites.b, name) == names(sites.a, name)
    assert len(names(sites.b, name)) == OBJECTS
    # Nothing for the reconciler to "repair" in the new spelling.
    code, shown = autosync_status(duo, where)
    assert code == 0, shown
    assert 'in sync' in shown.splitlines()[0], shown


def test_resync_of_a_site_the_conf_does_not_know_exits_2(duo):
    done = run(resync_argv(duo, 'z', '%s/whatever' % ACCOUNT))
    assert done.returncode == 2
    assert "unknown SITE 'z'" in done.stderr


def test_resync_of_an_account_passes_over_containers_not_at_b(duo):
    with Sites(duo) as sites:
        name = sites.container(prefix='resync-acct-')
        sites.a.put_container(name)
        sites.a.put_object(name, 'one', b'1')
        done = run(resync_argv(duo, '//autosync/b', ACCOUNT))
        assert done.returncode == 0, done.stdout + done.stderr
        assert '%s/%s: //autosync/a would send again 1 object ' % (
            ACCOUNT, name) in done.stdout, done.stdout
