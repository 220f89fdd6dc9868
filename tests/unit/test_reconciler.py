"""The reconciler (reconciler.py) and what it reads with
(container_walk.py, inspection.py, clusters.py): this site through an
InternalClient-shaped shim over its FakeSwift, every other site through
its autosync filter over loopback."""

import os

import pytest
from swift.account.backend import AccountBroker
from swift.common.header_key_dict import HeaderKeyDict
from swift.common.utils import Timestamp, hash_path

from autosync.clusters import LocalCluster
from autosync.config import ConfigError
from autosync.placement import parse_placement, parse_site
from autosync.reconciler import AutosyncReconciler

from helpers import (
    ACCOUNT,
    CHANGED,
    CONTAINER,
    KEY,
    PLACEMENT,
    VERSION,
    FakeLogger,
    InternalClientShim,
    client_request,
    container_db,
)

SYNC_TO = 'X-Container-Sync-To'
SYNC_KEY = 'X-Container-Sync-Key'
WRITES = ('PUT', 'POST', 'DELETE')
COUNTERS = ('checked', 'repaired', 'conflicts', 'unreachable', 'errors')

HERE_SDA = {'ip': '127.0.0.1', 'port': 6201, 'device': 'sda'}
HERE_SDB = {'ip': '127.0.0.1', 'port': 6201, 'device': 'sdb'}
ELSEWHERE = {'ip': '192.0.2.99', 'port': 6201, 'device': 'sda'}
# This node's account server (account_bind_port's default).
ACCOUNT_SDA = {'ip': '127.0.0.1', 'port': 6202, 'device': 'sda'}


class FakeRing(object):
    """The same nodes for every container (account): by default one
    replica, on this node's sda."""

    def __init__(self, *nodes):
        self.nodes = list(nodes or (HERE_SDA,))

    def get_nodes(self, account, container=None):
        return 0, self.nodes


def reconciler(here, placement, tmp_path, logger=None, ring=None,
               account_ring=None, **conf):
    """The reconciler at ``here`` (a PeerSite whose FakeSwift is this
    cluster) for a placement of site URLs."""
    options = {
        'autosync_my_cluster': here.url,
        'autosync_placement': ', '.join(placement),
        'autosync_key': KEY, 'conn_timeout': '1', 'node_timeout': '5',
        'devices': str(tmp_path), 'mount_check': 'false',
        'swift_dir': str(tmp_path)}
    options.update(conf)
    local = LocalCluster(parse_site(options['autosync_my_cluster']),
                         InternalClientShim(here.swift))
    return AutosyncReconciler(options, logger=logger or FakeLogger(),
                              local=local,
                              container_ring=ring or FakeRing(),
                              account_ring=account_ring or FakeRing(
                                  ACCOUNT_SDA))


def make_container(here, **headers):
    """A container made by a client at ``here`` (fanned out as usual);
    its recorded placement."""
    client_request(CONTAINER, 'PUT', headers=headers).get_response(here.app)
    return here.swift.store[CONTAINER][PLACEMENT]


def forget(*sites):
    """Forget what the sites were sent so far."""
    for site in sites:
        site.swift.calls[:] = []
        site.received[:] = []
        site.methods[:] = []


def writes(site):
    return [call[0] for call in site.swift.calls if call[0] in WRITES]


def counted(logger):
    return {name: logger.counters[name] for name in COUNTERS
            if logger.counters[name]}


@pytest.fixture
def pair(sites, tmp_path):
    """Sites A (here) and B, a container made at A, and A's reconciler;
    nothing sent yet as far as the test can tell."""
    a, b = sites.url_style(2)
    placement = make_container(a, **{'X-Container-Meta-Colour': 'blue',
                                     'X-Container-Read': '.r:*'})
    logger = FakeLogger()
    forget(a, b)
    return a, b, placement, reconciler(a, (a.url, b.url), tmp_path, logger)


# -- repairs --

