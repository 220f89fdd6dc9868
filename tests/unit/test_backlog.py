"""The backlog ``autosync status`` shows where a container's DB is on
this node (backlog.py, status.py): real container DBs on a temp dir,
and Swift's own container-sync pass over them."""

import json
import os
from types import SimpleNamespace

import pytest
from swift.common.utils import Timestamp
from swift.container import sync
from swift.container.backend import ContainerBroker

from autosync.backlog import (
    backlog_here,
    db_backlog,
    rows_after,
    target_name,
)
from autosync.container_walk import ContainerWalk
from autosync.inspection import Inspection
from autosync.placement import parse_placement
from autosync.repair import diagnose
from autosync.state import ContainerState
from autosync.status import StatusReader, output, render_table, report

import helpers
from helpers import A, B, C, FakeLogger

SYNC_TO = B + '/v1/AUTH_test/c'  # B's copy
HERE = {'ip': '127.0.0.1', 'port': 6201}
ELSEWHERE = {'ip': '192.0.2.99', 'port': 6201}


class FakeRing(object):
    """The same nodes for every container."""

    def __init__(self, *nodes):
        self.nodes = list(nodes)

    def get_nodes(self, account, container=None):
        return 0, self.nodes


def one_replica_here():
    return FakeRing(dict(HERE, device='sda'))


def container_db(devices, device='sda', sync_to=SYNC_TO):
    """The DB of AUTH_test/c on ``device`` as a container server keeps
    it, syncing to ``sync_to``."""
    return helpers.container_db(devices, {
        'X-Container-Sync-To': sync_to,
        'X-Container-Sync-Key': 'key'} if sync_to else {}, device)


def put(broker, *names, deleted=0):
    """Each a row of its own, as from one object PUT (DELETE) after
    the other: Swift merges the rows of one name in one pending batch."""
    for name in names:
        broker.put_object(name, Timestamp.now().internal, 0, 'text/plain',
                          'etag', deleted=deleted)
        broker.get_info()


def walk(devices, ring=None, site=A):
    return ContainerWalk(str(devices), False, ring or one_replica_here(),
                         ['127.0.0.1'], 6201, site, FakeLogger(),
                         lambda metric: None)


def max_row(broker):
    return broker.get_max_row()


# -- counting rows --

def test_every_row_of_a_new_db_is_not_yet_sent(tmp_path):
    broker = container_db(tmp_path)
    put(broker, 'o1', 'o2', 'o3')
    assert db_backlog(A, broker).rows == 3


def test_rows_still_in_the_pending_file_are_counted(tmp_path):
    broker = container_db(tmp_path)
    for name in ('o1', 'o2'):
        broker.put_object(name, Timestamp.now().internal, 0, 'text/plain',
                          'etag')
    assert os.path.getsize(broker.pending_file) > 0
    assert db_backlog(A, broker).rows == 2


def test_a_delete_is_a_row_to_send(tmp_path):
    broker = container_db(tmp_path)
    put(broker, 'o1')
    broker.get_info()
    broker.set_x_container_sync_points(max_row(broker), max_row(broker))
    put(broker, 'o1', deleted=1)
    assert db_backlog(A, broker).rows == 1


def test_rows_are_counted_not_the_rowid_distance(tmp_path):
    """An object written again replaces its row: ROWIDs have gaps."""
    broker = container_db(tmp_path)
    put(broker, 'o1', 'o2', 'o1', 'o1')
    broker.get_info()
    assert max_row(broker) == 4
    assert rows_after(broker, -1) == 2


def test_rows_up_to_sync_point_1_are_sent(tmp_path):
    broker = container_db(tmp_path)
    put(broker, 'o1', 'o2', 'o3', 'o4', 'o5')
    broker.get_info()
    broker.set_x_container_sync_points(2, -1)
    assert db_backlog(A, broker).rows == 3


def test_sync_point_2_does_not_count(tmp_path):
    """Rows between the points were sent once (point 1 passed them);
    the later look at them is no first send."""
    broker = container_db(tmp_path)
    put(broker, 'o1', 'o2', 'o3', 'o4', 'o5')
    broker.get_info()
    broker.set_x_container_sync_points(4, 1)
    assert db_backlog(A, broker).rows == 1


def test_all_sent_is_zero_not_unknown(tmp_path):
    broker = container_db(tmp_path)
    put(broker, 'o1', 'o2')
    broker.get_info()
    broker.set_x_container_sync_points(max_row(broker), -1)
    assert db_backlog(A, broker) is not None
    assert db_backlog(A, broker).rows == 0


