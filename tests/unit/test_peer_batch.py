"""The batched read's answer (peer_batch.py): a peer's filter, reached
over loopback, reads the containers from real container servers on
loopback (Swift's, behind container_records.py) that a fake ring names;
and what the reader makes of it (PeerCluster.read_batch,
batch_read.parse_answer)."""

import dataclasses
import http.client
import json
import time
from urllib.parse import urlsplit

import pytest
from swift.common.swob import str_to_wsgi
from swift.common.utils import Timestamp

from autosync import middleware, peer_batch
from autosync.clusters import PeerCluster
from autosync.directory import SiteDirectory
from autosync.peer_batch import shown_headers
from autosync.peer_change import PeerChange
from autosync.placement import parse_site
from autosync.protocol import BATCH_READ_HEADER, batch_names_value
from autosync.state import ContainerState, from_headers

from helpers import (
    ACCOUNT,
    ACCOUNT_NAME,
    CHANGED,
    PLACEMENT,
    SYNC_KEY,
    VERSION,
    ContainerServer,
    FakeLogger,
    FakeRing,
)

NON_ASCII = 'comma, and ü'
# Metadata as a container server stores it (native strings).
HEADERS = {
    'X-Container-Meta-Colour': 'blue',
    'X-Container-Meta-Städt': 'Zürich',
    'X-Container-Read': '.r:*',
    'X-Container-Write': 'AUTH_test:writer',
    'X-Container-Sync-To': '//realm/b/AUTH_test/c',
    'X-Container-Sync-Key': SYNC_KEY,
    PLACEMENT: '//realm/a,//realm/b',
    VERSION: '1700000000.00000',
    CHANGED: '1700000001.00000',
    'X-Container-Sysmeta-Versions-Location': 'versions',
    'X-Container-Sysmeta-Other': 'not for other sites',
}



@pytest.fixture
def servers(tmp_path):
    """``servers(records=True)`` starts a ContainerServer; all are
    stopped at teardown."""
    started = []

    def start(records=True):
        started.append(ContainerServer(
            tmp_path / ('server%d' % len(started)), records))
        return started[-1]
    yield start
    for server in started:
        server.stop()


@pytest.fixture
def pair(sites):
    """A (here) and B, the site read."""
    return sites.url_style(2)


@pytest.fixture
def dead_node(dead_url):
    return {'ip': '127.0.0.1', 'device': 'sda',
            'port': urlsplit(dead_url).port}


def peer_of(here, there):
    """``there`` as ``here``'s reconciler reaches it."""
    cfg = here.app.cfg
    return PeerCluster(cfg.my_cluster, parse_site(there.url),
                       SiteDirectory(cfg), 1, 5, FakeLogger())


def read(a, b, names):
    return peer_of(a, b).read_batch(ACCOUNT_NAME, names).states


def unknown(site):
    """A batch's state of a name it could not read."""
    return from_headers(parse_site(site.url).name, 0, {})


def container_heads(site):
    return [call for call in site.swift.calls
            if call[0] == 'HEAD' and call[1].count('/') == 3]


def raw_batch(site, headers):
    """A GET of AUTH_test at ``site`` with ``headers``, sent as is:
    (status, body)."""
    parsed = urlsplit(site.url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port)
    conn.request('GET', ACCOUNT, headers=headers)
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return resp.status, body


def signed_headers(a, b, names=('c',), key=None, value=None):
    """The headers of a batched read of ``names`` (or of the header
    value ``value``) from ``a`` to ``b``, signed with ``key`` (by
    default, the right one)."""
    cfg = a.app.cfg
    if key is not None:
        cfg = dataclasses.replace(cfg, key=key)
    request = SiteDirectory(cfg).signed_request(
        cfg.my_cluster, parse_site(b.url), 'GET', ACCOUNT_NAME, None,
        {BATCH_READ_HEADER: value or batch_names_value(names)})
    return request.headers


# -- what the batch shows --

