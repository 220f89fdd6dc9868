"""Issue 12 on the real pair: account metadata and the account ACL set
at one site while the other was down reach it on the next
autosync-reconciler pass, the newest write winning."""

import pytest
from swiftclient import client

from e2e_helpers import (
    NON_OWNER_ACL,
    connections,
    pair_of_its_own,
    stopped,
    unique,
)

META = 'X-Account-Meta-Reconciled'

duo = pair_of_its_own()


@pytest.fixture
def conns(duo):
    both = connections(duo)
    yield both
    # A stopped site is started again by ``stopped``: reset both.
    for conn in both.values():
        conn.post_account({META: '', 'X-Account-Access-Control': ''})


def post_with_peer_down(duo, conns, at, headers):
    """POST the account at ``at`` with the other site stopped: applied
    there; the answer is 503 (site_down = refuse) or 2xx (defer), either
    way."""
    other = 'b' if at == 'a' else 'a'
    with stopped(getattr(duo, other)):
        try:
            conns[at].post_account(headers)
        except client.ClientException as err:
            assert err.http_status == 503, err


def account(conn):
    return conn.head_account()


def test_account_changes_made_while_b_was_down_reach_b(duo, conns):
    value = unique('meta-')
    post_with_peer_down(duo, conns, 'a', {
        META: value, 'X-Account-Access-Control': NON_OWNER_ACL})
    assert META.lower() not in account(conns['b'])

    duo.run('reconcile', 'a')

    there = account(conns['b'])
    assert there[META.lower()] == value
    assert there['x-account-access-control'] == NON_OWNER_ACL


@pytest.mark.parametrize('older_at, newer_at', [('b', 'a'), ('a', 'b')],
                         ids=['newer-at-a', 'newer-at-b'])
def test_of_two_changes_made_apart_the_newer_wins_at_both(
        duo, conns, older_at, newer_at):
    """Either way round: the placement's order cannot decide it, the
    changed-at record must."""
    older, newer = unique('older-'), unique('newer-')
    post_with_peer_down(duo, conns, older_at, {META: older})
    post_with_peer_down(duo, conns, newer_at, {META: newer})

    duo.run('reconcile', 'a')
    duo.run('reconcile', 'b')

    assert account(conns['a'])[META.lower()] == newer
    assert account(conns['b'])[META.lower()] == newer
