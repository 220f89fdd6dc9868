"""``autosync status``: what it shows of inspections and how it exits
(status.py, cli.py). Inspections are built here: no I/O."""

import json
from types import SimpleNamespace

import pytest
from swift.common.utils import Timestamp

from autosync import cli, config
from autosync.account_state import AccountState
from autosync.clusters import ContainerListing
from autosync.inspection import Inspection, Inspector
from autosync.placement import (
    next_in_ring,
    parse_placement,
    parse_site,
    sync_target,
)
from autosync.repair import Diagnosis, diagnose
from autosync.state import ContainerState, key_fingerprint
from autosync.status import (
    ACCOUNT_COLUMNS,
    COLUMNS,
    StatusReader,
    exit_status,
    output,
    render_table,
    report,
)

from helpers import A, B, C, FakeLogger

KEY = 'a-secret-sync-key-0123456789abcdef'
VERSION = Timestamp(1000).internal
NEWEST = '2026-01-02T03:04:05.000000'


def wired(site, sites=(A, B), container='c', **fields):
    placement = parse_placement(list(sites))
    here = placement[[s.name for s in placement].index(site)]
    values = dict(
        status=204, placement=', '.join(sites), placement_version=VERSION,
        sync_to=sync_target(next_in_ring(placement, here), 'AUTH_test',
                            container),
        sync_key=KEY, object_count=2, bytes_used=10)
    values.update(fields)
    return ContainerState(site, **values)


def inspection(*states, sites=(A, B)):
    placement = parse_placement(list(sites))
    by_site = {state.site: state for state in states}
    return Inspection('AUTH_test', 'c', placement, VERSION, by_site,
                      diagnose('AUTH_test', 'c', placement, VERSION,
                               by_site))


def reported(*states, sites=(A, B), newest=None):
    return report(inspection(*states, sites=sites),
                  {A: NEWEST} if newest is None else newest)


def table(*states, **kwargs):
    return render_table([reported(*states, **kwargs)]).splitlines()


def row(lines, site):
    found, = [line.split() for line in lines if line.split()[0] == site]
    return found


# -- the table --

def test_table_starts_with_the_container_and_its_verdict():
    lines = table(wired(A), wired(B))
    assert lines[0] == 'AUTH_test/c: in sync'


def test_a_name_that_does_not_print_cannot_forge_a_line():
    forged = 'x\nAUTH_test/y: in sync\x1b[2J\\'
    entry = reported(wired(A), wired(B))
    entry['container'] = forged
    lines = render_table([entry]).splitlines()
    assert lines[0] == 'AUTH_test/x\\nAUTH_test/y: in sync\\x1b[2J\\\\: ' \
        'in sync'
    assert len(lines) == len(table(wired(A), wired(B)))


def test_a_name_in_other_scripts_is_shown_as_it_is():
    entry = reported(wired(A), wired(B))
    entry['container'] = 'café 日本'
    assert render_table([entry]).splitlines()[0] == \
        'AUTH_test/café 日本: in sync'


def test_table_has_a_column_for_each_field():
    header = table(wired(A), wired(B))[1]
    positions = [header.index(column) for column in COLUMNS]
    assert positions == sorted(positions)


def test_table_row_shows_what_each_site_holds():
    lines = table(wired(A), wired(B))
    assert row(lines, A) == [A, 'yes', B + '/v1/AUTH_test/c',
                             key_fingerprint(KEY), '2', '10', NEWEST]


def test_table_shows_dashes_for_what_a_site_lacks():
    lines = table(wired(A), wired(B, sync_to='', sync_key=''))
    assert row(lines, B) == [B, 'yes', '-', '-', '2', '10', '-']


def test_unreachable_site_shows_a_question_mark_and_why():
    lines = table(wired(A), ContainerState(B, None, 'connection refused'))
    assert row(lines, B)[:2] == [B, '?']
    assert '  ! %s: connection refused' % B in lines


def test_unreachable_site_shows_no_figures():
    lines = table(wired(A), ContainerState(B, None, 'no answer within 10s'))
    assert row(lines, B)[1:6] == ['?', '-', '-', '-', '-']
    entry = reported(wired(A), ContainerState(B, None, 'timed out'))
    assert [(s['object_count'], s['bytes_used']) for s in entry['sites']
            ] == [(2, 10), (None, None)]


def test_deleted_site_shows_deleted():
    lines = table(wired(A), ContainerState(
        B, 404, delete_timestamp=Timestamp(5).internal))
    assert row(lines, B)[:2] == [B, 'deleted']