def test_backlog_names_the_db_and_its_sync_target(tmp_path):
    broker = container_db(tmp_path)
    found = db_backlog(A, broker)
    assert (found.site, found.sync_to, found.rows) == (A, SYNC_TO, 0)


def test_a_db_without_a_sync_target_has_no_backlog(tmp_path):
    broker = container_db(tmp_path, sync_to='')
    put(broker, 'o1')
    assert db_backlog(A, broker) is None


def test_a_deleted_db_has_no_backlog(tmp_path):
    """container-sync skips it, even with a sync target (a delete
    clears it; metadata merged from another replica can bring it back).
    """
    broker = container_db(tmp_path)
    broker.delete_db(Timestamp.now().internal)
    broker.update_metadata({'X-Container-Sync-To': (
        SYNC_TO, Timestamp.now().internal)})
    assert broker.is_deleted()
    assert db_backlog(A, broker) is None


def test_a_sharding_db_has_no_backlog(tmp_path):
    """Its rows are no longer the container's objects: unknown, not 0."""
    broker = container_db(tmp_path)
    put(broker, 'o1')
    broker.enable_sharding(Timestamp.now())
    assert broker.set_sharding_state()
    assert db_backlog(A, ContainerBroker(broker.db_file)) is None


# -- what Swift's container-sync does with the same DB --

class RecordingSync(sync.ContainerSync):
    """Swift's container-sync, sending nothing: it records the names of
    the rows it would send."""

    def __init__(self, devices, ring):
        self.sent = []
        super().__init__({'devices': str(devices), 'mount_check': 'false',
                          'bind_ip': '127.0.0.1', 'bind_port': '6201',
                          'swift_dir': str(devices),
                          'allowed_sync_hosts': 'b.example.com'},
                         container_ring=ring, logger=FakeLogger())

    def container_sync_row(self, row, *args):
        self.sent.append(row['name'])
        return True


@pytest.fixture
def no_internal_client(monkeypatch):
    monkeypatch.setattr(sync, 'InternalClient', lambda *a, **k: None)


def test_one_container_sync_pass_sends_the_backlog(tmp_path,
                                                   no_internal_client):
    broker = container_db(tmp_path)
    put(broker, 'o1', 'o2', 'o3')
    put(broker, 'o2', deleted=1)
    before = db_backlog(A, broker).rows
    swift = RecordingSync(tmp_path, one_replica_here())
    swift.container_sync(broker.db_file)
    assert sorted(swift.sent) == ['o1', 'o2', 'o3']
    assert before == len(swift.sent)
    assert db_backlog(A, broker).rows == 0


def test_a_pass_goes_on_from_the_sync_point(tmp_path, no_internal_client):
    broker = container_db(tmp_path)
    swift = RecordingSync(tmp_path, one_replica_here())
    put(broker, 'o1', 'o2')
    swift.container_sync(broker.db_file)
    put(broker, 'o3', 'o4', 'o5')
    before = db_backlog(A, broker).rows
    swift.sent = []
    swift.container_sync(broker.db_file)
    # The second look at o1 and o2 (between the sync points) comes
    # first: what is new is what the backlog counted.
    assert swift.sent[-before:] == ['o3', 'o4', 'o5']
    assert db_backlog(A, broker).rows == 0


def test_with_three_replicas_this_node_sends_its_share(tmp_path,
                                                       no_internal_client):
    """The count is of the rows this node has not reached; it sends the
    ones whose name picks its index, the other nodes the rest."""
    ring = FakeRing(dict(HERE, device='sda'), dict(ELSEWHERE, device='sdb'),
                    dict(ELSEWHERE, device='sdc'))
    broker = container_db(tmp_path)
    names = ['o%d' % i for i in range(30)]
    put(broker, *names)
    assert db_backlog(A, broker).rows == 30
    swift = RecordingSync(tmp_path, ring)
    swift.container_sync(broker.db_file)
    assert 0 < len(swift.sent) < 30
    assert db_backlog(A, broker).rows == 0


# -- finding the DB on this node --

def test_the_db_here_is_found_through_the_ring(tmp_path):
    put(container_db(tmp_path), 'o1', 'o2')
    found = backlog_here(walk(tmp_path), 'AUTH_test', 'c')
    assert (found.site, found.rows) == (A, 2)


def test_no_db_here_no_backlog(tmp_path):
    (tmp_path / 'sda').mkdir()
    assert backlog_here(walk(tmp_path), 'AUTH_test', 'c') is None


def test_no_devices_here_no_backlog(tmp_path):
    """As on a proxy that shares a host name with a storage node: the
    status still shows the rest."""
    here = walk(tmp_path / 'nowhere')
    assert backlog_here(here, 'AUTH_test', 'c') is None


