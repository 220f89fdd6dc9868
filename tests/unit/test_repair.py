"""The states of one container at its sites -> what to repair
(repair.py): pure, and the same decision at whichever site makes it."""

import dataclasses
import itertools
from unittest import mock

import pytest
from swift.common.utils import Timestamp

from autosync.placement import (
    next_in_ring,
    parse_placement,
    same_sync_target,
    sync_target,
)
from autosync.repair import IN_SYNC, Repair, diagnose, newest_placement
from autosync.state import ContainerState

from helpers import ACCOUNT_NAME, CONTAINER_NAME, SYNC_KEY, A, B, C, D

SITES = (A, B, C)
VERSION = Timestamp(1000).internal
PUT_AT = Timestamp(2000).internal
CHANGED_AT = Timestamp(3000).internal
METADATA = {'x-container-meta-colour': 'blue', 'x-container-read': '.r:*'}


def ts(seconds):
    return Timestamp(seconds).internal


def names(*sites):
    return ', '.join(sites)


def target(site):
    """Where ``site`` syncs to: the next site of A, B, C."""
    return ring_of(*SITES)[site]


def ring_of(*sites):
    placement = parse_placement(list(sites))
    return {site.name: sync_target(next_in_ring(placement, site),
                                   ACCOUNT_NAME, CONTAINER_NAME)
            for site in placement}


def in_sync(*sites, **fields):
    """A state per site of a container placed (and wired) on ``sites``."""
    sites = sites or SITES
    ring = ring_of(*sites)
    base = dict(status=204, put_timestamp=PUT_AT, placement=names(*sites),
                placement_version=VERSION, changed_at=CHANGED_AT,
                sync_key=SYNC_KEY, metadata=dict(METADATA))
    base.update(fields)
    return {site: ContainerState(site, **{'sync_to': ring[site], **base})
            for site in sites}


def change(states, site, **fields):
    states[site] = dataclasses.replace(states[site], **fields)
    return states


def missing(site):
    return ContainerState(site, 404)


def deleted(site, at):
    return ContainerState(site, 404, delete_timestamp=at)


def diagnosed(states, sites=SITES, version=VERSION, new_key=''):
    return diagnose(ACCOUNT_NAME, CONTAINER_NAME, parse_placement(list(sites)),
                    version, states, new_key)


def wired_put(site, metadata=METADATA, changed_at=CHANGED_AT, key=SYNC_KEY):
    """The PUT that makes ``site``'s copy again, wired into A, B, C."""
    return Repair(site, 'PUT', mock.ANY, metadata=dict(metadata),
                  sync_to=target(site), sync_key=key,
                  placement=names(*SITES), placement_version=VERSION,
                  changed_at=changed_at)


# -- newest_placement --

def test_newest_placement_is_the_highest_version_recorded():
    states = in_sync(A, B)
    change(states, B, placement=names(B, C), placement_version=ts(1500))
    placement, version = newest_placement(list(states.values()))
    assert [site.name for site in placement] == [B, C]
    assert version == ts(1500)


def test_newest_placement_ignores_sites_without_the_container():
    states = in_sync(A, B)
    states[C] = ContainerState(C, 404, placement=names(C, D),
                               placement_version=ts(9000))
    placement, _ = newest_placement(list(states.values()))
    assert [site.name for site in placement] == [A, B]


def test_newest_placement_skips_a_record_that_does_not_parse():
    states = in_sync(A, B)
    change(states, B, placement='not a site', placement_version=ts(9000))
    placement, version = newest_placement(list(states.values()))
    assert [site.name for site in placement] == [A, B]
    assert version == VERSION


def test_newest_placement_is_empty_when_none_is_recorded():
    states = in_sync(A, B, placement='', placement_version='')
    assert newest_placement(list(states.values())) == ((), '')


def test_newest_placement_on_equal_versions_does_not_depend_on_order():
    states = in_sync(A, B)
    change(states, B, placement=names(B, A))
    chosen = {newest_placement(list(order))
              for order in itertools.permutations(states.values())}
    assert len(chosen) == 1


# -- what cannot or need not be compared --

def test_single_site_placement_needs_nothing():
    found = diagnosed(in_sync(A), sites=(A,))
    assert found.repairs == ()
    assert found.ok
    assert 'one site' in found.verdict


