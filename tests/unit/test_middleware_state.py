"""What the filter records of a container for the reconciler, and what
it shows another site's signed reads (state.py names)."""

import json

from swift.common.utils import Timestamp

from autosync.peers import PeerRequest, send
from autosync.placement import parse_site
from autosync.protocol import AUTH_HEADER, ORIG_CLUSTER_HEADER
from autosync.state import ZERO

from helpers import (
    CHANGED,
    CONTAINER,
    PLACEMENT,
    VERSION,
    FakeLogger,
    client_request,
)

FUTURE = Timestamp(9999999999).internal
LISTING = [{'name': 'o1', 'hash': 'd41d8cd98f00b204e9800998ecf8427e',
            'bytes': 0, 'content_type': 'text/plain',
            'last_modified': '2026-01-02T03:04:05.000000'}]


def client(here, method='PUT', headers=None):
    return client_request(CONTAINER, method,
                          headers=headers).get_response(here.app)


def signed(here, there, method, query=''):
    """A read of ``there``'s copy, signed as ``here`` signs them."""
    my_cluster = here.app.cfg.my_cluster
    return here.app.sites.signed_request(
        my_cluster, parse_site(there.url), method, 'AUTH_test', 'c',
        {ORIG_CLUSTER_HEADER: my_cluster.name, 'Content-Length': '0'},
        query)


def sent(request, whole_body=False):
    return send(request, 1, 5, FakeLogger(), whole_body)


def changed_at(*sites):
    return [site.swift.store[CONTAINER][CHANGED] for site in sites]


def served_gets(site):
    return site.swift.calls_for('GET', CONTAINER)


# -- the time a client last changed the metadata --

def test_client_put_records_one_changed_at_at_every_site(sites):
    a, b, c = sites.url_style(3)
    before = Timestamp.now()
    assert client(a).status_int == 201
    recorded = changed_at(a, b, c)
    assert len(set(recorded)) == 1
    assert Timestamp(recorded[0]) >= before


def test_client_post_records_a_newer_changed_at_at_every_site(sites):
    a, b = sites.url_style(2)
    client(a)
    first, = set(changed_at(a, b))
    resp = client(a, 'POST', {'X-Container-Meta-Colour': 'red'})
    assert resp.status_int == 204
    recorded = changed_at(a, b)
    assert len(set(recorded)) == 1
    assert Timestamp(recorded[0]) > Timestamp(first)


def test_client_cannot_choose_the_changed_at(sites):
    a, b = sites.url_style(2)
    client(a, headers={'X-Autosync-Changed-At': FUTURE})
    assert FUTURE not in changed_at(a, b)
    assert b.received[-1]['x-autosync-changed-at'] == \
        a.swift.store[CONTAINER][CHANGED]


def test_peers_are_not_sent_the_sysmeta_recorded_here(sites):
    a, b = sites.url_style(2)
    client(a)
    assert [name for name in b.received[-1]
            if name.startswith('x-container-sysmeta-')] == []


def test_peer_keeps_a_newer_changed_at_than_the_one_arriving(sites):
    a, b = sites.url_style(2)
    client(a)
    b.swift.store[CONTAINER][CHANGED] = FUTURE
    resp = client(a, 'POST', {'X-Container-Meta-Colour': 'red'})
    assert resp.status_int == 204
    assert b.swift.store[CONTAINER][CHANGED] == FUTURE
    assert Timestamp(a.swift.store[CONTAINER][CHANGED]) < Timestamp(FUTURE)


def test_peer_takes_a_newer_changed_at_than_its_own(sites):
    a, b = sites.url_style(2)
    client(a)
    b.swift.store[CONTAINER][CHANGED] = Timestamp(1).internal
    client(a, 'POST', {'X-Container-Meta-Colour': 'red'})
    assert b.swift.store[CONTAINER][CHANGED] == \
        a.swift.store[CONTAINER][CHANGED]


# -- a signed HEAD shows the container's state --

