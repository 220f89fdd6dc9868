"""Issue 6 on the real pair: after an outage, a broken ring or crossing
delete and re-create, one autosync-reconciler pass on each site makes
the sites agree, and ``autosync status`` says what it sees."""

import json
import os
import subprocess
import sys

import pytest
from swiftclient import client

from e2e_helpers import (
    ACCOUNT,
    assert_synced_both_ways,
    connections,
    head_container,
    pair_for_module,
    purge,
    unique,
)

HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture(scope='module')
def duo(pair_factory):
    """A pair of its own: these tests stop and start its clusters."""
    yield from pair_for_module(pair_factory)


@pytest.fixture
def conns(duo):
    both = connections(duo)
    made = []
    yield both, made
    for name in made:
        purge(list(both.values()), name)


class Sites:
    """``sites.a`` / ``sites.b``: what assert_synced_both_ways wants."""

    def __init__(self, both):
        self.a, self.b = both['a'], both['b']


def new_container(conns, **headers):
    both, made = conns
    name = unique('rec-')
    made.append(name)
    both['a'].put_container(name, headers=headers)
    return name


def status(duo, where, cluster='a'):
    """``autosync status --json WHERE`` at ``cluster``: (exit, reports)."""
    conf = duo.layout.conf(cluster, 'autosync-reconciler.conf')
    result = subprocess.run(
        [sys.executable, '-m', 'autosync.cli', 'status', '--conf', conf,
         '--json', where], capture_output=True, text=True, timeout=120)
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads(result.stdout)


def reconcile_everywhere(duo, order='ab'):
    for name in order:
        duo.run('reconcile', name)


def behind_autosync(duo, cluster, name, *change):
    """POST NAME=VALUE pairs to, or DELETE, ``name`` at ``cluster``
    only (break_container.py)."""
    subprocess.run(
        [sys.executable, '-m', 'autosync.pair.launcher',
         duo.layout.swift_dir(cluster), 'break_container:main',
         duo.layout.conf(cluster, 'internal-client.conf'), ACCOUNT, name,
         *change],
        check=True, cwd=HERE, env=dict(os.environ, PYTHONPATH=HERE),
        timeout=60)


def fails_with(status_code, call, *args, **kwargs):
    with pytest.raises(client.ClientException) as caught:
        call(*args, **kwargs)
    assert caught.value.http_status == status_code, caught.value
    return caught.value


def test_changes_made_while_b_was_down_are_carried_to_b(duo, conns):
    both, made = conns
    a, b = both['a'], both['b']
    changed = new_container(conns)
    deleted = new_container(conns)
    duo.b.stop()
    try:
        created = unique('rec-')
        made.append(created)
        # Non-ASCII: what the DB holds and what a HEAD shows differ in
        # form, and the reconciler must read them as one value.
        fails_with(503, a.put_container, created,
                   headers={'X-Container-Meta-Colour': 'grün'})
        fails_with(503, a.post_container, changed,
                   {'X-Container-Meta-Colour': 'rød'})
        # Nobody can tell whether B's copy is empty: nothing deleted.
        fails_with(503, a.delete_container, deleted)
        assert head_container(a, deleted) is not None
    finally:
        duo.b.start()
    code, reports = status(duo, ACCOUNT + '/' + created)
    assert code == 1
    assert reports[0]['verdict'] == 'missing at //autosync/b', reports
    assert head_container(b, created) is None

    reconcile_everywhere(duo)

    key = assert_synced_both_ways(Sites(both), created)
    assert head_container(b, created)['x-container-meta-colour'] == 'grün'
    assert head_container(b, changed)['x-container-meta-colour'] == 'rød'
    assert head_container(b, deleted) is not None
    a.delete_container(deleted)  # B is back: the DELETE goes through
    assert head_container(a, deleted) is None
    assert head_container(b, deleted) is None
    for name in (created, changed):
        code, reports = status(duo, ACCOUNT + '/' + name, cluster='b')
        assert code == 0 and reports[0]['verdict'] == 'in sync', reports
    # The ring works: an object written at B reaches A in one pass.
    b.put_object(created, 'after', b'reconciled')
    duo.b.sync_once()
    assert a.get_object(created, 'after')[1] == b'reconciled'
    assert head_container(a, created)['x-container-sync-key'] == key


def test_broken_ring_is_reported_then_repaired_in_one_pass(duo, conns):
    both, _ = conns
    name = new_container(conns)
    key = assert_synced_both_ways(Sites(both), name)
    wrong = '//autosync/b/%s/elsewhere' % ACCOUNT
    behind_autosync(duo, 'b', name, 'X-Container-Sync-To=' + wrong,
                    'X-Container-Sync-Key=other')
    code, reports = status(duo, ACCOUNT + '/' + name)
    assert code == 1
    assert reports[0]['verdict'] == 'broken ring', reports
    by_site = {s['site']: s for s in reports[0]['sites']}
    assert by_site['//autosync/b']['sync_to'].lower() == wrong.lower()
    assert by_site['//autosync/a']['key_fingerprint'] != \
        by_site['//autosync/b']['key_fingerprint']
    assert key not in json.dumps(reports)  # fingerprints, never keys

    duo.run('reconcile', 'a')

    assert assert_synced_both_ways(Sites(both), name) == key
    assert status(duo, ACCOUNT + '/' + name)[0] == 0


def while_down(cluster, call, name):
    """``call(name)`` with ``cluster`` stopped: the client gets a 503."""
    cluster.stop()
    try:
        fails_with(503, call, name)
    finally:
        cluster.start()


def delete_at_a_only(duo, a, name):
    """A delete that reached A only. Through autosync, a DELETE while B
    is down deletes nothing (503): this is the state a delete at A
    leaves when it crosses a re-create at B."""
    while_down(duo.b, a.delete_container, name)
    assert head_container(a, name) is not None
    behind_autosync(duo, 'a', name, 'DELETE')


def put_at_b_while_a_is_down(duo, b, name):
    while_down(duo.a, b.put_container, name)


@pytest.mark.parametrize('order', ['ab', 'ba'])
def test_a_recreate_after_the_delete_brings_the_container_back(
        duo, conns, order):
    both, _ = conns
    name = new_container(conns)
    delete_at_a_only(duo, both['a'], name)
    put_at_b_while_a_is_down(duo, both['b'], name)  # later: wins
    reconcile_everywhere(duo, order)
    key = assert_synced_both_ways(Sites(both), name)
    reconcile_everywhere(duo, order[::-1])  # and again: nothing moves
    assert assert_synced_both_ways(Sites(both), name) == key


@pytest.mark.parametrize('order', ['ab', 'ba'])
def test_a_delete_after_the_recreate_deletes_everywhere(duo, conns, order):
    both, _ = conns
    name = new_container(conns)
    put_at_b_while_a_is_down(duo, both['b'], name)
    delete_at_a_only(duo, both['a'], name)  # later: wins
    reconcile_everywhere(duo, order)
    assert head_container(both['a'], name) is None
    assert head_container(both['b'], name) is None
    reconcile_everywhere(duo, order[::-1])
    assert head_container(both['a'], name) is None
    assert head_container(both['b'], name) is None