def test_missing_site_shows_no_and_the_problem():
    lines = table(wired(A), ContainerState(B, 404))
    assert row(lines, B)[:2] == [B, 'no']
    assert '  ! missing at %s' % B in lines


def test_conflict_is_shown():
    lines = table(wired(A, object_count=3), ContainerState(
        B, 404, delete_timestamp=Timestamp(5000).internal))
    assert '  ! %s still holds 3 objects: not deleted there' % A in lines


def test_site_outside_the_placement_holding_a_copy_is_shown_last():
    lines = table(wired(A), wired(B), ContainerState(C, 204))
    assert [line.split()[0] for line in lines[2:5]] == [A, B, C]


def test_unreachable_site_outside_the_placement_is_shown():
    """A configured site the recorded placement leaves out made the
    verdict unknown: the table must say which and why."""
    lines = table(wired(A), wired(B),
                  ContainerState(C, None, 'connection refused'))
    assert row(lines, C)[1] == '?'
    assert '  ! %s: connection refused' % C in lines


def test_key_is_never_printed():
    reports = [reported(wired(A), wired(B, sync_key=KEY + 'x'))]
    for as_json in (False, True):
        shown = output(reports, as_json)
        assert KEY not in shown
        assert key_fingerprint(KEY) in shown


def test_no_containers_says_so():
    assert output([], False) == 'no containers found'
    assert json.loads(output([], True)) == []


# -- --json --

def test_json_report_shape():
    shown = json.loads(output([reported(
        wired(A), ContainerState(B, None, 'connection refused'))], True))
    assert shown == [{
        'account': 'AUTH_test', 'container': 'c', 'placement': [A, B],
        'verdict': 'unknown: no answer from %s' % B, 'ok': False,
        'problems': [], 'conflicts': [], 'unreachable': [B],
        'backlog': None,
        'sites': [
            {'site': A, 'exists': True, 'deleted': False, 'status': 204,
             'detail': '', 'sync_to': B + '/v1/AUTH_test/c',
             'key_fingerprint': key_fingerprint(KEY), 'object_count': 2,
             'bytes_used': 10, 'newest_object': NEWEST},
            {'site': B, 'exists': None, 'deleted': False, 'status': None,
             'detail': 'connection refused', 'sync_to': '',
             'key_fingerprint': '', 'object_count': None,
             'bytes_used': None, 'newest_object': None}]}]


# -- exit status --

def test_exit_1_when_a_container_is_broken():
    broken = reported(wired(A), wired(B, sync_to=''))
    assert not broken['ok']
    assert exit_status([reported(wired(A), wired(B)), broken]) == 1


def test_exit_1_when_a_site_is_unreachable():
    assert exit_status([reported(wired(A), ContainerState(B, None))]) == 1


def test_exit_0_when_only_lagging():
    lagging = reported(wired(A), wired(B, object_count=1))
    assert lagging['verdict'] == 'lagging by 1 object at %s' % B
    assert exit_status([lagging]) == 0


def test_exit_0_when_nothing_was_found():
    assert exit_status([]) == 0


def test_unmanaged_container_is_reported_as_is():
    found = Inspection('AUTH_test', 'c', parse_placement([A, B]), '',
                       {A: ContainerState(A, 204)},
                       Diagnosis('not managed by autosync (no placement '
                                 'recorded)'))
    entry = report(found, {})
    assert entry['verdict'].startswith('not managed')
    assert [site['site'] for site in entry['sites']] == [A]


# -- reading --

class StubCluster(object):
    def __init__(self, newest):
        self.newest = newest
        self.asked = 0

    def newest_object(self, account, container):
        self.asked += 1
        return self.newest, 1


class StubInspector(object):
    """Answers every container with one inspection."""

    def __init__(self, found, clusters):
        self.found = found
        self.clusters = clusters
        self.inspected = []

    def inspect(self, account, container, also=()):
        self.inspected.append((account, container))
        return self.found

    def cluster(self, site):
        return self.clusters[site.name]


def test_reader_asks_the_newest_object_only_where_the_container_is():
    clusters = {A: StubCluster(NEWEST), B: StubCluster('never')}
    reader = StatusReader(StubInspector(
        inspection(wired(A), ContainerState(B, 404)), clusters))
    entry = reader.one('AUTH_test', 'c')
    assert [site['newest_object'] for site in entry['sites']] == [
        NEWEST, None]
    assert (clusters[A].asked, clusters[B].asked) == (1, 0)