def test_container_missing_at_a_peer_is_made_there(pair):
    a, b, placement, r = pair
    del b.swift.store[CONTAINER]
    r.reconcile('AUTH_test', 'c', placement)
    here, there = a.swift.store[CONTAINER], b.swift.store[CONTAINER]
    assert b.methods == ['HEAD', 'PUT']
    assert there['X-Container-Meta-Colour'] == 'blue'
    assert there['X-Container-Read'] == '.r:*'
    assert there[SYNC_TO] == a.url + CONTAINER
    assert there[SYNC_KEY] == here[SYNC_KEY]
    for name in (PLACEMENT, VERSION, CHANGED):
        assert there[name] == here[name]


CONTAINER_PENDING = 'X-Container-Sysmeta-Autosync-Pending'


def test_pending_container_is_shown_as_pending_then_settled_here(pair):
    a, b, placement, r = pair
    del b.swift.store[CONTAINER]
    a.swift.store[CONTAINER][CONTAINER_PENDING] = \
        a.swift.store[CONTAINER][CHANGED] + ' ' + b.url
    found = r.reconcile('AUTH_test', 'c', placement)
    assert found.diagnosis.verdict == 'pending at ' + b.url
    assert CONTAINER in b.swift.store
    [clear] = a.swift.calls_for('POST', CONTAINER)
    assert clear[2][CONTAINER_PENDING] == ''  # Swift removes it


def test_pending_container_record_stays_when_a_repair_fails(pair):
    a, b, placement, r = pair
    b.swift.store[CONTAINER]['X-Container-Meta-Colour'] = 'red'
    record = a.swift.store[CONTAINER][CHANGED] + ' ' + b.url
    a.swift.store[CONTAINER][CONTAINER_PENDING] = record
    b.swift.forced[('POST', CONTAINER)] = 503
    r.reconcile('AUTH_test', 'c', placement)
    assert a.swift.store[CONTAINER][CONTAINER_PENDING] == record
    assert writes(a) == []


def test_pending_container_record_at_a_peer_is_left_to_that_site(pair):
    a, b, placement, r = pair
    b.swift.store[CONTAINER][CONTAINER_PENDING] = 'x ' + a.url
    r.reconcile('AUTH_test', 'c', placement)
    assert b.methods == ['HEAD']
    assert writes(a) == []


def test_container_missing_at_a_peer_changes_nothing_here(pair):
    a, b, placement, r = pair
    del b.swift.store[CONTAINER]
    r.reconcile('AUTH_test', 'c', placement)
    assert writes(a) == []
    assert a.received == []


def test_repaired_container_is_in_sync_on_the_next_pass(pair):
    a, b, placement, r = pair
    del b.swift.store[CONTAINER]
    r.reconcile('AUTH_test', 'c', placement)
    forget(a, b)
    assert r.reconcile('AUTH_test', 'c', placement).diagnosis.ok
    assert b.methods == ['HEAD']
    assert writes(a) == []


def test_broken_ring_at_a_peer_is_rewired(pair):
    a, b, placement, r = pair
    key = b.swift.store[CONTAINER][SYNC_KEY]
    b.swift.store[CONTAINER][SYNC_TO] = 'http://elsewhere:80' + CONTAINER
    r.reconcile('AUTH_test', 'c', placement)
    assert b.methods == ['HEAD', 'POST']
    assert b.swift.store[CONTAINER][SYNC_TO] == a.url + CONTAINER
    assert b.swift.store[CONTAINER][SYNC_KEY] == key
    assert writes(a) == []


def test_container_missing_here_is_made_here(pair):
    a, b, placement, r = pair
    del a.swift.store[CONTAINER]
    r.reconcile('AUTH_test', 'c', placement)
    here, there = a.swift.store[CONTAINER], b.swift.store[CONTAINER]
    assert writes(a) == ['PUT']
    assert here[SYNC_TO] == b.url + CONTAINER
    assert here[SYNC_KEY] == there[SYNC_KEY]
    assert here['X-Container-Meta-Colour'] == 'blue'
    assert here[PLACEMENT] == there[PLACEMENT]
    assert b.methods == ['HEAD']