def test_unreachable_site_stops_every_repair():
    states = change(in_sync(), B, status=None, detail='connection refused')
    states[C] = missing(C)
    found = diagnosed(states)
    assert found.repairs == ()
    assert found.unreachable == (B,)
    assert found.verdict == 'unknown: no answer from %s' % B
    assert not found.ok


def test_site_answering_401_counts_as_unreachable():
    found = diagnosed(change(in_sync(), C, status=401))
    assert found.repairs == ()
    assert found.unreachable == (C,)


def test_unreachable_site_outside_the_placement_stops_every_repair():
    states = in_sync(A, B)
    states[A] = missing(A)
    states[D] = ContainerState(D, None, 'no answer within 10s')
    found = diagnosed(states, sites=(A, B))
    assert found.repairs == ()
    assert found.unreachable == (D,)


def test_in_sync_needs_nothing():
    found = diagnosed(in_sync())
    assert found.verdict == IN_SYNC
    assert (found.repairs, found.problems, found.conflicts) == ((), (), ())
    assert found.ok


@pytest.mark.parametrize('db_state', ['sharding', 'sharded'])
def test_a_sharded_copy_is_a_problem_no_repair_fixes(db_state):
    found = diagnosed(change(in_sync(), B, sharding_state=db_state))
    assert found.verdict == ('sharded at %s: container-sync does not carry '
                             'its new objects' % B)
    assert found.problems == ('%s: sharded: objects written to it since '
                              'are not carried by container-sync' % B,)
    assert found.repairs == ()
    assert not found.ok


@pytest.mark.parametrize('db_state', ['unsharded', 'collapsed', ''])
def test_a_container_with_its_rows_in_its_own_db_is_in_sync(db_state):
    found = diagnosed(change(in_sync(), B, sharding_state=db_state))
    assert (found.verdict, found.problems) == (IN_SYNC, ())


def test_a_missing_copy_is_repaired_beside_a_sharded_one():
    states = change(in_sync(), A, sharding_state='sharded')
    states[C] = missing(C)
    found = diagnosed(states)
    assert found.verdict == 'missing at %s' % C
    assert [r.method for r in found.repairs] == ['PUT']
    assert any('sharded' in problem for problem in found.problems)


def test_sites_behind_on_objects_are_lagging_not_broken():
    states = in_sync(object_count=3)
    change(states, B, object_count=2)
    found = diagnosed(states)
    assert found.verdict == 'lagging by 1 object at %s' % B
    assert found.repairs == ()
    assert found.ok


def test_lag_names_every_site_behind_in_placement_order():
    states = in_sync(object_count=5)
    change(states, A, object_count=3)
    change(states, C, object_count=4)
    assert diagnosed(states).verdict == \
        'lagging by 2 objects at %s, 1 object at %s' % (A, C)


def test_deleted_everywhere_needs_nothing():
    states = {A: deleted(A, ts(5000)), B: deleted(B, ts(5001)),
              C: missing(C)}
    found = diagnosed(states)
    assert found.verdict == 'deleted at every site'
    assert found.repairs == ()


# -- a site without the container --

def test_missing_site_is_put_with_the_metadata_ring_and_key():
    states = in_sync()
    states[B] = missing(B)
    found = diagnosed(states)
    assert found.repairs == (wired_put(B),)
    assert found.verdict == 'missing at %s' % B
    assert not found.ok


def test_missing_site_gets_the_metadata_changed_last():
    states = in_sync()
    change(states, C, metadata={'x-container-meta-colour': 'red'},
           changed_at=ts(4000))
    states[B] = missing(B)
    put, post = diagnosed(states).repairs
    assert put == wired_put(B, metadata={'x-container-meta-colour': 'red'},
                            changed_at=ts(4000))
    assert (post.method, post.site) == ('POST', A)


def test_missing_everywhere_but_one_takes_a_new_key_if_none_held():
    states = in_sync(sync_key='', sync_to='')
    states[B], states[C] = missing(B), missing(C)
    found = diagnosed(states, new_key='fresh-key')
    assert {repair.sync_key for repair in found.repairs} == {'fresh-key'}
    assert [(r.method, r.site) for r in found.repairs] == [
        ('PUT', B), ('PUT', C), ('POST', A)]


