"""Issue 6 on the real pair: after an outage, a broken ring or crossing
delete and re-create, one autosync-reconciler pass on each site makes
the sites agree, and ``autosync status`` says what it sees."""

import json

import pytest

from e2e_helpers import (
    ACCOUNT,
    Sites,
    assert_synced_both_ways,
    batch_reads,
    behind_autosync,
    fails_with,
    head_container,
    pair_of_its_own,
    status_reports,
    stopped,
)

duo = pair_of_its_own()


@pytest.fixture
def sites(duo):
    with Sites(duo) as both:
        yield both


def new_container(sites, **headers):
    name = sites.container(prefix='rec-')
    sites.a.put_container(name, headers=headers)
    return name


def reconcile_everywhere(duo, order='ab'):
    for name in order:
        duo.run('reconcile', name)


def test_changes_made_while_b_was_down_are_carried_to_b(duo, sites):
    a, b = sites.a, sites.b
    changed = new_container(sites)
    deleted = new_container(sites)
    with stopped(duo.b):
        created = sites.container(prefix='rec-')
        # Non-ASCII: what the DB holds and what a HEAD shows differ in
        # form, and the reconciler must read them as one value.
        fails_with(503, a.put_container, created,
                   headers={'X-Container-Meta-Colour': 'grün'})
        fails_with(503, a.post_container, changed,
                   {'X-Container-Meta-Colour': 'rød'})
        # Nobody can tell whether B's copy is empty: nothing deleted.
        fails_with(503, a.delete_container, deleted)
        assert head_container(a, deleted) is not None
    code, reports = status_reports(duo, ACCOUNT + '/' + created)
    assert code == 1
    # Applied at A, refused: recorded as pending, not shown as broken.
    assert reports[0]['verdict'] == 'pending at //autosync/b', reports
    assert head_container(b, created) is None

    reconcile_everywhere(duo)

    key = assert_synced_both_ways(sites, created)
    assert head_container(b, created)['x-container-meta-colour'] == 'grün'
    assert head_container(b, changed)['x-container-meta-colour'] == 'rød'
    assert head_container(b, deleted) is not None
    a.delete_container(deleted)  # B is back: the DELETE goes through
    assert head_container(a, deleted) is None
    assert head_container(b, deleted) is None
    for name in (created, changed):
        code, reports = status_reports(duo, ACCOUNT + '/' + name,
                                       cluster='b')
        assert code == 0 and reports[0]['verdict'] == 'in sync', reports
    # The ring works: an object written at B reaches A in one pass.
    b.put_object(created, 'after', b'reconciled')
    duo.b.sync_once()
    assert a.get_object(created, 'after')[1] == b'reconciled'
    assert head_container(a, created)['x-container-sync-key'] == key


def test_a_pass_reads_the_other_site_in_batches(duo, sites):
    """Containers in order are read at B by batched reads, which B's
    container servers answer from their DBs (container_records.py): no
    signed HEAD of any container, and nothing repaired."""
    for _ in range(3):
        new_container(sites)
    before = batch_reads(duo.b)
    printed = duo.run('reconcile', 'a')
    batches, records, heads = (
        now - then for now, then in zip(batch_reads(duo.b), before))
    assert batches >= 1 and records >= batches, (batches, records)
    assert heads == 0, printed
    assert ' 0 repaired, 0 conflicts, 0 unreachable' in printed, printed


def test_broken_ring_is_reported_then_repaired_in_one_pass(duo, sites):
    name = new_container(sites)
    key = assert_synced_both_ways(sites, name)
    wrong = '//autosync/b/%s/elsewhere' % ACCOUNT
    behind_autosync(duo, 'b', name, 'X-Container-Sync-To=' + wrong,
                    'X-Container-Sync-Key=other')
    code, reports = status_reports(duo, ACCOUNT + '/' + name)
    assert code == 1
    assert reports[0]['verdict'] == 'broken ring', reports
    by_site = {s['site']: s for s in reports[0]['sites']}
    assert by_site['//autosync/b']['sync_to'].lower() == wrong.lower()
    assert by_site['//autosync/a']['key_fingerprint'] != \
        by_site['//autosync/b']['key_fingerprint']
    assert key not in json.dumps(reports)  # fingerprints, never keys

    duo.run('reconcile', 'a')

    assert assert_synced_both_ways(sites, name) == key
    assert status_reports(duo, ACCOUNT + '/' + name)[0] == 0


def delete_at_a_only(duo, a, name):
    """A delete that reached A only. Through autosync, a DELETE while B
    is down deletes nothing (503): this is the state a delete at A
    leaves when it crosses a re-create at B."""
    with stopped(duo.b):
        fails_with(503, a.delete_container, name)
    assert head_container(a, name) is not None
    behind_autosync(duo, 'a', name, 'DELETE')


def put_at_b_while_a_is_down(duo, b, name):
    """A re-create at B: a bare PUT of a container B holds, wired,
    changes nothing autosync carries (it is answered at B alone), and
    moves B's put time past A's delete."""
    with stopped(duo.a):
        b.put_container(name)


@pytest.mark.parametrize('order', ['ab', 'ba'])
def test_a_recreate_after_the_delete_brings_the_container_back(
        duo, sites, order):
    name = new_container(sites)
    delete_at_a_only(duo, sites.a, name)
    put_at_b_while_a_is_down(duo, sites.b, name)  # later: wins
    reconcile_everywhere(duo, order)
    key = assert_synced_both_ways(sites, name)
    reconcile_everywhere(duo, order[::-1])  # and again: nothing moves
    assert assert_synced_both_ways(sites, name) == key


@pytest.mark.parametrize('order', ['ab', 'ba'])
def test_a_delete_after_the_recreate_deletes_everywhere(duo, sites, order):
    name = new_container(sites)
    put_at_b_while_a_is_down(duo, sites.b, name)
    delete_at_a_only(duo, sites.a, name)  # later: wins
    reconcile_everywhere(duo, order)
    assert head_container(sites.a, name) is None
    assert head_container(sites.b, name) is None
    reconcile_everywhere(duo, order[::-1])
    assert head_container(sites.a, name) is None
    assert head_container(sites.b, name) is None