def test_a_db_this_node_is_not_a_node_of_is_left_alone(tmp_path):
    """container-sync skips it: a handoff copy sends nothing."""
    put(container_db(tmp_path), 'o1')
    ring = FakeRing(dict(ELSEWHERE, device='sda'))
    assert backlog_here(walk(tmp_path, ring), 'AUTH_test', 'c') is None


def test_of_two_replicas_here_the_larger_backlog(tmp_path):
    put(container_db(tmp_path, 'sda'), 'o1')
    put(container_db(tmp_path, 'sdb'), 'o1', 'o2', 'o3')
    ring = FakeRing(dict(HERE, device='sda'), dict(HERE, device='sdb'))
    assert backlog_here(walk(tmp_path, ring), 'AUTH_test', 'c').rows == 3


def test_a_db_that_cannot_be_read_is_unknown_and_logged(tmp_path):
    broker = container_db(tmp_path)
    with open(broker.db_file, 'wb') as f:
        f.write(b'not a database' * 100)
    here = walk(tmp_path)
    assert backlog_here(here, 'AUTH_test', 'c') is None
    assert any('cannot read' in line for line in here.logger.all_lines())


# -- naming the target --

def test_target_is_named_as_the_placement_names_it():
    sites = ('//autosync/a', '//autosync/b')
    assert target_name('//AUTOSYNC/B/AUTH_test/c', 'AUTH_test', 'c',
                       sites) == '//autosync/b'


def test_target_url_is_named_as_the_placement_names_it():
    assert target_name(B + '/v1/AUTH_test/c', 'AUTH_test', 'c',
                       (A, B)) == B


def test_target_outside_the_sites_is_named_as_written():
    assert target_name('//AUTOSYNC/Z/AUTH_test/c', 'AUTH_test', 'c',
                       ('//autosync/a', '//autosync/b')) == '//AUTOSYNC/Z'
    assert target_name(C + '/v1/AUTH_test/c', 'AUTH_test', 'c',
                       (A, B)) == C


# -- in the status --

def in_sync(sites=(A, B)):
    placement = parse_placement(list(sites))
    states = {site: ContainerState(site, 204, placement=', '.join(sites))
              for site in sites}
    return Inspection('AUTH_test', 'c', placement, '', states,
                      diagnose('AUTH_test', 'c', placement, '', states))


def with_backlog(rows):
    return SimpleNamespace(site=A, sync_to=B + '/v1/AUTH_test/c', rows=rows)


def test_backlog_is_shown_next_to_the_verdict():
    entry = report(in_sync(), {}, with_backlog(3))
    first = render_table([entry]).splitlines()[0]
    assert first == 'AUTH_test/c: %s (3 rows not yet sent to %s)' % (
        entry['verdict'], B)


def test_one_row_is_one_row():
    first = render_table([report(in_sync(), {}, with_backlog(1))])
    assert '(1 row not yet sent to %s)' % B in first.splitlines()[0]


def test_none_left_is_shown_as_0():
    first = render_table([report(in_sync(), {}, with_backlog(0))])
    assert first.splitlines()[0].endswith('(0 rows not yet sent to %s)'
                                          % B)


def test_no_backlog_known_shows_none():
    entry = report(in_sync(), {})
    assert render_table([entry]).splitlines()[0] == \
        'AUTH_test/c: %s' % entry['verdict']
    assert json.loads(output([entry], True))[0]['backlog'] is None


def test_backlog_in_json():
    shown = json.loads(output([report(in_sync(), {}, with_backlog(3))],
                              True))
    assert shown[0]['backlog'] == {'from': A, 'to': B, 'rows': 3}


class Inspector(object):
    def __init__(self, found):
        self.found = found

    def inspect(self, account, container, also=()):
        return self.found

    def cluster(self, site):
        return SimpleNamespace(newest_object=lambda *names: (None, 0))


def test_reader_reads_the_backlog_of_the_db_here(tmp_path):
    put(container_db(tmp_path), 'o1', 'o2')
    reader = StatusReader(Inspector(in_sync()), walk=walk(tmp_path))
    assert reader.one('AUTH_test', 'c')['backlog'] == {
        'from': A, 'to': B, 'rows': 2}


def test_reader_without_a_db_here_knows_no_backlog(tmp_path):
    (tmp_path / 'sda').mkdir()
    reader = StatusReader(Inspector(in_sync()), walk=walk(tmp_path))
    assert reader.one('AUTH_test', 'c')['backlog'] is None
