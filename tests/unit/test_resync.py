"""``autosync resync`` (resync.py): which site sends, the spelling that
makes Swift reset the sync points and autosync see the same ring, what
each container would cost, the reclaim_age warning, and what --apply
sends, with a fake inspector."""

import os
import tempfile
from types import SimpleNamespace

import pytest
from swift.common.utils import Timestamp

from autosync import resync
from autosync.inspection import Inspection
from autosync.placement import (
    parse_placement,
    parse_site,
    same_sync_target,
    sync_target,
)
from autosync.repair import diagnose
from autosync.state import ContainerState

from helpers import REALM_SITES, A, B, C

ACCOUNT = 'AUTH_test'
CONTAINER = 'c'
KEY = 'the-ring-key'
VERSION = Timestamp(1000).internal
NOW = 1700000000.0
DAY = 86400.0
WEEK = 7 * DAY
PACE = resync.Pace(10.0, 60, 300, WEEK, 'a test', 'a test conf')


def state(site, placement, count=3, sync_to=None, key=KEY, status=204):
    sites = parse_placement(placement)
    index = sites.index(parse_site(site))
    following = sites[(index + 1) % len(sites)]
    return ContainerState(
        site, status, placement=', '.join(placement),
        placement_version=VERSION,
        sync_to=sync_target(following, ACCOUNT, CONTAINER)
        if sync_to is None else sync_to,
        sync_key=key, object_count=count, bytes_used=10 * count)


def inspection(placement, states=None, version=VERSION):
    sites = parse_placement(placement)
    states = states or {name: state(name, placement) for name in placement}
    diagnosis = diagnose(ACCOUNT, CONTAINER, sites, version, states)
    return Inspection(ACCOUNT, CONTAINER, sites, version, states, diagnosis)


def entry(name, etag='e', when=NOW - DAY):
    return {'name': name, 'hash': etag,
            'last_modified': Timestamp(when).isoformat}


# -- SITE --

def test_a_bare_name_is_the_cluster_of_that_name():
    known = tuple(map(parse_site, REALM_SITES))
    assert resync.resolve_site('B', known).name == '//realm/b'


def test_an_unknown_site_is_refused_by_name():
    with pytest.raises(resync.ResyncError) as caught:
        resync.resolve_site('z', tuple(map(parse_site, REALM_SITES)))
    assert "unknown SITE 'z'" in str(caught.value)


def test_a_realm_site_outside_the_realm_is_refused():
    with pytest.raises(resync.ResyncError) as caught:
        resync.resolve_site('//other/b', tuple(map(parse_site,
                                                   REALM_SITES)))
    assert "unknown SITE '//other/b'" in str(caught.value)


def test_a_cluster_name_of_two_realms_is_ambiguous():
    known = (parse_site('//r1/b'), parse_site('//r2/b'))
    with pytest.raises(resync.ResyncError) as caught:
        resync.resolve_site('b', known)
    assert 'several realms' in str(caught.value)


def test_a_url_site_is_taken_as_given():
    site = resync.resolve_site('http://B.example.com:8080',
                               (parse_site(A),))
    assert site == parse_site(B)


# -- the sender --

def test_the_sender_is_the_site_before_in_the_ring():
    placement = parse_placement([A, B, C])
    assert resync.senders(placement, parse_site(A)) == (parse_site(C),)
    assert resync.senders(placement, parse_site(C)) == (parse_site(B),)


def test_a_one_site_placement_has_no_sender():
    assert resync.senders(parse_placement([A]), parse_site(A)) == ()


# -- the spelling --

def test_a_realm_target_is_spelled_in_the_other_case():
    expected = sync_target(parse_site('//realm/b'), ACCOUNT, CONTAINER)
    spelled = resync.respelled(expected, expected)
    assert spelled == '//realm/b/AUTH_test/c'
    assert spelled != expected and same_sync_target(spelled, expected)


def test_the_account_and_container_keep_their_case():
    expected = sync_target(parse_site('//realm/b'), 'AUTH_Test', 'Photos')
    assert resync.respelled(expected, expected) == \
        '//realm/b/AUTH_Test/Photos'


def test_a_target_respelled_before_goes_back_to_autosyncs_spelling():
    expected = sync_target(parse_site('//realm/b'), ACCOUNT, CONTAINER)
    assert resync.respelled(expected, '//realm/b/AUTH_test/c') == expected


def test_a_url_target_changes_the_case_of_its_scheme():
    expected = sync_target(parse_site(B), ACCOUNT, CONTAINER)
    spelled = resync.respelled(expected, expected)
    assert spelled == 'HTTP://b.example.com:8080/v1/AUTH_test/c'
    assert same_sync_target(spelled, expected)


def test_no_letters_no_other_spelling():
    expected = sync_target(parse_site('//1/2'), ACCOUNT, CONTAINER)
    assert resync.respelled(expected, expected) is None


# -- one container --