def test_newer_delete_here_is_carried_to_an_empty_peer(pair):
    a, b, placement, r = pair
    del a.swift.store[CONTAINER]
    a.swift.delete_timestamps[CONTAINER] = Timestamp.now().internal
    r.reconcile('AUTH_test', 'c', placement)
    assert b.methods == ['HEAD', 'DELETE']
    assert CONTAINER not in b.swift.store


def test_state_read_from_the_db_here_is_not_read_again(pair):
    a, b, placement, r = pair
    here = r.inspector.local.head('AUTH_test', 'c')
    forget(a)
    found = r.reconcile('AUTH_test', 'c', placement, here)
    assert found.diagnosis.ok
    assert a.swift.calls == []


# -- what is left alone --

def test_unreachable_peer_stops_every_repair(sites, dead_url, tmp_path):
    a, b = sites.url_style(2, also=(dead_url,))
    placement = make_container(a)
    del b.swift.store[CONTAINER]
    forget(a, b)
    r = reconciler(a, (a.url, b.url, dead_url), tmp_path)
    found = r.reconcile('AUTH_test', 'c', placement)
    assert found.diagnosis.unreachable == (dead_url,)
    assert b.methods == ['HEAD']
    assert writes(a) == []
    assert r.stats == {'checked': 1, 'unreachable': 1}


def test_unreachable_peer_is_logged_as_skipped(sites, dead_url, tmp_path):
    a, = sites.url_style(1, also=(dead_url,))
    placement = make_container(a)
    logger = FakeLogger()
    reconciler(a, (a.url, dead_url), tmp_path, logger).reconcile(
        'AUTH_test', 'c', placement)
    assert any('skipped' in line and dead_url in line
               for line in logger.lines['warning'])


def test_newer_delete_is_not_carried_to_a_peer_holding_objects(pair):
    a, b, placement, r = pair
    b.swift.objects[CONTAINER] = 2
    del a.swift.store[CONTAINER]
    a.swift.delete_timestamps[CONTAINER] = Timestamp.now().internal
    found = r.reconcile('AUTH_test', 'c', placement)
    assert found.diagnosis.conflicts
    assert b.methods == ['HEAD']
    assert CONTAINER in b.swift.store
    assert writes(a) == []


def test_container_in_sync_is_only_read(pair):
    a, b, placement, r = pair
    found = r.reconcile('AUTH_test', 'c', placement)
    assert found.diagnosis.ok
    assert b.methods == ['HEAD']
    assert writes(a) == []


# -- counters --

def test_repair_counts_checked_and_repaired(pair):
    a, b, placement, r = pair
    del b.swift.store[CONTAINER]
    r.reconcile('AUTH_test', 'c', placement)
    assert counted(r.logger) == {'checked': 1, 'repaired': 1}
    assert r.stats == {'checked': 1, 'repaired': 1}


def test_container_in_sync_counts_checked_only(pair):
    a, b, placement, r = pair
    r.reconcile('AUTH_test', 'c', placement)
    assert counted(r.logger) == {'checked': 1}


def test_conflict_is_counted_not_repaired(pair):
    a, b, placement, r = pair
    b.swift.objects[CONTAINER] = 2
    del a.swift.store[CONTAINER]
    a.swift.delete_timestamps[CONTAINER] = Timestamp.now().internal
    r.reconcile('AUTH_test', 'c', placement)
    assert counted(r.logger) == {'checked': 1, 'conflicts': 1}


def test_unreachable_peer_is_counted(sites, dead_url, tmp_path):
    a, = sites.url_style(1, also=(dead_url,))
    placement = make_container(a)
    r = reconciler(a, (a.url, dead_url), tmp_path)
    r.reconcile('AUTH_test', 'c', placement)
    assert counted(r.logger) == {'checked': 1, 'unreachable': 1}


def test_repair_a_peer_refuses_is_counted_as_an_error(pair):
    a, b, placement, r = pair
    del b.swift.store[CONTAINER]
    b.swift.forced[('PUT', CONTAINER)] = 507
    r.reconcile('AUTH_test', 'c', placement)
    assert counted(r.logger) == {'checked': 1, 'errors': 1}
    assert any('PUT at %s failed' % b.url in line
               for line in r.logger.lines['error'])