def test_reader_reports_progress_per_container():
    clusters = {A: StubCluster(NEWEST), B: StubCluster(NEWEST)}
    inspector = StubInspector(inspection(wired(A), wired(B)), clusters)
    progress = []
    reports = StatusReader(inspector, lambda *done: progress.append(
        done)).many([('AUTH_test', 'c'), ('AUTH_test', 'd')])
    assert len(reports) == 2
    assert progress == [(1, 2), (2, 2)]
    assert inspector.inspected == [('AUTH_test', 'c'), ('AUTH_test', 'd')]


# -- the command --

@pytest.fixture
def quiet_cli(monkeypatch):
    """cli.main without touching Swift's process-wide settings."""
    monkeypatch.setattr(cli, 'use_swift_dir', lambda swift_dir: None)
    monkeypatch.setattr(cli, 'get_logger',
                        lambda conf, **kwargs: FakeLogger())


def test_status_without_a_conf_file_exits_2(capsys):
    assert cli.main(['status', '--conf', '/nonexistent']) == 2
    captured = capsys.readouterr()
    assert captured.out == ''
    assert captured.err.startswith('autosync status: ')
    assert '/nonexistent' in captured.err


def test_status_without_the_reconciler_section_exits_2(tmp_path, capsys):
    conf = tmp_path / 'autosync-reconciler.conf'
    conf.write_text('[DEFAULT]\nswift_dir = %s\n' % tmp_path)
    assert cli.main(['status', '--conf', str(conf)]) == 2
    assert 'autosync-reconciler' in capsys.readouterr().err