def test_the_plan_posts_the_senders_target_respelled_with_its_key():
    planned = resync.plan(inspection([A, B]), parse_site(B))
    assert (planned.sender, planned.site) == (A, B)
    assert planned.refusal == ''
    assert planned.sync_to == 'HTTP://b.example.com:8080/v1/AUTH_test/c'
    assert planned.was == 'http://b.example.com:8080/v1/AUTH_test/c'
    assert planned.sync_key == KEY
    assert (planned.objects, planned.bytes_used) == (3, 30)
    repair = planned.repair()
    assert (repair.site, repair.method, repair.sync_to, repair.sync_key) == (
        A, 'POST', planned.sync_to, KEY)


def test_the_respelled_target_is_no_fault_for_the_reconciler():
    planned = resync.plan(inspection([A, B]), parse_site(B))
    after = inspection([A, B], {A: state(A, [A, B],
                                         sync_to=planned.sync_to),
                                B: state(B, [A, B])})
    assert after.diagnosis.repairs == ()
    assert after.diagnosis.ok


def test_a_container_autosync_does_not_manage_is_not_placed():
    found = inspection([A, B], version='')
    with pytest.raises(resync.NotPlaced):
        resync.plan(found, parse_site(B))


def test_a_container_not_at_site_is_not_placed():
    with pytest.raises(resync.NotPlaced) as caught:
        resync.plan(inspection([A, B]), parse_site(C))
    assert 'not at %s' % C in str(caught.value)


def test_a_site_that_does_not_answer_stops_the_plan():
    states = {A: state(A, [A, B]), B: ContainerState(B, None, 'timeout')}
    planned = resync.plan(inspection([A, B], states), parse_site(B))
    assert planned.refusal == 'unknown: no answer from %s' % B


def test_a_broken_ring_at_the_sender_is_left_to_the_reconciler():
    states = {A: state(A, [A, B], sync_to=''), B: state(B, [A, B])}
    planned = resync.plan(inspection([A, B], states), parse_site(B))
    assert planned.refusal.startswith('%s does not sync to %s' % (A, B))
    assert planned.sync_to == ''


def test_a_sender_without_the_container_is_refused():
    states = {A: state(A, [A, B], status=404), B: state(B, [A, B])}
    planned = resync.plan(inspection([A, B], states), parse_site(B))
    assert planned.refusal == 'not at %s, which would send it' % A


# -- what SITE lacks, and the reclaim_age warning --

def test_the_gap_counts_missing_and_changed_objects():
    found = resync.gap(
        [entry('a', when=NOW - 3 * DAY), entry('b', when=NOW - DAY),
         entry('c', 'x')],
        [entry('b'), entry('c', 'y'), entry('z')])
    assert (found.lacking, found.held, found.extra) == (2, 3, 1)
    assert found.since == pytest.approx(NOW - 3 * DAY)


def planned():
    return resync.plan(inspection([A, B]), parse_site(B))


def test_a_site_missing_writes_older_than_reclaim_age_is_warned_of():
    sender = [entry('old', when=NOW - 10 * DAY), entry('kept')]
    found = resync.with_gap(planned(), sender, [entry('kept'),
                                                entry('gone')], NOW, WEEK)
    assert 'longer than reclaim_age (7.0 days)' in found.warning
    assert '(2, 1 of them not at %s)' % A in found.warning


def test_an_empty_site_has_nothing_to_bring_back():
    sender = [entry('old', when=NOW - 10 * DAY)]
    assert resync.with_gap(planned(), sender, [], NOW, WEEK).warning == ''


def test_a_short_outage_is_no_warning():
    sender = [entry('new', when=NOW - DAY), entry('kept')]
    found = resync.with_gap(planned(), sender, [entry('kept')], NOW, WEEK)
    assert found.warning == ''
    assert found.gap.lacking == 1


# -- the ETA --

def test_a_small_container_is_sent_within_one_pass():
    timing = resync.eta(100, PACE)
    assert (timing.sending, timing.passes, timing.within) == (10, 1, 300)


def test_more_than_container_time_of_sending_takes_more_passes():
    timing = resync.eta(1201, PACE)  # 120.1 s at 10/s, 60 s a pass
    assert (timing.passes, timing.within) == (3, 900)


def test_the_pace_comes_from_the_container_server_conf():
    with tempfile.TemporaryDirectory() as where:
        path = os.path.join(where, 'container-server.conf')
        with open(path, 'w') as conf:
            conf.write('[DEFAULT]\n[container-sync]\ncontainer_time = 30\n'
                       'interval = 120\n[container-replicator]\n'
                       'reclaim_age = 3600\n')
        pace = resync.read_pace(path, 5.0)
    assert (pace.rate, pace.container_time, pace.interval,
            pace.reclaim_age) == (5.0, 30, 120, 3600)
    assert path in pace.conf_from and pace.rate_from == 'given with --rate'