def test_batch_gives_the_state_the_container_servers_head_gives(
        pair, servers):
    a, b = pair
    x = servers()
    b.app.container_ring = FakeRing([x.node])
    broker = x.make('c', HEADERS)
    broker.put_object('o', Timestamp.now().internal, 12, 'text/plain',
                      'etag')
    x.make(NON_ASCII, {'X-Container-Meta-Colour': 'grün'})
    site = parse_site(b.url).name
    states = read(a, b, ['c', NON_ASCII])
    for name in ('c', NON_ASCII):
        head = x.head(name)
        assert head.status_int == 204
        assert states[name] == from_headers(
            site, 204, shown_headers(head.headers)), name
    state = states['c']
    # Names lower-cased as WSGI strings, as every state has them.
    assert state.metadata == {
        'x-container-meta-colour': 'blue',
        str_to_wsgi('X-Container-Meta-Städt').lower(): str_to_wsgi(
            'Zürich'),
        'x-container-read': '.r:*',
        'x-container-write': 'AUTH_test:writer'}
    assert (state.sync_to, state.sync_key) == (
        '//realm/b/AUTH_test/c', SYNC_KEY)
    assert (state.placement, state.placement_version, state.changed_at) \
        == (HEADERS[PLACEMENT], HEADERS[VERSION], HEADERS[CHANGED])
    assert state.put_timestamp == broker.get_info()['put_timestamp']
    assert (state.object_count, state.bytes_used) == (1, 12)
    assert state.sharding_state == 'unsharded'
    assert state.versioned
    assert states[NON_ASCII].metadata == {
        'x-container-meta-colour': str_to_wsgi('grün')}
    assert container_heads(b) == []  # not read through the proxy


def test_batch_shows_autosyncs_names_not_sysmeta_or_backend_headers(
        pair, servers):
    a, b = pair
    x = servers()
    b.app.container_ring = FakeRing([x.node])
    broker = x.make('c', HEADERS)
    x.make('new-style', {'X-Container-Sysmeta-Versions-Enabled': 'True'})
    status, body = raw_batch(b, signed_headers(a, b, ['c', 'new-style']))
    assert status == 200
    entries = json.loads(body)['containers']
    shown = entries['c']['headers']
    assert entries['c']['status'] == 204
    assert not any(name.startswith('x-backend-') for name in shown)
    assert [name for name in shown if 'sysmeta' in name] == [
        'x-container-sysmeta-versions-location']
    assert shown['x-autosync-placement'] == HEADERS[PLACEMENT]
    assert shown['x-autosync-placement-version'] == HEADERS[VERSION]
    assert shown['x-autosync-changed-at'] == HEADERS[CHANGED]
    assert shown['x-autosync-put-timestamp'] == \
        broker.get_info()['put_timestamp']
    assert shown['x-autosync-delete-timestamp'] == Timestamp(0).internal
    assert shown['x-autosync-sharding-state'] == 'unsharded'
    assert entries['new-style']['headers']['x-versions-enabled'] == 'True'
    assert 'x-container-sysmeta-versions-enabled' not in \
        entries['new-style']['headers']


# -- which container servers are asked --

def test_batch_asks_each_container_server_once(pair, servers):
    a, b = pair
    x, y = servers(), servers()
    b.app.container_ring = FakeRing([x.node, y.node],
                                    placed={'d': [y.node, x.node]})
    for name in ('c1', 'c2', 'c3'):
        x.make(name)
    y.make('d')
    states = read(a, b, ['c1', 'd', 'c2', 'c3'])
    assert all(state.exists for state in states.values())
    assert x.requests == [('POST', '/sda/0/' + ACCOUNT_NAME,
                           ['c1', 'c2', 'c3'])]
    assert y.requests == [('POST', '/sda/0/' + ACCOUNT_NAME, ['d'])]


@pytest.mark.parametrize('deleted', [False, True])
def test_name_the_first_primary_does_not_hold_is_read_from_the_second(
        pair, servers, deleted):
    a, b = pair
    x, y = servers(), servers()
    b.app.container_ring = FakeRing([x.node, y.node])
    if deleted:
        x.make('c').delete_db(Timestamp.now().internal)
    x.make('other')
    y.make('c', {'X-Container-Meta-Colour': 'blue'})
    states = read(a, b, ['c', 'other'])
    assert states['c'].exists
    assert states['c'].metadata == {'x-container-meta-colour': 'blue'}
    assert states['other'].exists
    assert x.asked == [['c', 'other']]
    assert y.asked == [['c']]


