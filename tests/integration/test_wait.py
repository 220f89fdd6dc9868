"""``autosync wait`` on the pair: it waits while container-sync has not
carried a container's objects to B, and returns 0 as soon as a pass
has; at its timeout it returns 1 saying what still differs."""

import subprocess
import sys

import pytest

from e2e_helpers import ACCOUNT, Sites, pair_of_its_own, unique

NO_NATURAL_SYNC = 86400
OBJECTS = 3


duo = pair_of_its_own(sync_interval=NO_NATURAL_SYNC)


@pytest.fixture
def written(duo):
    """A container holding OBJECTS objects at A only (no sync pass)."""
    with Sites(duo) as sites:
        name = sites.container(prefix='wait-')
        sites.a.put_container(name)
        for i in range(OBJECTS):
            sites.a.put_object(name, 'obj-%d' % i, b'%d' % i)
        yield name


def wait_argv(duo, where: str, *options: str) -> list:
    return [sys.executable, '-m', 'autosync.cli', 'wait', '--conf',
            duo.layout.conf('a', 'autosync-reconciler.conf'), where,
            *options]


def test_wait_times_out_saying_what_b_lacks(duo, written):
    done = subprocess.run(
        wait_argv(duo, '%s/%s' % (ACCOUNT, written), '--timeout', '1',
                  '--interval', '0.5'),
        capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    assert done.stdout.splitlines()[-1] == (
        '%s/%s: not in sync after 1 s: //autosync/a: 3 objects; '
        '//autosync/b: 0 objects, 3 missing or different' % (
            ACCOUNT, written))


def test_wait_returns_once_a_sync_pass_has_carried_them(duo, written):
    waiting = subprocess.Popen(
        wait_argv(duo, '%s/%s' % (ACCOUNT, written), '--timeout', '300',
                  '--interval', '0.5'),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = waiting.stdout.readline()
        assert ': waiting: ' in first, first
        duo.a.sync_once()
        out, err = waiting.communicate(timeout=120)
    finally:
        waiting.kill()
    assert waiting.returncode == 0, err
    assert out.splitlines()[-1] == (
        '%s/%s: in sync: //autosync/a: 3 objects; //autosync/b: 3 objects'
        % (ACCOUNT, written))


def test_wait_for_a_container_nowhere_exits_2(duo):
    done = subprocess.run(
        wait_argv(duo, '%s/%s' % (ACCOUNT, unique('wait-nowhere'))),
        capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stdout.strip().endswith(
        'not found at any site: nothing to wait for')


def test_wait_needs_a_container(duo):
    done = subprocess.run(wait_argv(duo, ACCOUNT), capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2
    assert "give ACCOUNT/CONTAINER" in done.stderr
