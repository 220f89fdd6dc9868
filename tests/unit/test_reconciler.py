"""The reconciler (reconciler.py) and what it reads with
(container_walk.py, inspection.py, clusters.py): this site through an
InternalClient-shaped shim over its FakeSwift, every other site through
its autosync filter over loopback."""

import os

import pytest
from swift.common.utils import Timestamp, hash_path
from swift.container.backend import ContainerBroker

from autosync.clusters import LocalCluster
from autosync.config import ConfigError
from autosync.placement import parse_placement, parse_site
from autosync.reconciler import AutosyncReconciler

from helpers import (
    CHANGED,
    CONTAINER,
    KEY,
    PLACEMENT,
    VERSION,
    FakeLogger,
    InternalClientShim,
    client_request,
)

SYNC_TO = 'X-Container-Sync-To'
SYNC_KEY = 'X-Container-Sync-Key'
WRITES = ('PUT', 'POST', 'DELETE')
COUNTERS = ('checked', 'repaired', 'conflicts', 'unreachable', 'errors')

HERE_SDA = {'ip': '127.0.0.1', 'port': 6201, 'device': 'sda'}
HERE_SDB = {'ip': '127.0.0.1', 'port': 6201, 'device': 'sdb'}
ELSEWHERE = {'ip': '192.0.2.99', 'port': 6201, 'device': 'sda'}


class FakeRing(object):
    """The same nodes for every container: by default one replica, on
    this node's sda."""

    def __init__(self, *nodes):
        self.nodes = list(nodes or (HERE_SDA,))

    def get_nodes(self, account, container):
        return 0, self.nodes


def reconciler(here, placement, tmp_path, logger=None, ring=None, **conf):
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
                              container_ring=ring or FakeRing())


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

def container_db(devices, headers, device='sda'):
    """The DB of AUTH_test/c on ``device`` as a container server keeps it,
    holding ``headers`` as its metadata."""
    name = hash_path('AUTH_test', 'c')
    where = os.path.join(str(devices), device, 'containers', '0',
                         name[-3:], name)
    os.makedirs(where)
    broker = ContainerBroker(os.path.join(where, name + '.db'),
                             account='AUTH_test', container='c')
    broker.initialize(Timestamp.now().internal, 0)
    now = Timestamp.now().internal
    broker.update_metadata({header: (value, now)
                            for header, value in headers.items()})
    return broker


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
    assert b.methods == ['HEAD', 'PUT']
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
    assert b.methods == ['HEAD', 'PUT']
    assert r.stats == {'checked': 1, 'repaired': 1}


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
                           local=object(), container_ring=FakeRing())
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
