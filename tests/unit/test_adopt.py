"""``autosync adopt`` (adopt.py): what adopting a container made before
autosync does, and what it refuses."""

import pytest
from swift.common.utils import Timestamp

from autosync.adopt import (
    ADOPT,
    MANAGED,
    NOT_FOUND,
    REFUSED,
    Adopter,
    describe,
    plan,
    run,
)
from autosync.clusters import ContainerListing
from autosync.placement import parse_placement
from autosync.state import ContainerState, from_headers

PLACEMENT = parse_placement('//r/a, //r/b')
VERSION = Timestamp(100).internal
TO_B = '//R/B/AUTH_t/c'
TO_A = '//R/A/AUTH_t/c'


def held(site, **fields):
    fields.setdefault('put_timestamp', Timestamp(10).internal)
    return ContainerState(site, 204, **fields)


def missing(site, **fields):
    return ContainerState(site, 404, **fields)


def adopt(a, b):
    return plan('AUTH_t', 'c', PLACEMENT, {'//r/a': a, '//r/b': b},
                VERSION, 'new-key')


def by_site(found):
    return {repair.site: repair for repair in found.repairs}


def test_a_copy_at_one_site_is_made_at_the_other_and_both_wired():
    found = adopt(held('//r/a', metadata={'x-container-meta-colour': 'red'}),
                  missing('//r/b'))
    assert found.outcome == ADOPT
    repairs = by_site(found)
    assert repairs['//r/b'].method == 'PUT'
    assert repairs['//r/b'].metadata == {'x-container-meta-colour': 'red'}
    assert repairs['//r/b'].sync_to == TO_A
    assert repairs['//r/a'].method == 'POST'
    assert repairs['//r/a'].sync_to == TO_B
    assert {r.sync_key for r in found.repairs} == {'new-key'}
    assert {r.placement for r in found.repairs} == {'//r/a, //r/b'}
    assert {r.placement_version for r in found.repairs} == {VERSION}


def test_copies_synced_by_hand_within_the_ring_keep_their_key():
    found = adopt(held('//r/a', sync_to=TO_B, sync_key='theirs'),
                  held('//r/b', sync_key='theirs'))
    assert found.outcome == ADOPT
    repairs = by_site(found)
    assert (repairs['//r/b'].sync_to, repairs['//r/b'].sync_key) == (
        TO_A, 'theirs')
    # A is wired already: its placement is recorded, its ring left be.
    assert repairs['//r/a'].sync_to is None
    assert repairs['//r/a'].placement == '//r/a, //r/b'


def test_a_copy_deleted_at_the_other_site_is_made_there_not_deleted_here():
    # Before autosync, B's container of that name was another container.
    gone = missing('//r/b', delete_timestamp=Timestamp(50).internal)
    found = adopt(held('//r/a'), gone)
    assert found.outcome == ADOPT
    assert by_site(found)['//r/b'].method == 'PUT'
    assert 'DELETE' not in [r.method for r in found.repairs]


def test_a_versioned_copy_is_refused():
    found = adopt(held('//r/a', versioned=True), missing('//r/b'))
    assert found.outcome == REFUSED
    assert 'versioned at //r/a' in found.why
    assert found.repairs == ()


def test_a_copy_syncing_somewhere_else_is_refused():
    found = adopt(held('//r/a', sync_to='//r/c/AUTH_t/c', sync_key='k'),
                  missing('//r/b'))
    assert found.outcome == REFUSED
    assert '//r/a syncs to //r/c/AUTH_t/c' in found.why


def test_copies_with_different_metadata_are_refused_naming_the_key():
    found = adopt(held('//r/a', metadata={'x-container-meta-colour': 'red'}),
                  held('//r/b', metadata={'x-container-meta-colour': 'blue'}))
    assert found.outcome == REFUSED
    assert 'x-container-meta-colour' in found.why
    assert 'red' not in found.why and 'blue' not in found.why


def test_a_site_that_does_not_answer_is_refused():
    found = adopt(held('//r/a'), ContainerState('//r/b', None, 'timeout'))
    assert found.outcome == REFUSED
    assert 'no answer from //r/b' in found.why


def test_a_managed_container_is_left_alone():
    found = adopt(held('//r/a', placement='//r/a, //r/b'), held('//r/b'))
    assert found.outcome == MANAGED
    assert found.repairs == ()


def test_a_container_at_no_site_is_not_found():
    assert adopt(missing('//r/a'), missing('//r/b')).outcome == NOT_FOUND


def test_versioning_shows_in_the_state_a_head_gives():
    for headers in ({'x-versions-location': 'v'},
                    {'x-history-location': 'v'},
                    {'x-versions-enabled': 'False'},
                    {'x-container-sysmeta-versions-container': 'v'}):
        assert from_headers('//r/a', 204, headers).versioned, headers
    assert not from_headers('//r/a', 204, {}).versioned


def test_describe_says_what_each_repair_does():
    lines = describe(adopt(held('//r/a'), missing('//r/b')))
    assert lines[0] == 'c: adopt'
    assert any(line.startswith('  PUT at //r/b: missing at //r/b')
               for line in lines)


class FakeCluster(object):
    def __init__(self, state, applied, names=()):
        self.state, self.applied, self.names = state, applied, names

    def list_containers(self, account):
        return ContainerListing(self.state.site, self.names)

    def head(self, account, container):
        return self.state

    def apply(self, account, container, repair):
        self.applied.append((repair.site, repair.method))
        return True, ''


class FakeInspector(object):
    def __init__(self, states):
        self.applied = []
        self.clusters = {site: FakeCluster(state, self.applied)
                         for site, state in states.items()}

    def cluster(self, site):
        return self.clusters[site.name]

    def read(self, account, container, sites):
        return {site: self.clusters[site.name].state for site in sites}


def test_a_dry_run_changes_nothing_and_apply_makes_the_repairs():
    inspector = FakeInspector({'//r/a': held('//r/a'),
                               '//r/b': missing('//r/b')})
    said = []
    assert run(Adopter(inspector, PLACEMENT), 'AUTH_t', ['c'], False,
               said.append) == 0
    assert inspector.applied == []
    assert said[-1].startswith('dry run')
    said = []
    assert run(Adopter(inspector, PLACEMENT), 'AUTH_t', ['c'], True,
               said.append) == 0
    assert sorted(inspector.applied) == [('//r/a', 'POST'),
                                         ('//r/b', 'PUT')]
    assert said[0] == 'c: adopt: done'


def test_a_refusal_exits_1():
    inspector = FakeInspector({'//r/a': held('//r/a', versioned=True),
                               '//r/b': missing('//r/b')})
    assert run(Adopter(inspector, PLACEMENT), 'AUTH_t', ['c'], True,
               lambda line: None) == 1
    assert inspector.applied == []


def test_an_account_is_every_container_listed_at_any_site():
    inspector = FakeInspector({'//r/a': held('//r/a'),
                               '//r/b': missing('//r/b')})
    inspector.clusters['//r/a'].names = ('x', 'y')
    inspector.clusters['//r/b'].names = ('y', 'z')
    assert Adopter(inspector, PLACEMENT).container_names('AUTH_t') == [
        'x', 'y', 'z']


def test_an_account_a_site_cannot_list_is_not_adopted_in_part():
    inspector = FakeInspector({'//r/a': held('//r/a'),
                               '//r/b': missing('//r/b')})
    inspector.clusters['//r/b'].names = None
    with pytest.raises(IOError) as raised:
        Adopter(inspector, PLACEMENT).container_names('AUTH_t')
    assert '//r/b' in str(raised.value)