# -- delete against create --

def test_newer_delete_is_carried_to_empty_sites():
    states = in_sync()
    states[C] = deleted(C, ts(2500))
    found = diagnosed(states)
    assert found.repairs == (Repair(A, 'DELETE', mock.ANY),
                             Repair(B, 'DELETE', mock.ANY))
    assert found.repairs[0].reason.startswith('deleted at %s (' % C)
    assert found.verdict == 'deleted at %s, still at %s, %s' % (C, A, B)
    assert found.conflicts == ()


def test_newer_delete_never_deletes_a_site_holding_objects():
    states = change(in_sync(), B, object_count=3)
    states[C] = deleted(C, ts(2500))
    found = diagnosed(states)
    assert [(r.method, r.site) for r in found.repairs] == [('DELETE', A)]
    assert found.conflicts == (
        '%s still holds 3 objects: not deleted there' % B,)
    assert not found.ok


def test_newer_delete_against_the_newest_put_of_any_site():
    states = change(in_sync(), B, put_timestamp=ts(2600))
    states[C] = deleted(C, ts(2500))
    found = diagnosed(states)
    assert [(r.method, r.site) for r in found.repairs] == [('PUT', C)]


def test_older_delete_is_undone_by_a_put():
    states = in_sync()
    states[C] = deleted(C, ts(1500))
    found = diagnosed(states)
    assert found.repairs == (wired_put(C),)
    assert 'before it was last made' in found.repairs[0].reason


def test_delete_at_the_same_time_as_the_put_keeps_the_container():
    states = in_sync()
    states[C] = deleted(C, PUT_AT)
    assert diagnosed(states).repairs == (wired_put(C),)


# -- the ring --

def test_wrong_sync_target_is_rewired():
    states = change(in_sync(), B, sync_to=target(A))
    found = diagnosed(states)
    assert found.repairs == (Repair(B, 'POST', mock.ANY,
                                    sync_to=target(B), sync_key=SYNC_KEY),)
    assert found.verdict == 'broken ring'
    assert 'sync target %s, expected %s' % (target(A), target(B)) in \
        found.repairs[0].reason


def test_sync_target_spelled_otherwise_is_not_rewired():
    """Set outside autosync with other case: the same container, as
    Swift sees it, so the ring is whole."""
    spelled = target(B).replace('http://c.example.com', 'HTTP://C.Example.COM')
    assert spelled != target(B)
    found = diagnosed(change(in_sync(), B, sync_to=spelled))
    assert (found.verdict, found.repairs) == (IN_SYNC, ())


def test_sync_target_to_another_container_case_is_rewired():
    """Container names are case-sensitive: /C is not /c."""
    found = diagnosed(change(in_sync(), B, sync_to=target(B)[:-1] + 'C'))
    assert found.verdict == 'broken ring'


@pytest.mark.parametrize('one, other, same', [
    ('//Realm/Dc1/AUTH_a/c', '//realm/dc1/AUTH_a/c', True),
    ('//realm/dc1/AUTH_a/c', '//realm/dc1/auth_a/c', False),
    ('http://H:8080/v1/AUTH_a/c', 'http://h:8080/v1/AUTH_a/c', True),
    ('http://h/v1/AUTH_a/c', 'http://h:80/v1/AUTH_a/c', True),
    ('http://h:8080/v1/AUTH_a/c', 'https://h:8080/v1/AUTH_a/c', False),
    ('', '', True),
    ('not a target', 'NOT A TARGET', False),
])
def test_same_sync_target(one, other, same):
    assert same_sync_target(one, other) is same


def test_unwired_site_in_the_placement_is_rewired():
    states = change(in_sync(), C, sync_to='', sync_key='')
    assert diagnosed(states).repairs == (
        Repair(C, 'POST', mock.ANY, sync_to=target(C), sync_key=SYNC_KEY),)


def test_odd_key_out_takes_the_key_most_sites_hold():
    states = change(in_sync(), A, sync_key='odd-key')
    found = diagnosed(states)
    assert found.repairs == (Repair(A, 'POST', mock.ANY,
                                    sync_to=target(A), sync_key=SYNC_KEY),)
    assert found.verdict == 'broken ring'


