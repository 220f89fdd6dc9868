"""What the filter records of a container for the reconciler, and what
it shows another site's signed reads (state.py names)."""

import json

from swift.common.utils import Timestamp

from autosync.peers import PeerRequest, send
from autosync.placement import parse_site
from autosync.protocol import AUTH_HEADER, ORIG_CLUSTER_HEADER
from autosync.state import ZERO

from helpers import (
    ACCOUNT,
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


def test_peer_holding_a_newer_change_keeps_it_and_is_taken_here(sites):
    # A change crossing a newer one (crossing.py): the newer wins at
    # both sites, whole.
    a, b = sites.url_style(2)
    client(a, headers={'X-Container-Meta-Size': 'big'})
    b.swift.store[CONTAINER][CHANGED] = FUTURE
    b.swift.store[CONTAINER]['X-Container-Meta-Colour'] = 'blue'
    del b.swift.store[CONTAINER]['X-Container-Meta-Size']
    resp = client(a, 'POST', {'X-Container-Meta-Colour': 'red'})
    assert resp.status_int == 204
    assert resp.headers['X-Autosync-Superseded'] == b.url
    for site in (a, b):
        stored = site.swift.store[CONTAINER]
        assert stored[CHANGED] == FUTURE
        assert stored['X-Container-Meta-Colour'] == 'blue'
        assert stored.get('X-Container-Meta-Size', '') == ''
    assert b.logger.counters['peer.superseded'] == 1


def test_a_superseded_put_takes_the_newer_changes_sync_key(sites):
    # Crossing PUTs each make a key; the older may land at its site
    # after the newer one's peer PUT. The sites must end with one key.
    a, b = sites.url_style(2)
    client(a)
    b.swift.store[CONTAINER][CHANGED] = FUTURE
    b.swift.store[CONTAINER]['X-Container-Sync-Key'] = 'newer-key'
    resp = client(a, 'PUT', {'X-Container-Meta-Colour': 'red'})
    assert resp.headers['X-Autosync-Superseded'] == b.url
    assert a.swift.store[CONTAINER]['X-Container-Sync-Key'] == 'newer-key'
    assert 'newer-key' not in str(resp.headers)


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


# -- the time a client last changed the account's settings --

ACCOUNT_CHANGED = 'X-Account-Sysmeta-Autosync-Changed-At'


def account_post(here, headers):
    return client_request(ACCOUNT, 'POST',
                          headers=headers).get_response(here.app)


def test_account_post_records_one_changed_at_at_every_site(sites):
    a, b = sites.url_style(2)
    before = Timestamp.now()
    assert account_post(a, {'X-Account-Meta-Colour': 'red'}).status_int \
        == 204
    recorded = {site.swift.store[ACCOUNT][ACCOUNT_CHANGED]
                for site in (a, b)}
    assert len(recorded) == 1
    assert Timestamp(recorded.pop()) >= before


def test_peer_holding_a_newer_account_change_keeps_it(sites):
    a, b = sites.url_style(2)
    b.swift.store[ACCOUNT][ACCOUNT_CHANGED] = FUTURE
    b.swift.store[ACCOUNT]['X-Account-Meta-Colour'] = 'blue'
    account_post(a, {'X-Account-Meta-Colour': 'red'})
    for site in (a, b):
        assert site.swift.store[ACCOUNT][ACCOUNT_CHANGED] == FUTURE
        assert site.swift.store[ACCOUNT]['X-Account-Meta-Colour'] == 'blue'


def test_a_bare_account_post_records_no_changed_at(sites):
    # Tools POST an account with no headers to make it exist: that must
    # not make this site's settings the newest.
    a, b = sites.url_style(2)
    account_post(a, {'X-Account-Meta-Colour': 'red'})
    first = a.swift.store[ACCOUNT][ACCOUNT_CHANGED]
    assert account_post(a, {}).status_int == 204
    assert a.swift.store[ACCOUNT][ACCOUNT_CHANGED] == first
    assert b.swift.store[ACCOUNT][ACCOUNT_CHANGED] == first


# -- a signed GET of an account lists its containers --

CONTAINERS = [{'name': name, 'count': 0, 'bytes': 0,
               'last_modified': '2026-01-02T03:04:05.000000'}
              for name in ('c1', 'c2', 'c3')]


def signed_account(here, there, method='GET', query='format=json'):
    """A listing of ``there``'s account, signed as ``here`` signs them."""
    my_cluster = here.app.cfg.my_cluster
    return here.app.sites.signed_request(
        my_cluster, parse_site(there.url), method, 'AUTH_test', None,
        {ORIG_CLUSTER_HEADER: my_cluster.name, 'Content-Length': '0'},
        query)


def served_account_gets(site):
    return site.swift.calls_for('GET', ACCOUNT)


def test_signed_account_get_lists_the_containers_as_the_owner(sites):
    a, b = sites.url_style(2)
    b.swift.listings[ACCOUNT] = CONTAINERS
    answer = sent(signed_account(a, b), whole_body=True)
    assert answer.status == 200
    assert json.loads(answer.body) == CONTAINERS
    env = served_account_gets(b)[-1][3]
    assert env['swift_owner'] is True
    assert b.logger.counters['auth.valid'] == 1


def test_signed_account_get_pages_from_its_marker(sites):
    """Reads are signed without their query: the listing's marker and
    limit still reach Swift."""
    a, b = sites.url_style(2)
    b.swift.listings[ACCOUNT] = CONTAINERS
    answer = sent(signed_account(a, b, query='format=json&limit=1&'
                                             'marker=c1'), whole_body=True)
    assert answer.status == 200
    assert [entry['name'] for entry in json.loads(answer.body)] == ['c2']


def test_signed_account_get_is_not_fanned_out(sites):
    a, b, c = sites.url_style(3)
    received = (len(a.received), len(c.received))
    assert sent(signed_account(a, b), whole_body=True).status == 200
    assert (len(a.received), len(c.received)) == received
    assert a.swift.calls_for('GET') == []
    assert c.swift.calls_for('GET') == []
    assert [call[0] for call in b.swift.calls if call[1] == ACCOUNT] == \
        ['GET']


def test_unsigned_account_get_is_not_served_as_owner(sites):
    a, b = sites.url_style(2)
    b.swift.listings[ACCOUNT] = CONTAINERS
    request = PeerRequest(parse_site(b.url), 'GET',
                          b.url + ACCOUNT + '?format=json', {
                              ORIG_CLUSTER_HEADER: a.url,
                              'Content-Length': '0'})
    answer = sent(request, whole_body=True)
    assert answer.status == 403
    assert b'c1' not in answer.body
    env = served_account_gets(b)[-1][3]
    assert 'swift_owner' not in env
    assert 'swift.authorize_override' not in env


def test_forged_account_get_is_refused_before_swift_sees_it(sites):
    a, b = sites.url_style(2)
    b.swift.listings[ACCOUNT] = CONTAINERS
    request = signed_account(a, b)
    timestamp, nonce, _ = request.headers[AUTH_HEADER].split()
    request.headers[AUTH_HEADER] = '%s %s %s' % (timestamp, nonce, '0' * 64)
    answer = sent(request, whole_body=True)
    assert answer.status == 401
    assert b'c1' not in answer.body
    assert served_account_gets(b) == []
    assert b.logger.counters['auth.invalid'] == 1


def test_account_get_signed_for_another_site_is_refused(sites):
    a, b, c = sites.url_style(3)
    b.swift.listings[ACCOUNT] = CONTAINERS
    request = signed_account(a, c)
    answer = sent(PeerRequest(parse_site(b.url), 'GET', request.url.replace(
        c.url, b.url), request.headers), whole_body=True)
    assert answer.status == 401
    assert served_account_gets(b) == []


def test_replayed_signed_account_get_is_refused(sites):
    a, b = sites.url_style(2)
    request = signed_account(a, b)
    assert sent(request).status == 200
    assert sent(request).status == 401
    assert len(served_account_gets(b)) == 1
