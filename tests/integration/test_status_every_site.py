"""Issue 12 item 7 on the real pair: ``autosync status ACCOUNT`` lists the
account at every site, so a container that only B holds shows at A too,
and a site that cannot list is shown, never taken for an empty one.
Issue 16: where the container's DB is (the pair runs on one host, so at
each site's own conf), the status counts the rows container-sync has
not yet sent, and the count falls to 0 with a pass. The pair syncs only
when a test says so."""

import pytest

from e2e_helpers import (
    ACCOUNT,
    Sites,
    autosync_status,
    behind_autosync,
    fails_with,
    head_container,
    pair_of_its_own,
    status_reports,
    stopped,
)

A, B = '//autosync/a', '//autosync/b'
NO_NATURAL_SYNC = 86400
OBJECTS = 4

duo = pair_of_its_own(sync_interval=NO_NATURAL_SYNC)


@pytest.fixture
def sites(duo):
    with Sites(duo) as both:
        yield both


def account_status(duo, cluster='a'):
    """``autosync status --json ACCOUNT`` at ``cluster``: (exit status,
    the account's report, the containers' reports by name)."""
    code, reports = status_reports(duo, ACCOUNT, cluster=cluster)
    account, *containers = reports
    assert account['container'] is None, account
    return code, account, {entry['container']: entry
                           for entry in containers}


def by_site(entry):
    return {site['site']: site for site in entry['sites']}


def reported_at_a_held_at_b_only(duo, sites, name):
    """``name`` is at B, not at A, and ``autosync status ACCOUNT`` at A
    lists it as broken (exit 1): (the account's report, the
    container's)."""
    assert head_container(sites.a, name) is None
    assert head_container(sites.b, name) is not None
    code, account, containers = account_status(duo, cluster='a')
    assert code == 1
    assert name in containers, sorted(containers)
    entry = containers[name]
    assert not entry['ok']
    assert by_site(entry)[A]['exists'] is False
    return account, entry


def test_a_container_left_at_b_only_shows_at_a(duo, sites):
    """A delete that reached A only, as one that crossed a re-create at
    B leaves it: A lists nothing of it, B does."""
    name = sites.container(prefix='every')
    sites.a.put_container(name)
    behind_autosync(duo, 'a', name, 'DELETE')

    account, entry = reported_at_a_held_at_b_only(duo, sites, name)

    assert entry['verdict'] == 'deleted at %s, still at %s' % (A, B), entry
    assert by_site(entry)[B]['exists'] is True
    assert account['unlisted'] == []
    listed = {site: row['containers']
              for site, row in by_site(account).items()}
    assert listed[B] == listed[A] + 1, listed


def test_a_container_made_at_b_while_a_was_down_shows_at_a(duo, sites):
    name = sites.container(prefix='every')
    with stopped(duo.a):
        # Refused (A is down) and kept at B, pending for A.
        fails_with(503, sites.b.put_container, name)

    _, entry = reported_at_a_held_at_b_only(duo, sites, name)

    assert entry['verdict'] == 'pending at %s' % A, entry
    _, table = autosync_status(duo, ACCOUNT, cluster='a')
    assert '%s/%s: pending at %s' % (ACCOUNT, name, A) in \
        table.splitlines()


def test_a_site_that_cannot_list_is_shown_and_exits_1(duo, sites):
    name = sites.container(prefix='every')
    sites.a.put_container(name)
    with stopped(duo.b):
        code, account, containers = account_status(duo, cluster='a')
        text_code, table = autosync_status(duo, ACCOUNT, cluster='a')

    assert code == text_code == 1
    assert account['unlisted'] == [B], account
    assert not account['ok']
    assert by_site(account)[B]['containers'] is None
    assert by_site(account)[A]['containers'] >= 1
    assert not containers[name]['ok']  # B's copy is unknown
    lines = table.splitlines()
    assert lines[0].startswith('%s (account settings): ' % ACCOUNT)
    assert any(line.startswith('  ! could not list containers at %s: '
                               % B) for line in lines), table


def backlog_at(duo, cluster, name):
    """(the container's line of the table, its JSON backlog) of
    ``autosync status ACCOUNT/name`` at ``cluster``."""
    where = '%s/%s' % (ACCOUNT, name)
    _, table = autosync_status(duo, where, cluster=cluster)
    _, (entry,) = status_reports(duo, where, cluster=cluster)
    return table.splitlines()[0], entry['backlog']


def test_backlog_falls_to_0_as_container_sync_sends(duo, sites):
    name = sites.container(prefix='backlog')
    sites.a.put_container(name)
    for i in range(OBJECTS):
        sites.a.put_object(name, 'obj-%d' % i, b'%d' % i)
    sites.a.delete_object(name, 'obj-0')  # a delete is a row to send

    line, backlog = backlog_at(duo, 'a', name)
    assert line.endswith('(%d rows not yet sent to %s)' % (OBJECTS, B)), \
        line
    assert backlog == {'from': A, 'to': B, 'rows': OBJECTS}

    duo.a.sync_once()

    line, backlog = backlog_at(duo, 'a', name)
    assert line.endswith('(0 rows not yet sent to %s)' % B), line
    assert backlog == {'from': A, 'to': B, 'rows': 0}
    assert head_container(sites.b, name)['x-container-object-count'] == \
        str(OBJECTS - 1)
    # B's DB now holds the rows A sent, the delete too (B's object
    # server records it): B's pass goes over them, the ring's way back
    # (a HEAD at A finds each object there).
    _, backlog = backlog_at(duo, 'b', name)
    assert backlog == {'from': B, 'to': A, 'rows': OBJECTS}
    duo.b.sync_once()
    assert backlog_at(duo, 'b', name)[1]['rows'] == 0