def test_key_tie_goes_to_the_site_earliest_in_the_placement():
    # B comes first in this placement, though A sorts first by name.
    states = in_sync(B, A)
    change(states, A, sync_key='a-key')
    change(states, B, sync_key='b-key')
    found = diagnosed(states, sites=(B, A))
    assert [(r.method, r.site, r.sync_key) for r in found.repairs] == [
        ('POST', A, 'b-key')]


def test_site_recording_another_placement_gets_this_one():
    states = change(in_sync(), B, placement=names(A, B),
                    placement_version=ts(500))
    found = diagnosed(states)
    assert found.repairs == (Repair(
        B, 'POST', mock.ANY, placement=names(*SITES),
        placement_version=VERSION),)


def test_wired_site_outside_the_placement_is_unwired():
    states = in_sync(A, B)
    states[C] = ContainerState(C, 204, sync_to=target(C), sync_key=SYNC_KEY,
                               placement=names(*SITES))
    found = diagnosed(states, sites=(A, B))
    assert found.repairs == (Repair(
        C, 'POST', mock.ANY, sync_to='', sync_key='',
        placement=names(A, B), placement_version=VERSION),)
    assert 'outside the placement' in found.repairs[0].reason


def test_unwired_site_outside_the_placement_is_left_alone():
    states = in_sync(A, B)
    states[C] = ContainerState(C, 204, placement=names(A, B),
                               metadata={'x-container-meta-old': '1'})
    assert diagnosed(states, sites=(A, B)).repairs == ()


# -- metadata --

def test_metadata_changed_last_wins_and_lists_removals():
    states = in_sync()
    change(states, B, changed_at=ts(4000),
           metadata={'x-container-meta-colour': 'red'})
    found = diagnosed(states)
    wanted = {'x-container-meta-colour': 'red'}
    assert found.repairs == tuple(
        Repair(site, 'POST', mock.ANY, metadata=wanted,
               remove=('x-container-read',), changed_at=ts(4000))
        for site in (A, C))
    assert found.verdict == ('differs: %s: metadata differs from %s '
                             '(x-container-meta-colour, x-container-read)'
                             % (A, B))


def test_metadata_tie_goes_to_the_site_earliest_in_the_placement():
    # C comes first in this placement: it wins against A and B together.
    red = {'x-container-meta-colour': 'red'}
    states = in_sync(C, A, B, metadata=red)
    change(states, C, metadata=dict(METADATA))
    found = diagnosed(states, sites=(C, A, B))
    assert [(r.method, r.site, r.metadata, r.remove)
            for r in found.repairs] == [('POST', A, METADATA, ()),
                                        ('POST', B, METADATA, ())]


def test_metadata_without_changed_at_goes_to_the_first_site():
    states = in_sync(changed_at='')
    change(states, A, metadata={})
    found = diagnosed(states)
    assert found.repairs == tuple(
        Repair(site, 'POST', mock.ANY, metadata={},
               remove=tuple(sorted(METADATA)), changed_at='')
        for site in (B, C))


# -- the same decision at every site --

def _missing_b():
    states = in_sync()
    states[B] = missing(B)
    return states


def _delete_carried():
    states = change(in_sync(), B, object_count=2)
    states[C] = deleted(C, ts(2500))
    return states


def _keys_tied():
    states = in_sync(A, B)
    change(states, A, sync_key='a-key')
    change(states, B, sync_key='b-key')
    states[C] = ContainerState(C, 204, sync_to=target(C), sync_key='c-key')
    return states


def _metadata_tied():
    states = in_sync()
    change(states, B, metadata={'x-container-meta-colour': 'red'})
    change(states, C, metadata={'x-container-meta-size': 'xl'})
    return states


def _lagging():
    states = in_sync(object_count=4)
    change(states, A, object_count=1)
    return change(states, C, object_count=2)


@pytest.mark.parametrize('build, sites', [
    (_missing_b, SITES), (_delete_carried, SITES), (_keys_tied, (A, B)),
    (_metadata_tied, SITES), (_lagging, SITES)])
def test_decision_does_not_depend_on_the_order_of_states(build, sites):
    states = build()
    first, *others = [diagnosed(dict(order), sites)
                      for order in itertools.permutations(states.items())]
    assert all(other == first for other in others)
