"""``autosync adopt`` on the pair (issue 16): containers made while the
pair ran without autosync (``up --no-autosync``), at A, at B, or at both
with objects of their own, are brought under autosync once it is back in
the pipeline; then objects flow both ways. A versioned container is
refused, and nothing is changed by a dry run."""

import subprocess
import sys

import pytest

from e2e_helpers import (
    ACCOUNT,
    Sites,
    assert_synced_both_ways,
    head_container,
    pair_of_its_own,
)

NO_NATURAL_SYNC = 86400

plain = pair_of_its_own(autosync=False, sync_interval=NO_NATURAL_SYNC)


def autosync_command(duo, *args):
    return subprocess.run(
        [sys.executable, '-m', 'autosync.cli', args[0], '--conf',
         duo.layout.conf('a', 'autosync-reconciler.conf'), *args[1:]],
        capture_output=True, text=True, timeout=300)


@pytest.fixture(scope='module')
def adopted(plain):
    """Containers made without autosync, then autosync put back."""
    before = Sites(plain)
    only_a = before.container(prefix='adopt-a-')
    both = before.container(prefix='adopt-both-')
    versioned = before.container(prefix='adopt-versioned-')
    before.container(versioned + '-versions')
    before.a.put_container(only_a, {'X-Container-Meta-Colour': 'red',
                                    'X-Container-Read': '.r:*'})
    before.a.put_object(only_a, 'from-a', b'a')
    for conn, side in ((before.a, 'a'), (before.b, 'b')):
        conn.put_container(both, {'X-Container-Meta-Kind': 'shared'})
        conn.put_object(both, 'from-' + side, side.encode())
    before.a.put_container(versioned + '-versions')
    before.a.put_container(versioned, {
        'X-Versions-Location': versioned + '-versions'})
    plain.down(wipe=False)
    plain.is_down = False
    plain.up('--autosync')
    # New connections: the pair's memcached, with the tokens, restarted.
    with Sites(plain) as sites:
        sites.made = before.made
        yield plain, sites, {'only_a': only_a, 'both': both,
                             'versioned': versioned}


def test_status_calls_them_unmanaged_and_a_dry_run_changes_nothing(adopted):
    duo, sites, names = adopted
    shown = autosync_command(duo, 'status', '%s/%s' % (ACCOUNT,
                                                       names['only_a']))
    assert 'not managed by autosync' in shown.stdout, shown
    dry = autosync_command(duo, 'adopt', '%s/%s' % (ACCOUNT,
                                                    names['only_a']))
    assert dry.returncode == 0, dry.stderr
    assert '%s: adopt' % names['only_a'] in dry.stdout
    assert 'PUT at //autosync/b' in dry.stdout
    assert dry.stdout.splitlines()[-1].startswith('dry run')
    assert head_container(sites.b, names['only_a']) is None


def test_a_versioned_container_is_refused(adopted):
    duo, sites, names = adopted
    done = autosync_command(duo, 'adopt', '%s/%s' % (
        ACCOUNT, names['versioned']), '--apply')
    assert done.returncode == 1, done
    assert 'refused: versioned at //autosync/a' in done.stdout
    assert head_container(sites.b, names['versioned']) is None


def test_adopted_containers_sync_both_ways(adopted):
    duo, sites, names = adopted
    for name in (names['only_a'], names['both']):
        done = autosync_command(duo, 'adopt', '%s/%s' % (ACCOUNT, name),
                                '--apply')
        assert done.returncode == 0, done
        assert done.stdout.splitlines()[0] == '%s: adopt: done' % name
    made = head_container(sites.b, names['only_a'])
    assert made['x-container-meta-colour'] == 'red'
    assert made['x-container-read'] == '.r:*'
    for name in (names['only_a'], names['both']):
        assert_synced_both_ways(sites, name)
    for name in (names['only_a'], names['both']):
        shown = autosync_command(duo, 'status', '%s/%s' % (ACCOUNT, name))
        assert shown.returncode == 0, shown
        assert ': in sync' in shown.stdout or 'lagging' in shown.stdout
    duo.sync_once()
    duo.sync_once()
    for conn in (sites.a, sites.b):
        assert sorted(o['name'] for o in conn.get_container(
            names['only_a'])[1]) == ['from-a']
        assert sorted(o['name'] for o in conn.get_container(
            names['both'])[1]) == ['from-a', 'from-b']
    again = autosync_command(duo, 'adopt', '%s/%s' % (ACCOUNT,
                                                      names['both']))
    assert '%s: managed already' % names['both'] in again.stdout