def test_status_with_a_bad_option_names_it_and_exits_2(
        tmp_path, capsys, quiet_cli):
    conf = tmp_path / 'autosync-reconciler.conf'
    conf.write_text('[DEFAULT]\nswift_dir = %s\n\n[autosync-reconciler]\n'
                    'autosync_my_cluster = %s\nautosync_placement = %s\n'
                    'autosync_key = k\ninterval = 0\n' % (
                        tmp_path, A, ', '.join((A, B))))
    assert cli.main(['status', '--conf', str(conf)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ''
    assert "[autosync-reconciler] interval = '0'" in captured.err


def test_conf_without_a_section_header_exits_2(tmp_path, capsys):
    conf = tmp_path / 'autosync-reconciler.conf'
    conf.write_text('autosync_my_cluster = %s\n' % A)
    assert cli.main(['status', '--conf', str(conf)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ''
    assert captured.err.startswith('autosync status: ')


def test_status_that_fails_while_reading_exits_2(tmp_path, capsys,
                                                  quiet_cli, monkeypatch):
    """Exit 1 means "something is broken"; a status that could not look
    must not say that."""
    conf = tmp_path / 'autosync-reconciler.conf'
    conf.write_text('[autosync-reconciler]\n')
    monkeypatch.setattr(cli, 'load_setup',
                        lambda *a, **k: SimpleNamespace(inspector=None,
                                                        walk=None))
    monkeypatch.setattr(cli, 'targets', lambda *args: [('AUTH_test', 'c')])

    def broken(self, targets):
        raise TypeError('boom')
    monkeypatch.setattr(StatusReader, 'many', broken)
    assert cli.main(['status', '--conf', str(conf), 'AUTH_test/c']) == 2
    captured = capsys.readouterr()
    assert captured.out == ''
    assert captured.err == 'autosync status: failed: TypeError: boom\n'


def test_status_of_this_node_without_its_devices_exits_2(
        tmp_path, capsys, quiet_cli, monkeypatch):
    """Swift's walk of a missing devices dir finds nothing: that must
    not read as "nothing broken"."""
    conf = tmp_path / 'autosync-reconciler.conf'
    conf.write_text('[autosync-reconciler]\n')
    monkeypatch.setattr(cli, 'load_setup', lambda *a, **k: SimpleNamespace(
        walk=SimpleNamespace(devices=str(tmp_path / 'nowhere'))))
    assert cli.main(['status', '--conf', str(conf)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ''
    assert 'nowhere is not a directory' in captured.err


# -- an account: its own verdict, and its containers at every site --

CHANGED_AT = Timestamp(2000).internal
TEMPURL_KEY = 'a-temp-url-key-nobody-may-see'


class Site(object):
    """One site for the reader: the account's containers it holds, its
    copy of the account, and whether it answers at all."""

    def __init__(self, name, *containers, account=None, down=''):
        self.name = name
        self.containers = {state.container: state.state
                           for state in containers}
        self.account = account or AccountState(name, 204)
        self.down = down
        self.listed = 0

    def list_containers(self, account):
        self.listed += 1
        if self.down:
            return ContainerListing(self.name, None, self.down)
        return ContainerListing(self.name, tuple(sorted(
            name for name, state in self.containers.items()
            if state.exists)))

    def head(self, account, container):
        if self.down:
            return ContainerState(self.name, None, self.down)
        return self.containers.get(container, ContainerState(self.name,
                                                             404))

    def newest_object(self, account, container):
        return NEWEST, 1

    def head_account(self, account):
        if self.down:
            return AccountState(self.name, None, self.down)
        return self.account


def holding(site, container, sites=(A, B), **fields):
    """``site``'s wired copy of ``container``, for ``Site``."""
    return SimpleNamespace(container=container, state=wired(
        site, sites=sites, container=container, **fields))


def account_reader(*fake_sites, configured=(A, B)):
    cfg = config.parse({'autosync_my_cluster': configured[0],
                        'autosync_placement': ', '.join(configured),
                        'autosync_key': 'k'})
    inspector = Inspector(cfg, None, None, FakeLogger())
    by_site = {parse_site(site.name): site for site in fake_sites}
    inspector.cluster = lambda site: by_site[site]
    return StatusReader(inspector)


def b_cannot_list():
    """The account's reports, A holding ``c`` and B not answering."""
    return account_reader(
        Site(A, holding(A, 'c')), Site(B, down='connection refused')
    ).account('AUTH_test')


def temp_url_key_set_at_a_only():
    """The account's reports, a temp-URL key set at A, newer than B's
    settings (none)."""
    newer = AccountState(A, 204, changed_at=CHANGED_AT,
                         metadata={'x-account-meta-temp-url-key':
                                   TEMPURL_KEY})
    return account_reader(Site(A, account=newer), Site(B)).account(
        'AUTH_test')


def test_account_shows_a_container_only_another_site_lists():
    reports = account_reader(
        Site(A, holding(A, 'c')),
        Site(B, holding(B, 'c'), holding(B, 'only-at-b'))).account(
            'AUTH_test')
    assert [entry['container'] for entry in reports] == [
        None, 'c', 'only-at-b']
    only_at_b = reports[2]
    assert only_at_b['verdict'] == 'missing at %s' % A
    assert [(site['site'], site['exists'])
            for site in only_at_b['sites']] == [(A, False), (B, True)]
    assert exit_status(reports) == 1


def test_account_lists_each_configured_site_once():
    a, b = Site(A, holding(A, 'c')), Site(B, holding(B, 'c'))
    reports = account_reader(a, b).account('AUTH_test')
    assert (a.listed, b.listed) == (1, 1)
    assert reports[0]['containers'] == 1
    assert [site['containers'] for site in reports[0]['sites']] == [1, 1]
    assert exit_status(reports) == 0


def test_site_that_cannot_list_is_shown_and_breaks_the_status():
    reports = b_cannot_list()
    entry = reports[0]
    assert not entry['ok']
    assert entry['unlisted'] == [B]
    assert entry['verdict'] == ('unknown: no answer from %s; could not '
                                'list containers at %s' % (B, B))
    assert 'could not list containers at %s: connection refused' % B in \
        entry['problems']
    assert entry['sites'][1]['containers'] is None
    assert entry['sites'][1]['listing_detail'] == 'connection refused'
    assert exit_status(reports) == 1


def test_site_that_cannot_list_shows_in_the_table():
    reports = b_cannot_list()
    lines = render_table(reports[:1]).splitlines()
    assert '  ! could not list containers at %s: connection refused' % B \
        in lines
    assert row(lines, B)[:3] == [B, '?', '?']


def test_only_the_listing_failing_still_breaks_the_status():
    """A site whose HEADs answer but whose listing fails: the account
    settings may be in sync, the status is still not."""
    b = Site(B, holding(B, 'c'))
    b.list_containers = lambda account: ContainerListing(
        B, None, '503 Service Unavailable')
    reports = account_reader(Site(A, holding(A, 'c')), b).account(
        'AUTH_test')
    assert reports[0]['verdict'] == \
        'in sync; could not list containers at %s' % B
    assert not reports[0]['ok']
    assert exit_status(reports) == 1


def test_site_a_containers_placement_names_is_listed_too():
    """C is outside the configured placement, but a container placed on
    A and C names it: what C alone holds is shown too."""
    c = Site(C, holding(C, 'c', sites=(A, C)),
             holding(C, 'only-at-c', sites=(A, C)))
    reports = account_reader(
        Site(A, holding(A, 'c', sites=(A, C))), Site(B), c).account(
            'AUTH_test')
    assert [entry['container'] for entry in reports] == [
        None, 'c', 'only-at-c']
    assert reports[2]['verdict'] == 'missing at %s' % A
    assert reports[0]['also_listed'] == [
        {'site': C, 'containers': 2, 'detail': ''}]
    assert c.listed == 1
    assert "  also listed at %s (a container's placement names it): 2 " \
        "containers" % C in output(reports, False).splitlines()


def test_account_settings_that_differ_break_the_status():
    reports = temp_url_key_set_at_a_only()
    entry = reports[0]
    assert entry['verdict'] == ('differs: %s: metadata differs from %s '
                                '(x-account-meta-temp-url-key)' % (B, A))
    assert not entry['ok']
    assert [site['metadata_items'] for site in entry['sites']] == [1, 0]
    assert exit_status(reports) == 1


def test_account_metadata_values_are_never_shown():
    reports = temp_url_key_set_at_a_only()
    for as_json in (False, True):
        assert TEMPURL_KEY not in output(reports, as_json)


def test_account_change_pending_is_shown_where():
    pending = AccountState(A, 204, changed_at=CHANGED_AT,
                           pending='%s %s' % (CHANGED_AT, B),
                           metadata={'x-account-meta-colour': 'red'})
    reports = account_reader(Site(A, account=pending), Site(B)).account(
        'AUTH_test')
    assert reports[0]['verdict'] == 'pending at %s' % B
    assert reports[0]['sites'][0]['pending_at'] == B
    lines = output(reports, False).splitlines()
    assert row(lines, A)[-1] == B
    assert exit_status(reports) == 1


def test_account_table_starts_with_the_account_and_its_verdict():
    settings = AccountState(A, 204, changed_at=CHANGED_AT, acl='{"x": 1}',
                            metadata={'x-account-meta-colour': 'red'})
    same = AccountState(B, 204, changed_at=CHANGED_AT, acl='{"x": 1}',
                        metadata={'x-account-meta-colour': 'red'})
    reports = account_reader(Site(A, holding(A, 'c'), account=settings),
                             Site(B, holding(B, 'c'), account=same)
                             ).account('AUTH_test')
    lines = render_table(reports[:1]).splitlines()
    assert lines[0] == 'AUTH_test (account settings): in sync'
    header = lines[1]
    assert [header.index(column) for column in ACCOUNT_COLUMNS] == sorted(
        header.index(column) for column in ACCOUNT_COLUMNS)
    assert row(lines, A) == [A, 'yes', '1', '1', 'yes',
                             Timestamp(CHANGED_AT).isoformat, '-']
    assert render_table(reports[1:]).splitlines()[0] == \
        'AUTH_test/c: in sync'
    assert exit_status(reports) == 0


def test_account_without_containers_says_so():
    reports = account_reader(Site(A), Site(B)).account('AUTH_test')
    assert output(reports, False).splitlines()[-1] == 'no containers found'
    assert exit_status(reports) == 0


def test_account_json_report_shape():
    reports = b_cannot_list()
    shown = json.loads(output(reports, True))
    assert shown[0] == {
        'account': 'AUTH_test', 'container': None, 'placement': [A, B],
        'verdict': 'unknown: no answer from %s; could not list containers '
                   'at %s' % (B, B),
        'ok': False,
        'problems': ['could not list containers at %s: connection refused'
                     % B],
        'conflicts': [], 'unreachable': [B], 'unlisted': [B],
        'containers': 1, 'also_listed': [],
        'sites': [
            {'site': A, 'exists': True, 'deleted': False, 'status': 204,
             'detail': '', 'containers': 1, 'listing_detail': '',
             'metadata_items': 0, 'acl': False, 'changed_at': '',
             'pending_at': ''},
            {'site': B, 'exists': None, 'deleted': False, 'status': None,
             'detail': 'connection refused', 'containers': None,
             'listing_detail': 'connection refused', 'metadata_items': 0,
             'acl': False, 'changed_at': '', 'pending_at': ''}]}
    assert [entry['container'] for entry in shown[1:]] == ['c']


def test_status_of_an_account_reads_every_site(tmp_path, capsys, quiet_cli,
                                                monkeypatch):
    conf = tmp_path / 'autosync-reconciler.conf'
    conf.write_text('[autosync-reconciler]\n')
    reader = account_reader(Site(A), Site(B, holding(B, 'only-at-b')))
    monkeypatch.setattr(cli, 'load_setup', lambda *a, **k: SimpleNamespace(
        inspector=reader.inspector, walk=None))
    assert cli.main(['status', '--conf', str(conf), 'AUTH_test']) == 1
    lines = capsys.readouterr().out.splitlines()
    assert 'AUTH_test/only-at-b: missing at %s' % A in lines