def test_bad_recorded_placement_is_an_error_and_reads_nothing(pair):
    a, b, placement, r = pair
    assert r.reconcile('AUTH_test', 'c', 'not a site') is None
    assert counted(r.logger) == {'errors': 1}
    assert a.swift.calls == []
    assert b.received == []


def test_pass_over_no_container_dbs_checks_nothing(pair):
    a, b, placement, r = pair
    stats = r.run_pass()
    assert set(stats) == {'elapsed'}
    assert b.received == []
    assert a.swift.calls == []


# -- which containers this node checks --

def chosen_replica(account='AUTH_test', container='c', replicas=3):
    return int(hash_path(account, container), 16) % replicas


def ring_choosing(device_node, replicas=3):
    """Three replicas, ``device_node`` at the index the hash of
    AUTH_test/c picks, nodes elsewhere at the others."""
    nodes = [dict(ELSEWHERE, device='sd%d' % i) for i in range(replicas)]
    nodes[chosen_replica(replicas=replicas)] = device_node
    return FakeRing(*nodes)


def test_pass_repairs_a_container_whose_db_is_here(pair, tmp_path):
    a, b, placement, r = pair
    container_db(tmp_path, a.swift.store[CONTAINER])
    del b.swift.store[CONTAINER]
    r.run_pass()
    # The batched read shows it missing; read again before the repair.
    assert b.methods == ['GET', 'HEAD', 'PUT']
    assert b.swift.store[CONTAINER][SYNC_TO] == a.url + CONTAINER
    # Its state here came from the DB: no HEAD here.
    assert a.swift.calls == []


def test_container_being_sharded_is_checked_once(pair, tmp_path):
    """Sharding puts a second DB beside the first: still one container."""
    a, b, placement, r = pair
    broker = container_db(tmp_path, a.swift.store[CONTAINER])
    broker.enable_sharding(Timestamp.now())
    assert broker.set_sharding_state()
    assert len(list(tmp_path.rglob('*.db'))) == 2
    del b.swift.store[CONTAINER]
    r.run_pass()
    assert b.methods == ['GET', 'HEAD', 'PUT']
    # Its new rows now go to shards, which container-sync never reads.
    assert r.stats == {'checked': 1, 'repaired': 1, 'sharded': 1}


def test_sharded_container_is_logged_and_counted(pair, tmp_path):
    a, b, placement, r = pair
    broker = container_db(tmp_path, a.swift.store[CONTAINER])
    broker.enable_sharding(Timestamp.now())
    assert broker.set_sharding_state()
    r.run_pass()
    assert r.stats == {'checked': 1, 'sharded': 1}
    assert r.logger.lines['warning'] == [
        'autosync-reconciler: AUTH_test/c: sharding at %s: container-sync '
        'does not carry objects written to it since' % a.url]
    # Sharded is a problem: read again (no batch), nothing repaired.
    assert b.methods == ['GET', 'HEAD']


def test_check_that_raises_is_logged_and_counted(pair, tmp_path):
    """A green thread's exception would be lost: never a silent pass."""
    a, b, placement, r = pair
    container_db(tmp_path, a.swift.store[CONTAINER])

    def broken(*args):
        raise RuntimeError('boom')
    r.inspector.inspect = broken
    r.run_pass()
    assert r.stats == {'errors': 1}
    assert r.logger.lines['error'] == [
        'autosync-reconciler: AUTH_test/c: check failed']


def test_pass_skips_a_db_without_a_recorded_placement(pair, tmp_path):
    a, b, placement, r = pair
    container_db(tmp_path, {'X-Container-Meta-Colour': 'blue'})
    assert r.run_pass()['elapsed'] >= 0
    assert r.stats == {}
    assert b.received == []


def test_replica_the_hash_picks_is_checked_here(sites, tmp_path):
    a, = sites.url_style(1)
    r = reconciler(a, (a.url,), tmp_path, ring=ring_choosing(HERE_SDB))
    assert r.walk.is_mine('AUTH_test', 'c', 'sdb')


