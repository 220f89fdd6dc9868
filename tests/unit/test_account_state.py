"""An account's state as every reader sees it (account_state.py)."""

from swift.common.utils import Timestamp

from autosync.account_state import (
    AccountState,
    exposed_account_headers,
    from_broker,
    from_headers,
    normal_acl,
)

ACL_SYSMETA = 'X-Account-Sysmeta-Core-Access-Control'
CHANGED_SYSMETA = 'X-Account-Sysmeta-Autosync-Changed-At'
PENDING_SYSMETA = 'X-Account-Sysmeta-Autosync-Pending'
WHEN = Timestamp(1700000000).internal


def test_one_acl_spelled_two_ways_is_one_acl():
    assert normal_acl('{ "read-only": ["x"], "admin": ["y"] }') == \
        normal_acl('{"admin":["y"],"read-only":["x"]}')


def test_empty_acl_is_no_acl():
    assert normal_acl('{}') == normal_acl('') == ''


def test_sysmeta_records_are_shown_under_names_the_gatekeeper_lets_out():
    shown = dict(exposed_account_headers([
        (CHANGED_SYSMETA, WHEN), (PENDING_SYSMETA, WHEN + ' //r/b'),
        (ACL_SYSMETA, '{}'), ('X-Account-Meta-Colour', 'blue')]))
    assert shown == {'X-Autosync-Changed-At': WHEN,
                     'X-Autosync-Pending': WHEN + ' //r/b',
                     'X-Account-Access-Control': '{}'}


def test_state_from_the_db_holds_metadata_acl_and_records():
    state = from_broker('//r/a', {
        'X-Account-Meta-Colour': ('grün', WHEN),
        'X-Account-Meta-Gone': ('', WHEN),
        ACL_SYSMETA: ('{"admin": ["u"]}', WHEN),
        CHANGED_SYSMETA: (WHEN, WHEN),
        PENDING_SYSMETA: (WHEN + ' //r/b', WHEN)})
    # As a HEAD gives it: UTF-8 bytes as Latin-1.
    assert state.metadata == {
        'x-account-meta-colour': 'grün'.encode('utf-8').decode('latin-1')}
    assert state.acl == '{"admin":["u"]}'
    assert (state.changed_at, state.pending) == (WHEN, WHEN + ' //r/b')


def test_account_nobody_changed_is_not_worth_checking():
    assert not from_broker('//r/a', {}).worth_checking


def test_account_with_only_a_changed_at_is_worth_checking():
    """Its settings were all removed: other sites may still hold them."""
    assert from_broker('//r/a', {CHANGED_SYSMETA: (WHEN, WHEN)}
                       ).worth_checking


def test_deleted_account_is_reachable_and_deleted():
    state = from_headers('//r/a', 410, {})
    assert state.reachable and state.deleted and not state.exists


def test_error_answer_is_unreachable():
    assert not AccountState('//r/a', 503).reachable