def test_name_whose_first_primary_is_down_is_read_from_the_second(
        pair, servers, dead_node):
    a, b = pair
    y = servers()
    b.app.container_ring = FakeRing([dead_node, y.node])
    y.make('c', {'X-Container-Meta-Colour': 'blue'})
    states = read(a, b, ['c'])
    assert states['c'].metadata == {'x-container-meta-colour': 'blue'}
    assert y.asked == [['c']]
    assert any('batched read failed' in line and
               str(dead_node['port']) in line
               for line in b.logger.lines['warning'])


def test_names_no_primary_holds_are_unknown(pair, servers):
    """Deleted or never made: the reader's own HEAD tells which."""
    a, b = pair
    x, y = servers(), servers()
    b.app.container_ring = FakeRing([x.node, y.node])
    for server in (x, y):
        server.make('gone').delete_db(Timestamp.now().internal)
    states = read(a, b, ['gone', 'never'])
    assert states == {'gone': unknown(b), 'never': unknown(b)}
    assert not states['gone'].reachable
    assert x.asked == y.asked == [['gone', 'never']]


def test_server_without_the_filter_leaves_its_names_unknown(
        pair, servers):
    a, b = pair
    plain, x = servers(records=False), servers()
    b.app.container_ring = FakeRing([x.node], placed={'c': [plain.node]})
    plain.make('c')
    x.make('d')
    states = read(a, b, ['c', 'd'])
    assert states['c'] == unknown(b)
    assert states['d'].exists
    assert plain.asked == [['c']]
    assert any('answered 400' in line and str(plain.node['port']) in line
               for line in b.logger.lines['warning'])


def test_slow_server_leaves_its_names_unknown_and_the_answer_comes(
        sites, servers):
    a, b = sites.url_style(2, node_timeout='0.4')  # 0.2 s per server
    slow, x = servers(), servers()
    b.app.container_ring = FakeRing([x.node], placed={'c': [slow.node]})
    slow.make('c')
    slow.delay = 3
    x.make('d')
    started = time.time()
    states = read(a, b, ['c', 'd'])
    assert time.time() - started < 1.5
    assert states['c'] == unknown(b)
    assert states['d'].exists
    assert slow.asked == [['c']]
    assert any('batched read failed' in line
               for line in b.logger.lines['warning'])


def test_slow_primaries_in_turn_still_answer_within_the_time(
        sites, servers):
    a, b = sites.url_style(2, node_timeout='0.6')  # 0.3 s in all
    x, y = servers(), servers()
    b.app.container_ring = FakeRing([x.node, y.node])
    for server in (x, y):
        server.make('c')
        server.delay = 3
    started = time.time()
    states = read(a, b, ['c'])
    assert states['c'] == unknown(b)
    assert time.time() - started < 0.3 * 1.5


# -- refused --

def test_unsigned_batch_is_refused_and_reads_nothing(pair, servers):
    a, b = pair
    x = servers()
    b.app.container_ring = FakeRing([x.node])
    headers = signed_headers(a, b)
    del headers['X-Autosync-Auth']
    status, body = raw_batch(b, headers)
    assert status in (401, 403)  # the site's auth: a client with no token
    assert b'containers' not in body
    assert x.requests == []


def test_badly_signed_batch_is_401_and_reads_nothing(pair, servers):
    a, b = pair
    x = servers()
    b.app.container_ring = FakeRing([x.node])
    status, body = raw_batch(b, signed_headers(a, b, key='not-the-key'))
    assert status == 401
    assert x.requests == []
    assert b.swift.calls == []
    assert b.logger.counters['auth.invalid'] == 1


def test_batch_with_names_changed_in_flight_is_401(pair, servers):
    a, b = pair
    x = servers()
    b.app.container_ring = FakeRing([x.node])
    headers = signed_headers(a, b)
    headers[BATCH_READ_HEADER] = batch_names_value(['other'])
    status, _ = raw_batch(b, headers)
    assert status == 401
    assert x.requests == []


def test_replayed_batch_is_401(pair, servers):
    a, b = pair
    x = servers()
    b.app.container_ring = FakeRing([x.node])
    headers = signed_headers(a, b)
    assert raw_batch(b, headers)[0] == 200
    assert raw_batch(b, headers)[0] == 401
    assert len(x.requests) == 1