def test_replica_the_hash_does_not_pick_is_not_checked_here(
        sites, tmp_path):
    a, = sites.url_style(1)
    nodes = [dict(HERE_SDB, device='sd%d' % i) for i in range(3)]
    nodes[chosen_replica()] = ELSEWHERE
    r = reconciler(a, (a.url,), tmp_path, ring=FakeRing(*nodes))
    assert not any(r.walk.is_mine('AUTH_test', 'c', node['device'])
                   for node in nodes)


def test_two_replicas_on_this_node_the_second_picked(sites, tmp_path):
    a, = sites.url_style(1)
    nodes = [dict(ELSEWHERE, device='sd%d' % i) for i in range(3)]
    first = (chosen_replica() + 1) % 3
    nodes[first] = HERE_SDA
    nodes[chosen_replica()] = HERE_SDB
    r = reconciler(a, (a.url,), tmp_path, ring=FakeRing(*nodes))
    assert r.walk.is_mine('AUTH_test', 'c', 'sdb')
    assert not r.walk.is_mine('AUTH_test', 'c', 'sda')


def test_handoff_copy_is_not_checked_here(sites, tmp_path):
    a, = sites.url_style(1)
    r = reconciler(a, (a.url,), tmp_path, ring=ring_choosing(HERE_SDA))
    assert not r.walk.is_mine('AUTH_test', 'c', 'sdc')


# -- the inspector --

def test_inspector_reads_the_sites_a_newer_placement_adds(sites, tmp_path):
    a, b, c = sites.url_style(3)
    client_request(CONTAINER, 'PUT', environ={
        'swift.placement': [a.url, b.url]}).get_response(a.app)
    b.swift.store[CONTAINER][PLACEMENT] = '%s, %s, %s' % (a.url, b.url,
                                                          c.url)
    b.swift.store[CONTAINER][VERSION] = Timestamp.now().internal
    r = reconciler(a, (a.url, b.url, c.url), tmp_path)
    found = r.inspector.inspect('AUTH_test', 'c',
                                parse_placement([a.url, b.url]))
    assert [site.name for site in found.placement] == [a.url, b.url, c.url]
    assert found.diagnosis.verdict == 'missing at %s' % c.url
    assert c.methods == ['HEAD']


def test_inspector_without_a_guess_reads_the_configured_sites(
        sites, tmp_path):
    a, b = sites.url_style(2)
    r = reconciler(a, (a.url, b.url), tmp_path)
    found = r.inspector.inspect('AUTH_test', 'nowhere')
    assert set(found.states) == {a.url, b.url}
    assert found.diagnosis.verdict == 'not found at any site'
    assert found.diagnosis.repairs == ()


def test_inspector_tells_an_unmanaged_container(sites, tmp_path):
    a, b = sites.url_style(2)
    a.swift.store[CONTAINER] = {}
    r = reconciler(a, (a.url, b.url), tmp_path)
    found = r.inspector.inspect('AUTH_test', 'c')
    assert found.diagnosis.verdict == \
        'not managed by autosync (no placement recorded)'


# One site, two spellings (HTTP://127.0.0.1:N and http://127.0.0.1:N,
# as //R1/A and //r1/a): equal as sites, but the inspector keys what it
# read by the spelling it read it under.

def test_this_site_spelled_differently_in_the_conf_is_still_here(
        pair, tmp_path):
    a, b, placement, _ = pair
    r = reconciler(a, (a.url, b.url), tmp_path,
                   autosync_my_cluster=a.url.upper())
    found = r.reconcile('AUTH_test', 'c', placement)
    assert found.diagnosis.ok
    assert writes(a) == writes(b) == []


def test_peer_spelled_differently_in_a_newer_placement_is_not_unwired(
        pair):
    a, b, placement, r = pair
    b.swift.store[CONTAINER][PLACEMENT] = '%s, %s' % (a.url, b.url.upper())
    b.swift.store[CONTAINER][VERSION] = Timestamp.now().internal
    r.reconcile('AUTH_test', 'c', placement)
    assert b.swift.store[CONTAINER][SYNC_TO] == a.url + CONTAINER


# -- configuration --

