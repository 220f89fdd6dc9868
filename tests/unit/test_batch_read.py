"""The reconciler's batched read (batch_read.py, reconciler.py): groups
of containers read at each other site in one signed request, as a
pre-check; anything to repair is read again, container by container."""

from unittest import mock

import pytest
from swift.common.swob import Request

from autosync import batch_read, middleware, peer_batch
from autosync.batch_read import Batches, parse_answer
from autosync.clusters import LocalCluster
from autosync.peer_change import PeerChange
from autosync.placement import parse_site
from autosync.reconciler import AutosyncReconciler

from helpers import (
    ACCOUNT,
    KEY,
    FakeLogger,
    InternalClientShim,
    client_request,
    container_db,
)

NAMES = ('c1', 'c2', 'c3')
HERE = {'ip': '127.0.0.1', 'port': 6201, 'device': 'sda'}
ACCOUNT_SERVER = {'ip': '127.0.0.1', 'port': 6202, 'device': 'sda'}


class OneNodeRing(object):
    def __init__(self, node):
        self.node = node

    def get_nodes(self, account, container=None):
        return 0, [self.node]


# Names whose record B's container servers give as stale (a test sets
# it): what the batch shows, never what decides.
STALE = {}


def records_from_store(batch, names):
    """``PeerBatch.read_all`` for a fake site: each name's record as its
    fake Swift answers a HEAD (test_peer_batch.py has real container
    servers); STALE's metadata laid over it."""
    entries = {}
    for name in names:
        resp = Request.blank(ACCOUNT + '/' + name,
                             environ={'REQUEST_METHOD': 'HEAD'}
                             ).get_response(batch.filt.app)
        headers = dict(resp.headers, **STALE.get(name, {}))
        entries[name] = {'status': 204,
                         'headers': peer_batch.shown_headers(headers)} \
            if resp.status_int // 100 == 2 else peer_batch.UNKNOWN
    return entries


@pytest.fixture
def pair(sites, tmp_path):
    """A (here) and B, holding NAMES made at A, in sync; each with its
    DB here; and A's reconciler. Nothing sent yet as far as the test
    can tell."""
    STALE.clear()
    with mock.patch.object(peer_batch.PeerBatch, 'read_all',
                           records_from_store):
        yield made(sites, tmp_path)


def made(sites, tmp_path):
    a, b = sites.url_style(2)
    for name in NAMES:
        client_request(ACCOUNT + '/' + name, headers={
            'X-Container-Meta-Colour': 'blue'}).get_response(a.app)
        container_db(tmp_path, a.swift.store[ACCOUNT + '/' + name],
                     name=name)
    for site in (a, b):
        site.swift.calls[:] = []
        site.methods[:] = []
    r = AutosyncReconciler(
        {'autosync_my_cluster': a.url,
         'autosync_placement': '%s, %s' % (a.url, b.url),
         'autosync_key': KEY, 'conn_timeout': '1', 'node_timeout': '5',
         'devices': str(tmp_path), 'mount_check': 'false',
         'swift_dir': str(tmp_path)},
        logger=FakeLogger(),
        local=LocalCluster(parse_site(a.url), InternalClientShim(a.swift)),
        container_ring=OneNodeRing(HERE),
        account_ring=OneNodeRing(ACCOUNT_SERVER))
    return a, b, r


def held_at(site, name):
    return site.swift.store[ACCOUNT + '/' + name]


# -- a pass --

def test_pass_in_sync_is_one_request_to_the_peer(pair):
    a, b, r = pair
    stats = r.run_pass()
    assert b.methods == ['GET']
    assert {k: v for k, v in stats.items() if k != 'elapsed'} == {
        'checked': 3, 'batched': 3}
    assert a.swift.calls == []


def test_container_the_batch_shows_differing_is_read_again_and_repaired(
        pair):
    a, b, r = pair
    held_at(b, 'c2')['X-Container-Meta-Colour'] = 'red'
    stats = r.run_pass()
    assert stats['checked'] == 3 and stats['repaired'] == 1
    assert stats['batched'] == 2
    assert b.methods == ['GET', 'HEAD', 'POST']
    [head] = [call for call in b.swift.calls if call[0] == 'HEAD' and
              call[1].count('/') == 3 and call[3].get('HTTP_X_ORIG_CLUSTER')]
    assert head[1] == ACCOUNT + '/c2'