def test_without_a_conf_the_pace_is_swifts_defaults():
    pace = resync.read_pace('/nonexistent/container-server.conf', None)
    assert (pace.rate, pace.container_time, pace.interval,
            pace.reclaim_age) == (resync.DEFAULT_RATE, 60, 300, 604800)
    assert pace.conf_from.startswith("Swift's defaults")


def test_a_bad_figure_in_the_conf_is_named():
    with tempfile.TemporaryDirectory() as where:
        path = os.path.join(where, 'container-server.conf')
        with open(path, 'w') as conf:
            conf.write('[container-sync]\ncontainer_time = soon\n')
        with pytest.raises(resync.ResyncError) as caught:
            resync.read_pace(path, None)
    assert "container_time = 'soon'" in str(caught.value)


# -- the command --

class FakeCluster(object):
    def __init__(self, listing, answer=(True, '204')):
        self.listing = listing
        self.answer = answer
        self.applied = []

    def list_objects(self, account, container):
        return self.listing, ''

    def list_containers(self, account):
        return SimpleNamespace(site='x', names=(CONTAINER, 'elsewhere'),
                               listed=True, detail='')

    def apply(self, account, container, repair):
        self.applied.append((account, container, repair))
        return self.answer


def resyncer(found, at_a=None, answer=(True, '204')):
    clusters = {parse_site(A): FakeCluster(at_a or [entry('o')], answer),
                parse_site(B): FakeCluster([])}
    others = inspection([A, C])

    def inspect(account, container, also=()):
        return found if container == CONTAINER else others

    cfg = SimpleNamespace(placement=parse_placement([A, B]),
                          my_cluster=parse_site(A))
    inspector = SimpleNamespace(
        cfg=cfg, directory=SimpleNamespace(realms=None), inspect=inspect,
        cluster=lambda site: clusters[site])
    return resync.Resyncer(inspector, lambda: NOW), clusters[parse_site(A)]


def run(tool, where, applying):
    lines = []
    code = tool.run(where, B, PACE, applying, lines.append)
    return code, lines


def test_a_dry_run_says_what_it_would_do_and_posts_nothing():
    tool, at_a = resyncer(inspection([A, B]))
    code, lines = run(tool, '%s/%s' % (ACCOUNT, CONTAINER), False)
    assert code == 0
    assert at_a.applied == []
    assert lines[0] == (
        'AUTH_test/c: %s would send again 3 objects (30 bytes) to %s, 1 of '
        'them missing or different at %s now; ETA 0 s of sending, within '
        '1 container-sync pass (<= 5 min)' % (A, B, B))
    assert lines[1].startswith('  would POST X-Container-Sync-To: HTTP://')
    assert lines[-1] == 'dry run: nothing changed; --apply to reset'


def test_apply_posts_the_respelled_target_at_the_sender():
    tool, at_a = resyncer(inspection([A, B]))
    code, lines = run(tool, '%s/%s' % (ACCOUNT, CONTAINER), True)
    assert code == 0
    [(account, container, repair)] = at_a.applied
    assert (account, container) == (ACCOUNT, CONTAINER)
    assert repair.sync_to == 'HTTP://b.example.com:8080/v1/AUTH_test/c'
    assert repair.sync_key == KEY
    assert lines[1].startswith('  done: POST ')


def test_a_failed_post_exits_1_saying_what_it_answered():
    tool, _ = resyncer(inspection([A, B]), answer=(False, '503 down'))
    code, lines = run(tool, '%s/%s' % (ACCOUNT, CONTAINER), True)
    assert code == 1
    assert lines[1].startswith('  ! failed: POST ')
    assert lines[1].endswith(': 503 down')


def test_a_refused_container_exits_1():
    states = {A: state(A, [A, B], sync_to=''), B: state(B, [A, B])}
    tool, at_a = resyncer(inspection([A, B], states))
    code, lines = run(tool, '%s/%s' % (ACCOUNT, CONTAINER), True)
    assert code == 1
    assert at_a.applied == []
    assert 'cannot resync' in lines[0]


def test_one_container_not_at_site_is_bad_input():
    tool, _ = resyncer(inspection([A, C]))
    with pytest.raises(resync.NotPlaced):
        run(tool, '%s/%s' % (ACCOUNT, CONTAINER), False)


def test_an_account_passes_over_its_containers_not_at_site():
    tool, _ = resyncer(inspection([A, B]))
    code, lines = run(tool, ACCOUNT, False)
    assert code == 0
    assert [line for line in lines if 'elsewhere' in line] == []
    assert lines[0].startswith('AUTH_test/c: ')


def test_an_object_path_is_not_a_container():
    tool, _ = resyncer(inspection([A, B]))
    with pytest.raises(resync.ResyncError) as caught:
        run(tool, '%s/%s/o' % (ACCOUNT, CONTAINER), False)
    assert 'give ACCOUNT or ACCOUNT/CONTAINER' in str(caught.value)