def conf_error(tmp_path, **conf):
    options = {'autosync_my_cluster': 'http://a.example.com:8080',
               'autosync_placement': 'http://a.example.com:8080, '
                                     'http://b.example.com:8080',
               'autosync_key': KEY, 'devices': str(tmp_path),
               'swift_dir': str(tmp_path)}
    options.update(conf)
    options = {k: v for k, v in options.items() if v is not None}
    with pytest.raises(ConfigError) as caught:
        AutosyncReconciler(options, logger=FakeLogger(),
                           local=object(), container_ring=FakeRing(),
                           account_ring=FakeRing(ACCOUNT_SDA))
    return str(caught.value)


def test_zero_interval_is_refused_naming_section_and_option(tmp_path):
    assert conf_error(tmp_path, interval='0').startswith(
        "[autosync-reconciler] interval = '0'")


def test_concurrency_that_is_not_a_number_is_refused(tmp_path):
    assert conf_error(tmp_path, concurrency='many').startswith(
        "[autosync-reconciler] concurrency = 'many'")


def test_missing_my_cluster_is_refused(tmp_path):
    message = conf_error(tmp_path, autosync_my_cluster=None,
                         autosync_placement=None)
    assert message.startswith('[autosync-reconciler] autosync_my_cluster')


def test_bad_placement_is_refused_naming_the_section(tmp_path):
    message = conf_error(tmp_path, autosync_placement='http://b:8080')
    assert message.startswith('[autosync-reconciler] autosync_placement')


# -- accounts --

ACCOUNT_ACL_SYSMETA = 'X-Account-Sysmeta-Core-Access-Control'
ACCOUNT_CHANGED = 'X-Account-Sysmeta-Autosync-Changed-At'
ACCOUNT_PENDING = 'X-Account-Sysmeta-Autosync-Pending'
ACL = '{"read-only":["test:tester3"]}'
OLDER = Timestamp(1700000000).internal
NEWER = Timestamp(1700000100).internal


@pytest.fixture
def duo(sites, tmp_path):
    """Sites A (here) and B, with AUTH_test at both and nothing set on
    it, and A's reconciler."""
    a, b = sites.url_style(2)
    logger = FakeLogger()
    return a, b, reconciler(a, (a.url, b.url), tmp_path, logger)


def account_settings(site, changed_at, acl=ACL, **metadata):
    site.swift.store[ACCOUNT].update(metadata, **{
        ACCOUNT_ACL_SYSMETA: acl, ACCOUNT_CHANGED: changed_at})


def held(site):
    """What ``site`` holds of AUTH_test, names in any case."""
    return HeaderKeyDict(site.swift.store[ACCOUNT])


def test_account_settings_made_here_reach_a_peer(duo):
    a, b, r = duo
    account_settings(a, NEWER, **{'X-Account-Meta-Temp-URL-Key': 'k'})
    r.reconcile_account('AUTH_test')
    there = held(b)
    assert b.methods == ['HEAD', 'POST']
    assert there['x-account-meta-temp-url-key'] == 'k'
    # Sent as a client's ACL; B's filter validated and stored it.
    assert there[ACCOUNT_ACL_SYSMETA] == ACL
    assert b.received[-1]['x-autosync-changed-at'] == NEWER
    assert writes(a) == []


def test_newer_account_settings_at_a_peer_are_taken_here(duo):
    a, b, r = duo
    account_settings(a, OLDER, acl='', **{'X-Account-Meta-Colour': 'red'})
    account_settings(b, NEWER, **{'X-Account-Meta-Colour': 'blue'})
    r.reconcile_account('AUTH_test')
    here = held(a)
    assert here['x-account-meta-colour'] == 'blue'
    assert here[ACCOUNT_ACL_SYSMETA] == ACL
    assert here[ACCOUNT_CHANGED] == NEWER
    assert b.methods == ['HEAD']


def test_metadata_the_newest_write_lacks_is_removed(duo):
    a, b, r = duo
    account_settings(a, NEWER)
    account_settings(b, OLDER, **{'X-Account-Meta-Old': 'x'})
    r.reconcile_account('AUTH_test')
    assert b.received[-1]['x-remove-account-meta-old'] == 'x'