def test_repair_is_decided_on_the_fresh_read_not_the_batch(pair):
    """B's batch says c2 differs (a replica not yet replicated, say);
    its HEAD says it does not: the fresh read wins, nothing is
    repaired."""
    a, b, r = pair
    STALE['c2'] = {'X-Container-Meta-Colour': 'red'}
    stats = r.run_pass()
    assert b.methods == ['GET', 'HEAD']
    assert stats.get('repaired', 0) == 0
    assert stats['checked'] == 3
    assert held_at(b, 'c2')['X-Container-Meta-Colour'] == 'blue'


def test_container_missing_at_the_peer_is_made_again(pair):
    a, b, r = pair
    del b.swift.store[ACCOUNT + '/c3']
    stats = r.run_pass()
    assert b.methods == ['GET', 'HEAD', 'PUT']
    assert stats['repaired'] == 1
    assert ACCOUNT + '/c3' in b.swift.store


def test_older_peer_without_the_batch_is_read_container_by_container(
        pair, monkeypatch):
    a, b, r = pair
    monkeypatch.setattr(middleware, 'peer_context',
                        lambda env, names: PeerChange)
    held_at(b, 'c1')['X-Container-Meta-Colour'] = 'red'
    stats = r.run_pass()
    assert b.methods == ['GET', 'HEAD', 'HEAD', 'HEAD', 'POST']
    assert stats['checked'] == 3 and stats['repaired'] == 1
    assert 'batched' not in stats
    assert held_at(b, 'c1')['X-Container-Meta-Colour'] == 'blue'
    assert r.unbatched == {parse_site(b.url)}


def test_unanswering_peer_is_unreachable_as_before(pair):
    a, b, r = pair
    b.stop()
    stats = r.run_pass()
    assert stats['checked'] == 3 and stats['unreachable'] == 3
    assert 'repaired' not in stats


def test_next_pass_asks_an_older_peer_for_batches_again(pair, monkeypatch):
    """An upgrade between passes is seen on the next one."""
    a, b, r = pair
    monkeypatch.setattr(middleware, 'peer_context',
                        lambda env, names: PeerChange)
    r.run_pass()
    monkeypatch.undo()
    b.methods[:] = []
    r.run_pass()
    assert b.methods == ['GET']


# -- grouping --

def test_full_group_is_handed_out_at_its_size():
    batches = Batches(size=2)
    assert batches.add('k', 'a', 1) == []
    assert batches.add('j', 'b', 2) == []
    assert batches.add('k', 'c', 3) == [('k', [1, 3])]
    assert list(batches.rest()) == [('j', [2])]


def test_group_is_handed_out_before_its_names_grow_too_long():
    batches = Batches(size=100, value_chars=10)
    assert batches.add('k', 'abcd', 1) == []
    assert batches.add('k', 'efgh', 2) == []
    # 'ü' is %C3%BC: 6 more characters, over 10 with the rest.
    assert batches.add('k', 'ü', 3) == [('k', [1, 2])]
    assert list(batches.rest()) == [('k', [3])]


def test_every_group_is_handed_out_when_too_many_are_held():
    batches = Batches(size=10, max_held=3)
    batches.add('k', 'a', 1)
    batches.add('j', 'b', 2)
    assert sorted(batches.add('i', 'c', 3)) == [
        ('i', [3]), ('j', [2]), ('k', [1])]
    assert list(batches.rest()) == []


# -- answers --

def test_listing_is_not_the_batch_shape():
    answer = parse_answer('b', 200, b'[{"name": "c"}]', ['c'])
    assert answer.states is None and not answer.understood


def test_answer_lacking_a_name_is_not_the_batch_shape():
    answer = parse_answer('b', 200, b'{"containers": {}}', ['c'])
    assert answer.states is None and not answer.understood


def test_server_error_is_no_answer_but_understood():
    answer = parse_answer('b', 503, b'<html>', ['c'])
    assert answer.states is None and answer.understood


def test_batch_states_are_parsed_by_name():
    body = (b'{"containers": {"c": {"status": 204, "headers": '
            b'{"X-Container-Meta-Colour": "blue"}}}}')
    [state] = parse_answer('b', 200, body, ['c']).states.values()
    assert state.site == 'b' and state.exists
    assert state.metadata == {'x-container-meta-colour': 'blue'}


def test_clean_needs_no_repair_and_nothing_pending():
    from autosync.repair import Diagnosis, Repair
    assert batch_read.clean(Diagnosis('in sync'))
    assert not batch_read.clean(Diagnosis('x', settled=('a',)))
    assert not batch_read.clean(Diagnosis(
        'x', repairs=(Repair('a', 'PUT', 'missing'),)))
    assert not batch_read.clean(Diagnosis('x', unreachable=('a',)))
