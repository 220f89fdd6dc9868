"""Which account repairs the sites need (account_repair.py)."""

from swift.common.utils import Timestamp

from autosync.account_repair import diagnose_account
from autosync.account_state import AccountState
from autosync.repair import IN_SYNC

A, B, C = '//r/a', '//r/b', '//r/c'
OLD, NEW = Timestamp(1700000000).internal, Timestamp(1700000100).internal
ACL = '{"read-only":["u"]}'


def state(site, status=204, **fields):
    return AccountState(site, status, **fields)


def diagnose(*states):
    return diagnose_account([s.site for s in states],
                            {s.site: s for s in states})


def test_newest_change_wins_for_the_whole_set():
    found = diagnose(
        state(A, changed_at=OLD, metadata={'x-account-meta-old': '1'},
              acl=ACL),
        state(B, changed_at=NEW, metadata={'x-account-meta-new': '2'}))
    [repair] = found.repairs
    assert repair.site == A
    assert repair.metadata == {'x-account-meta-new': '2'}
    assert repair.remove == ('x-account-meta-old',)
    assert repair.acl == ''  # removed: B has none
    assert repair.changed_at == NEW
    assert found.verdict.startswith('differs: //r/a: metadata differs')


def test_on_equal_times_the_site_first_in_the_placement_wins():
    found = diagnose(state(A, metadata={'x-account-meta-k': 'a'}),
                     state(B, metadata={'x-account-meta-k': 'b'}))
    assert [(r.site, r.metadata) for r in found.repairs] == [
        (B, {'x-account-meta-k': 'a'})]


def test_acl_alone_is_repaired_and_metadata_left_as_it_is():
    found = diagnose(state(A, changed_at=NEW, acl=ACL),
                     state(B, changed_at=OLD))
    [repair] = found.repairs
    assert (repair.site, repair.acl, repair.remove) == (B, ACL, ())


def test_an_unknown_site_stops_every_repair():
    found = diagnose(state(A, changed_at=NEW, acl=ACL), state(B, None),
                     state(C))
    assert found.repairs == ()
    assert found.unreachable == (B,)
    assert found.verdict == 'unknown: no answer from //r/b'


def test_missing_account_gets_the_settings_there_are():
    found = diagnose(state(A, metadata={'x-account-meta-k': 'v'}),
                     state(B, 404))
    [repair] = found.repairs
    assert (repair.site, repair.metadata) == (B, {'x-account-meta-k': 'v'})
    assert found.verdict == 'missing at //r/b'


def test_missing_account_without_settings_to_carry_is_no_difference():
    found = diagnose(state(A, changed_at=NEW), state(B, 404))
    assert (found.verdict, found.repairs) == (IN_SYNC, ())


def test_deleted_account_is_left_to_the_reaper():
    found = diagnose(state(A, acl=ACL), state(B, 410))
    assert found.repairs == ()
    assert found.verdict.startswith('deleted at //r/b')


def test_deferred_change_is_pending_not_broken():
    found = diagnose(
        state(A, changed_at=NEW, acl=ACL, pending=NEW + ' //r/b'),
        state(B, changed_at=OLD))
    assert found.verdict == 'pending at //r/b'
    assert [r.site for r in found.repairs] == [B]
    assert found.settled == (A,)


def test_pending_record_of_sites_that_agree_is_settled():
    found = diagnose(state(A, acl=ACL, pending=NEW + ' //r/b'),
                     state(B, acl=ACL))
    assert (found.verdict, found.repairs, found.settled) == (
        IN_SYNC, (), (A,))


def test_one_site_has_nothing_to_compare():
    assert diagnose(state(A, acl=ACL)).repairs == ()