def test_account_in_sync_is_only_read(duo):
    a, b, r = duo
    account_settings(a, NEWER)
    account_settings(b, NEWER)
    found = r.reconcile_account('AUTH_test')
    assert found.diagnosis.repairs == ()
    assert b.methods == ['HEAD']
    assert writes(a) == []
    assert counted_accounts(r.logger) == {'accounts.checked': 1}


def counted_accounts(logger):
    return {name: count for name, count in logger.counters.items()
            if name.startswith('accounts.')}


def test_account_repair_counts_checked_and_repaired(duo):
    a, b, r = duo
    account_settings(a, NEWER)
    r.reconcile_account('AUTH_test')
    assert counted_accounts(r.logger) == {'accounts.checked': 1,
                                          'accounts.repaired': 1}
    # The container counters stay the containers'.
    assert counted(r.logger) == {}


def test_account_repair_a_peer_refuses_is_an_error(duo):
    a, b, r = duo
    account_settings(a, NEWER)
    a.swift.store[ACCOUNT][ACCOUNT_PENDING] = NEWER + ' ' + b.url
    b.swift.forced[('POST', ACCOUNT)] = 503
    r.reconcile_account('AUTH_test')
    assert counted_accounts(r.logger) == {'accounts.checked': 1,
                                          'accounts.errors': 1}
    assert any('POST at %s failed' % b.url in line
               for line in r.logger.lines['error'])
    # Not every site agrees: the record stays.
    assert a.swift.store[ACCOUNT][ACCOUNT_PENDING] == NEWER + ' ' + b.url


def test_unreachable_peer_stops_every_account_repair(sites, dead_url,
                                                     tmp_path):
    a, b = sites.url_style(2, also=(dead_url,))
    account_settings(a, NEWER)
    r = reconciler(a, (a.url, b.url, dead_url), tmp_path)
    found = r.reconcile_account('AUTH_test')
    assert found.diagnosis.unreachable == (dead_url,)
    assert b.methods == ['HEAD']
    assert r.stats == {'accounts.checked': 1, 'accounts.unreachable': 1}


def test_pending_record_here_is_cleared_once_every_site_agrees(duo):
    a, b, r = duo
    account_settings(a, NEWER)
    a.swift.store[ACCOUNT][ACCOUNT_PENDING] = NEWER + ' ' + b.url
    found = r.reconcile_account('AUTH_test')
    assert found.diagnosis.verdict == 'pending at ' + b.url
    assert b.swift.store[ACCOUNT][ACCOUNT_ACL_SYSMETA] == ACL
    [clear] = [call for call in a.swift.calls_for('POST')]
    assert clear[2][ACCOUNT_PENDING] == ''


def test_pending_record_at_a_peer_is_left_to_that_site(duo):
    a, b, r = duo
    account_settings(a, NEWER)
    account_settings(b, NEWER)
    b.swift.store[ACCOUNT][ACCOUNT_PENDING] = NEWER + ' ' + a.url
    r.reconcile_account('AUTH_test')
    assert b.methods == ['HEAD']
    assert writes(a) == []


def test_signed_head_of_an_account_shows_its_records(duo):
    """B's gatekeeper hides sysmeta: B's filter shows them as the
    reconciler reads them."""
    a, b, r = duo
    account_settings(b, NEWER)
    b.swift.store[ACCOUNT][ACCOUNT_PENDING] = NEWER + ' ' + a.url
    state = r.inspector.cluster(parse_site(b.url)).head_account('AUTH_test')
    assert (state.changed_at, state.acl, state.pending) == (
        NEWER, ACL, NEWER + ' ' + a.url)


def account_db(devices, metadata, device='sda', account='AUTH_test'):
    """The DB of ``account`` on ``device`` as an account server keeps
    it, holding ``metadata``."""
    name = hash_path(account)
    where = os.path.join(str(devices), device, 'accounts', '0',
                         name[-3:], name)
    os.makedirs(where)
    broker = AccountBroker(os.path.join(where, name + '.db'),
                           account=account)
    broker.initialize(Timestamp.now().internal)
    now = Timestamp.now().internal
    broker.update_metadata({header: (value, now)
                            for header, value in metadata.items()})
    return broker


