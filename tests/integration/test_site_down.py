"""B stopped, and B hung (its proxy SIGSTOPped), while a user works at A
with the stock ``swift`` CLI (default retries): a container create, a
metadata POST, an account POST, a container DELETE and ``swift upload``.
Then B is back, the reconciler makes one pass at each site, and every
site agrees, the ring is whole and objects written during the outage
reach B. In both modes of ``site_down`` on the pair, and in ``defer``
on three sites (A -> B -> C -> A):

* ``defer``: every change but the DELETE succeeds at once;
* ``refuse``: each change fails naming B (after swiftclient's retries),
  ``swift upload`` into an existing container does not wait for B.

A DELETE is refused in both (nothing deleted): only every site's answer
says that no copy holds objects.
"""

import os
import subprocess
import sys
import threading
import time
import traceback

import pytest

from autosync.pair import control

from e2e_helpers import (
    Sites,
    assert_sync_to,
    assert_synced_both_ways,
    head_container,
    head_object,
    stopped,
    unique,
)

SWIFT = os.path.join(os.path.dirname(sys.executable), 'swift')
# Short, so that B is tried again soon after it is back; it is limited
# for this long after its last failure.
SUPPRESSION_INTERVAL = 10
# swiftclient's five retries back off 1+2+4+8+16 s; a hung B costs one
# node_timeout (10 s) per suppression interval on top.
CLI_TIMEOUT = 180
SCENARIO_TIMEOUT = 900


# (site_down, sites): each runs both faults, the three at once (most of
# the time is swiftclient's back-off and B's node_timeout: waiting).
SCENARIOS = {'defer': ('defer', 2), 'refuse': ('refuse', 2),
             'defer-3-sites': ('defer', 3)}


@pytest.fixture(scope='module')
def pairs(pair_factory):
    made = {name: pair_factory(site_down=mode, sites=sites,
                               error_suppression_interval=SUPPRESSION_INTERVAL)
            for name, (mode, sites) in SCENARIOS.items()}
    yield made
    if not os.environ.get('AUTOSYNC_PAIR_KEEP'):
        for pair in made.values():
            pair.down()


def assert_ring_whole(duo, name):
    """Every site holds ``name`` with one key, each syncing to the next
    site of the ring (A <-> B on the pair)."""
    if len(duo.clusters) == 2:
        assert_synced_both_ways(Sites(duo), name)
        return
    heads = [head_container(cluster.connection(), name)
             for cluster in duo.clusters]
    assert all(heads), (name, heads)
    keys = {head.get('x-container-sync-key') for head in heads}
    assert len(keys) == 1 and keys != {None}, (name, heads)
    for i, head in enumerate(heads):
        following = duo.clusters[(i + 1) % len(heads)].name
        assert_sync_to(head, following, name)


def b_stopped(duo):
    return stopped(duo.b)


def b_hung(duo):
    """B's proxy takes connections (the kernel's backlog) and never
    answers: what a hung host looks like to A."""
    return control.proxy_hung(duo.layout, 'b')


FAULTS = {'stopped': b_stopped, 'hung': b_hung}


def wait_until_b_is_tried_again(fault_ended):
    """The fault before left B error-limited at A for
    SUPPRESSION_INTERVAL: wait that out, or the first change here is
    answered without asking B."""
    left = fault_ended + SUPPRESSION_INTERVAL + 1 - time.time()
    if left > 0:
        time.sleep(left)


def swift_at_a(duo, *args):
    """Start the stock CLI at A, with its default retries."""
    return subprocess.Popen([SWIFT, *args], env=dict(
        os.environ, **duo.env('a')), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, cwd=duo.data_dir)


def finished(proc):
    out, err = proc.communicate(timeout=CLI_TIMEOUT)
    return proc.returncode, out + err


def test_a_user_at_a_while_b_is_down_then_every_site_agrees(pairs):
    failed = {}

    def run(name, duo):
        try:
            fault_ended = 0.0
            for kind in sorted(FAULTS):
                wait_until_b_is_tried_again(fault_ended)
                try:
                    user_at_a_while_b_is_down(duo, kind)
                finally:
                    fault_ended = time.time()
        except BaseException as err:  # reported below, with its scenario
            failed[name] = ''.join(traceback.format_exception(
                type(err), err, err.__traceback__))

    threads = [threading.Thread(target=run, args=item)
               for item in pairs.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(SCENARIO_TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), 'hung'
    assert not failed, '\n'.join('%s: %s' % item for item in failed.items())


def user_at_a_while_b_is_down(duo, kind):
    sites = Sites(duo)
    a, b = sites.a, sites.b
    mode = duo.settings.site_down
    created, changed, doomed, kept = (unique('down-') for _ in range(4))
    for name in (changed, doomed, kept):
        a.put_container(name)
    colour = unique('colour-')
    with open(os.path.join(duo.data_dir, 'during.txt'), 'w') as f:
        f.write('written while B was %s' % kind)

    with FAULTS[kind](duo):
        # At once: swiftclient's retries make each failing one ~31 s.
        running = {
            'create': swift_at_a(duo, 'post', created),
            'post': swift_at_a(duo, 'post', '-m', 'colour:' + colour,
                               changed),
            'account': swift_at_a(duo, 'post', '-m', 'colour:' + colour),
            'delete': swift_at_a(duo, 'delete', doomed),
            'upload': swift_at_a(duo, 'upload', kept, 'during.txt'),
        }
        done = {what: finished(proc) for what, proc in running.items()}

    for what in ('create', 'post', 'account'):
        code, said = done[what]
        if mode == 'defer':
            assert code == 0, (what, said)
        else:
            assert code != 0, (what, said)
            assert '//autosync/b: ' in said.lower(), (what, said)
    code, said = done['delete']
    assert code != 0 and '//autosync/b: ' in said.lower(), said
    assert head_container(a, doomed) is not None
    code, said = done['upload']
    assert code == 0, said
    assert head_object(a, kept, 'during.txt') is not None
    assert head_container(a, created) is not None
    assert a.head_container(changed)['x-container-meta-colour'] == colour

    for cluster in duo.clusters:
        duo.run('reconcile', cluster.name)

    for name in (created, changed, doomed, kept):
        assert_ring_whole(duo, name)
    others = [cluster.connection() for cluster in duo.clusters[1:]]
    for there in others:
        assert there.head_container(changed)['x-container-meta-colour'] \
            == colour
        assert there.head_account().get('x-account-meta-colour') == colour
    duo.a.sync_once()
    assert head_object(b, kept, 'during.txt') is not None