def test_signed_head_shows_placement_and_changed_at(sites):
    a, b = sites.url_style(2)
    client(a)
    answer = sent(signed(a, b, 'HEAD'))
    stored = b.swift.store[CONTAINER]
    assert answer.status == 204
    assert answer.headers['x-autosync-placement'] == stored[PLACEMENT] == \
        '%s, %s' % (a.url, b.url)
    assert answer.headers['x-autosync-placement-version'] == stored[VERSION]
    assert answer.headers['x-autosync-changed-at'] == stored[CHANGED]


def test_signed_head_shows_put_and_delete_timestamps(sites):
    a, b = sites.url_style(2)
    client(a)
    answer = sent(signed(a, b, 'HEAD'))
    assert answer.headers['x-autosync-put-timestamp'] == \
        b.swift.put_timestamps[CONTAINER]
    assert answer.headers['x-autosync-delete-timestamp'] == ZERO


def test_signed_head_of_a_deleted_container_shows_when(sites):
    a, b = sites.url_style(2)
    client(a)
    assert client(a, 'DELETE').status_int == 204
    answer = sent(signed(a, b, 'HEAD'))
    assert answer.status == 404
    assert answer.headers['x-autosync-delete-timestamp'] == \
        b.swift.delete_timestamps[CONTAINER]
    assert Timestamp(answer.headers['x-autosync-delete-timestamp']) > 0


def test_client_head_does_not_show_the_container_state(sites):
    a, b = sites.url_style(2)
    client(a)
    resp = client(a, 'HEAD')
    assert resp.status_int == 204
    for name in ('X-Autosync-Put-Timestamp', 'X-Autosync-Delete-Timestamp',
                 'X-Autosync-Placement-Version', 'X-Autosync-Changed-At'):
        assert name not in resp.headers


# -- a signed GET lists --

def test_signed_get_lists_the_container(sites):
    a, b = sites.url_style(2)
    client(a)
    b.swift.listings[CONTAINER] = LISTING
    answer = sent(signed(a, b, 'GET', 'format=json'), whole_body=True)
    assert answer.status == 200
    assert json.loads(answer.body) == LISTING
    assert served_gets(b)[-1][3]['swift_owner'] is True


def test_signed_get_is_not_fanned_out(sites):
    a, b, c = sites.url_style(3)
    client(a)
    received = len(c.received)
    sent(signed(a, b, 'GET', 'format=json'), whole_body=True)
    assert len(c.received) == received
    assert a.swift.calls_for('GET') == []


def test_unsigned_get_is_not_served_as_owner(sites):
    a, b = sites.url_style(2)
    client(a)
    b.swift.listings[CONTAINER] = LISTING
    request = PeerRequest(parse_site(b.url), 'GET', b.url + CONTAINER, {
        ORIG_CLUSTER_HEADER: a.url, 'Content-Length': '0'})
    answer = sent(request, whole_body=True)
    assert answer.status == 403
    assert b'o1' not in answer.body
    env = served_gets(b)[-1][3]
    assert 'swift_owner' not in env
    assert 'swift.authorize_override' not in env


def test_forged_get_is_refused_before_swift_sees_it(sites):
    a, b = sites.url_style(2)
    client(a)
    b.swift.listings[CONTAINER] = LISTING
    request = signed(a, b, 'GET')
    timestamp, nonce, _ = request.headers[AUTH_HEADER].split()
    request.headers[AUTH_HEADER] = '%s %s %s' % (timestamp, nonce, '0' * 64)
    answer = sent(request, whole_body=True)
    assert answer.status == 401
    assert b'o1' not in answer.body
    assert served_gets(b) == []
    assert b.logger.counters['auth.invalid'] == 1


def test_replayed_signed_get_is_refused(sites):
    a, b = sites.url_style(2)
    client(a)
    request = signed(a, b, 'GET')
    assert sent(request).status == 200
    assert sent(request).status == 401
    assert len(served_gets(b)) == 1