def test_batch_at_a_site_without_override_auth_is_403(sites, servers):
    a, b = sites.url_style(2, override_auth='false')
    x = servers()
    b.app.container_ring = FakeRing([x.node])
    status, body = raw_batch(b, signed_headers(a, b))
    assert status == 403
    assert b'override_auth' in body
    assert x.requests == []


def test_batch_with_an_empty_name_is_400(pair, servers):
    a, b = pair
    x = servers()
    b.app.container_ring = FakeRing([x.node])
    status, body = raw_batch(b, signed_headers(a, b, value='c,,other'))
    assert status == 400
    assert BATCH_READ_HEADER.encode('ascii') in body
    assert x.requests == []


def test_batch_of_more_than_max_names_is_400(pair, servers, monkeypatch):
    a, b = pair
    x = servers()
    b.app.container_ring = FakeRing([x.node])
    monkeypatch.setattr(peer_batch, 'MAX_NAMES', 2)
    status, body = raw_batch(b, signed_headers(a, b, ['c', 'd', 'e']))
    assert status == 400
    assert b'more than 2 names' in body
    assert x.requests == []
    assert raw_batch(b, signed_headers(a, b, ['c', 'd']))[0] == 200


# -- the reader --

def test_older_peer_answering_a_listing_is_not_understood(
        pair, monkeypatch):
    a, b = pair
    monkeypatch.setattr(middleware, 'peer_context',
                        lambda env, names: PeerChange)
    answer = peer_of(a, b).read_batch(ACCOUNT_NAME, ['c'])
    assert answer.states is None
    assert not answer.understood
    # It listed the account (limit=0: nothing), as a signed GET.
    assert [call[:2] for call in b.swift.calls] == [('GET', ACCOUNT)]
    assert b.swift.calls[0][3]['QUERY_STRING'] == 'limit=0'


def test_peer_that_does_not_answer_gives_no_states(pair):
    a, b = pair
    b.stop()
    answer = peer_of(a, b).read_batch(ACCOUNT_NAME, ['c'])
    assert answer.states is None
    assert answer.understood  # it may know it: ask again next time


def test_peer_failing_the_batch_gives_no_states_but_is_understood(pair):
    a, b = pair

    class NoRing(object):
        def get_nodes(self, account, container):
            raise IOError('no container.ring.gz')
    b.app.container_ring = NoRing()
    answer = peer_of(a, b).read_batch(ACCOUNT_NAME, ['c'])
    assert answer.states is None
    assert answer.understood


def test_batch_states_are_the_readers_states_of_each_name(pair, servers):
    """What parse_answer makes of a real answer: one state per name
    asked, by name, for this site."""
    a, b = pair
    x = servers()
    b.app.container_ring = FakeRing([x.node])
    x.make('c')
    states = read(a, b, ['never', 'c'])
    assert list(states) == ['never', 'c']
    assert {state.site for state in states.values()} == {
        parse_site(b.url).name}
    assert isinstance(states['c'], ContainerState)
    assert states['c'].exists and not states['never'].reachable


def test_answer_names_the_servers_that_gave_no_records(
        pair, servers, dead_node):
    """What ``autosync verify`` shows: how many servers were asked, and
    which gave nothing and why; one that answered 404 for every name
    gave records."""
    a, b = pair
    plain, x = servers(records=False), servers()
    b.app.container_ring = FakeRing([x.node], placed={
        'c': [plain.node], 'd': [dead_node]})
    status, body = raw_batch(b, signed_headers(a, b, ['c', 'd', 'never']))
    assert status == 200
    answer = json.loads(body)
    assert answer['servers_asked'] == 3
    plain_line = '127.0.0.1:%d/sda: answered 400' % plain.node['port']
    dead_prefix = '127.0.0.1:%d/sda: ' % dead_node['port']
    unanswered = answer['servers_unanswered']
    assert len(unanswered) == 2 and plain_line in unanswered, unanswered
    [dead_line] = [line for line in unanswered if line != plain_line]
    assert dead_line.startswith(dead_prefix)
    assert len(dead_line) > len(dead_prefix)  # why: the connect error