def test_pass_repairs_an_account_whose_db_is_here(duo, tmp_path):
    a, b, r = duo
    account_db(tmp_path, {ACCOUNT_ACL_SYSMETA: ACL,
                          'X-Account-Meta-Colour': 'grün',
                          ACCOUNT_CHANGED: NEWER})
    b.swift.store[ACCOUNT]['X-Account-Meta-Colour'] = \
        'grün'.encode('utf-8').decode('latin-1')
    stats = r.run_pass()
    assert b.swift.store[ACCOUNT][ACCOUNT_ACL_SYSMETA] == ACL
    assert b.methods == ['HEAD', 'POST']
    # Read from the DB here: no HEAD here.
    assert a.swift.calls == []
    assert stats['accounts.repaired'] == 1
    assert any('accounts: 1 checked, 1 repaired' in line
               for line in r.logger.lines['info'])


def test_pass_skips_an_account_nobody_changed(duo, tmp_path):
    a, b, r = duo
    account_db(tmp_path, {})
    r.run_pass()
    assert b.received == []


def test_pass_skips_swifts_own_accounts(duo, tmp_path):
    a, b, r = duo
    account_db(tmp_path, {ACCOUNT_ACL_SYSMETA: ACL}, account='.expiring')
    r.run_pass()
    assert b.received == []


def test_pass_skips_a_deleted_account(duo, tmp_path):
    a, b, r = duo
    broker = account_db(tmp_path, {ACCOUNT_ACL_SYSMETA: ACL})
    broker.delete_db(Timestamp.now().internal)
    r.run_pass()
    assert b.received == []


def chosen_account_replica(account='AUTH_test', replicas=3):
    return int(hash_path(account), 16) % replicas


def account_ring_choosing(device_node, picked, replicas=3):
    nodes = [dict(ELSEWHERE, port=6202, device='sd%d' % i)
             for i in range(replicas)]
    nodes[chosen_account_replica(replicas=replicas)] = dict(
        ELSEWHERE, port=6202)
    nodes[picked] = device_node
    return FakeRing(*nodes)


def test_account_replica_the_hash_picks_is_checked_here(sites, tmp_path):
    a, b = sites.url_style(2)
    account_db(tmp_path, {ACCOUNT_ACL_SYSMETA: ACL})
    r = reconciler(a, (a.url, b.url), tmp_path,
                   account_ring=account_ring_choosing(
                       ACCOUNT_SDA, chosen_account_replica()))
    r.run_pass()
    assert b.methods == ['HEAD', 'POST']


def test_account_replica_the_hash_does_not_pick_is_left_alone(
        sites, tmp_path):
    a, b = sites.url_style(2)
    account_db(tmp_path, {ACCOUNT_ACL_SYSMETA: ACL})
    other = (chosen_account_replica() + 1) % 3
    r = reconciler(a, (a.url, b.url), tmp_path,
                   account_ring=account_ring_choosing(ACCOUNT_SDA, other))
    r.run_pass()
    assert b.received == []


def test_account_on_the_container_servers_port_is_not_this_nodes(
        sites, tmp_path):
    """account_bind_port says which ring entries are this node's."""
    a, b = sites.url_style(2)
    account_db(tmp_path, {ACCOUNT_ACL_SYSMETA: ACL})
    r = reconciler(a, (a.url, b.url), tmp_path,
                   account_ring=FakeRing(HERE_SDA))
    r.run_pass()
    assert b.received == []


def test_bad_account_bind_port_is_refused_naming_it(tmp_path):
    assert conf_error(tmp_path, account_bind_port='sixty').startswith(
        "[autosync-reconciler] account_bind_port = 'sixty'")


def test_account_bind_port_out_of_range_is_refused(tmp_path):
    assert conf_error(tmp_path, account_bind_port='70000').startswith(
        "[autosync-reconciler] account_bind_port = '70000'")
