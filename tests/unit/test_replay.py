"""Each signed request is accepted once (replay.py), also when memcached
restarts, is flushed or is down."""

import time

import pytest
from swift.common.memcached import MemcacheConnectionError
from swift.common.swob import Request

from autosync.placement import parse_site
from autosync.replay import (
    BEGAN_KEY,
    IN_FLIGHT,
    KEY_PREFIX,
    LedgerUnavailable,
    NonceLedger,
)
from autosync.signing import sign, signed_fields

from helpers import CONTAINER, KEY, A, B, denied_authorize, make_filter

TTL = 120
# A site whose memcached has been running for a while.
UP_SINCE = time.time() - 3600


def now() -> int:
    return int(time.time())


class FakeMemcacheRing(object):
    """What the ledger uses of Swift's MemcacheRing, over ``servers``
    memcached servers: a key (or a server_key) names its server."""

    def __init__(self, servers=1, up_since=UP_SINCE):
        self.servers = [{} for _ in range(servers)]
        self.down = False
        self.incr_times = []
        for server in self.servers:
            if up_since is not None:
                server[BEGAN_KEY] = up_since

    def server_of(self, key):
        return self.servers[sum(map(ord, key)) % len(self.servers)]

    def restart(self, server=None):
        """The server holding ``server`` (a key), or every one, forgets
        everything: as memcached restarted or flushed."""
        for each in self.servers:
            if server is None or each is self.server_of(server):
                each.clear()

    def incr(self, key, delta=1, time=0):
        if self.down:
            raise MemcacheConnectionError('no server')
        self.incr_times.append(time)
        server = self.server_of(key)
        server[key] = server.get(key, 0) + delta
        return server[key]

    def get_multi(self, keys, server_key):
        if self.down:
            return None  # as MemcacheRing: no server answered
        server = self.server_of(server_key)
        return [server.get(key) for key in keys]

    def set_multi(self, mapping, server_key, time=0):
        if not self.down:
            self.server_of(server_key).update(mapping)


class GetMultiFails(FakeMemcacheRing):
    """The incr worked, then memcached stopped answering."""

    def get_multi(self, keys, server_key):
        return None


def unavailable(ledger, nonce, signed_at, memcache=None) -> str:
    with pytest.raises(LedgerUnavailable) as caught:
        ledger.first_use(nonce, signed_at, memcache)
    return caught.value.reason


# -- in this process --

def test_nonce_is_accepted_once_locally():
    ledger = NonceLedger(TTL)
    assert ledger.first_use('n1', now())
    assert not ledger.first_use('n1', now())


def test_other_nonces_are_still_accepted():
    ledger = NonceLedger(TTL)
    ledger.first_use('n1', now())
    assert ledger.first_use('n2', now())


def test_local_ledger_forgets_nonces_after_ttl():
    ledger = NonceLedger(0)
    ledger.first_use('n1', now())
    assert ledger.first_use('n1', now())


def test_local_ledger_is_bounded():
    ledger = NonceLedger(TTL, max_local=2)
    for nonce in ('n1', 'n2', 'n3'):
        ledger.first_use(nonce, now())
    assert len(ledger._local) <= 2


def test_without_memcache_a_signature_older_than_the_process_is_refused():
    ledger = NonceLedger(TTL)
    signed_at = int(ledger.local_began) - IN_FLIGHT - 2
    assert unavailable(ledger, 'n1', signed_at) == 'as:before-ledger'


def test_without_memcache_a_request_in_flight_at_start_is_accepted():
    ledger = NonceLedger(TTL)
    assert ledger.first_use('n1', int(ledger.local_began) - 1)


# -- in memcache, shared by the proxies of the site --

def test_nonce_is_accepted_once_in_memcache():
    memcache = FakeMemcacheRing()
    ledger = NonceLedger(TTL)
    assert ledger.first_use('n1', now(), memcache)
    assert not ledger.first_use('n1', now(), memcache)
    assert memcache.servers[0][KEY_PREFIX + 'n1'] == 1


def test_memcache_remembers_nonce_for_the_ledger_ttl():
    memcache = FakeMemcacheRing()
    NonceLedger(TTL).first_use('n1', now(), memcache)
    assert memcache.incr_times[0] >= TTL


def test_nonce_seen_by_another_proxy_is_refused():
    memcache = FakeMemcacheRing()
    NonceLedger(TTL).first_use('n1', now(), memcache)
    assert not NonceLedger(TTL).first_use('n1', now(), memcache)


def test_ledger_records_when_it_began_when_memcache_has_no_record():
    memcache = FakeMemcacheRing(up_since=None)
    before = time.time()
    NonceLedger(TTL).first_use('n1', now(), memcache)
    assert memcache.servers[0][BEGAN_KEY] >= before


def test_a_recorded_beginning_is_kept():
    memcache = FakeMemcacheRing()
    NonceLedger(TTL).first_use('n1', now(), memcache)
    assert memcache.servers[0][BEGAN_KEY] == UP_SINCE


def test_a_beginning_memcache_cannot_read_is_begun_again():
    memcache = FakeMemcacheRing()
    memcache.servers[0][BEGAN_KEY] = 'garbage'
    signed_at = now() - IN_FLIGHT - 5
    assert unavailable(NonceLedger(TTL), 'n1', signed_at, memcache) == \
        'as:before-ledger'


# -- memcached forgot (restarted, flushed) --

def test_replay_at_another_proxy_after_memcached_restart_is_refused():
    memcache = FakeMemcacheRing()
    signed_at = now() - IN_FLIGHT - 5
    assert NonceLedger(TTL).first_use('n1', signed_at, memcache)
    memcache.restart()
    assert unavailable(NonceLedger(TTL), 'n1', signed_at, memcache) == \
        'as:before-ledger'


def test_replay_stays_refused_once_the_ledger_began_again():
    memcache = FakeMemcacheRing()
    signed_at = now() - IN_FLIGHT - 5
    NonceLedger(TTL).first_use('n1', signed_at, memcache)
    memcache.restart()
    NonceLedger(TTL).first_use('n2', now(), memcache)  # begins it again
    assert unavailable(NonceLedger(TTL), 'n1', signed_at, memcache) == \
        'as:before-ledger'


def test_replay_to_the_same_proxy_after_restart_is_a_replay():
    memcache = FakeMemcacheRing()
    ledger = NonceLedger(TTL)
    signed_at = now() - IN_FLIGHT - 5
    ledger.first_use('n1', signed_at, memcache)
    memcache.restart()
    assert not ledger.first_use('n1', signed_at, memcache)


def test_request_signed_after_the_restart_is_accepted():
    memcache = FakeMemcacheRing()
    memcache.restart()
    assert NonceLedger(TTL).first_use('n1', now(), memcache)


def test_request_in_flight_when_the_ledger_begins_is_accepted():
    memcache = FakeMemcacheRing(up_since=None)
    assert NonceLedger(TTL).first_use('n1', now() - 1, memcache)


def test_each_memcached_server_has_its_own_beginning():
    memcache = FakeMemcacheRing(servers=2)
    signed_at = now() - IN_FLIGHT - 5
    NonceLedger(TTL).first_use('n1', signed_at, memcache)
    memcache.restart(server=KEY_PREFIX + 'n1')
    # The other server, which was not restarted, still has its record.
    assert any(BEGAN_KEY in server for server in memcache.servers)
    assert unavailable(NonceLedger(TTL), 'n1', signed_at, memcache) == \
        'as:before-ledger'


# -- memcached down --

def test_memcached_down_refuses_a_new_nonce_for_now():
    memcache = FakeMemcacheRing()
    memcache.down = True
    assert unavailable(NonceLedger(TTL), 'n1', now(), memcache) == \
        'as:ledger-down'


def test_memcached_down_does_not_fall_back_to_this_process():
    memcache = FakeMemcacheRing()
    ledger = NonceLedger(TTL)
    memcache.down = True
    unavailable(ledger, 'n1', now(), memcache)
    memcache.down = False
    # Nothing was accepted while it was down: another proxy takes it.
    assert NonceLedger(TTL).first_use('n1', now(), memcache)


def test_memcached_down_after_the_incr_refuses_for_now():
    assert unavailable(NonceLedger(TTL), 'n1', now(), GetMultiFails()) == \
        'as:ledger-down'


def test_nonce_seen_here_is_a_replay_while_memcached_is_down():
    memcache = FakeMemcacheRing()
    ledger = NonceLedger(TTL)
    ledger.first_use('n1', now(), memcache)
    memcache.down = True
    assert not ledger.first_use('n1', now(), memcache)


# -- what the other site hears --

def site_b(swift):
    return make_filter(swift, autosync_my_cluster=B,
                       autosync_placement='%s, %s' % (A, B),
                       override_auth='true', autosync_key=KEY)


def signed_put(memcache, signed_at=None):
    headers = {'X-Orig-Cluster': A}
    headers['X-Autosync-Auth'] = sign(KEY, signed_fields(
        'PUT', CONTAINER, '', A, parse_site(B).ident, headers),
        now=signed_at)
    return Request.blank(CONTAINER, headers=headers, environ={
        'REQUEST_METHOD': 'PUT', 'swift.authorize': denied_authorize,
        'swift.cache': memcache})


def assert_not_accepted_now(filt, swift, req, log_code):
    resp = req.get_response(filt)
    assert resp.status_int == 503
    assert resp.body.startswith(
        b'autosync: request from another site not accepted now: ')
    assert swift.calls == []
    assert 'swift_owner' not in req.environ
    assert 'swift.authorize_override' not in req.environ
    assert log_code in req.environ['swift.log_info']
    assert filt.logger.counters['auth.unavailable'] == 1
    assert filt.logger.counters['auth.invalid'] == 0
    assert filt.logger.counters['auth.valid'] == 0
    return resp


def test_request_while_memcached_is_down_is_503_naming_memcached(swift):
    memcache = FakeMemcacheRing()
    memcache.down = True
    filt = site_b(swift)
    resp = assert_not_accepted_now(filt, swift, signed_put(memcache),
                                   'as:ledger-down')
    assert b'memcached' in resp.body
    assert any('cannot accept PUT' in line
               for line in filt.logger.lines['warning'])


def test_replay_after_memcached_restart_is_503_and_applies_nothing(swift):
    memcache = FakeMemcacheRing()
    req = signed_put(memcache, signed_at=time.time() - IN_FLIGHT - 5)
    again = Request.blank(CONTAINER, headers=dict(req.headers),
                          environ=dict(req.environ))
    assert req.get_response(site_b(swift)).status_int == 201
    memcache.restart()
    swift.calls.clear()
    resp = assert_not_accepted_now(site_b(swift), swift, again,
                                   'as:before-ledger')
    assert b'before this site began recording' in resp.body


def test_replay_while_memcache_remembers_it_is_still_401(swift):
    memcache = FakeMemcacheRing()
    req = signed_put(memcache)
    again = Request.blank(CONTAINER, headers=dict(req.headers),
                          environ=dict(req.environ))
    assert req.get_response(site_b(swift)).status_int == 201
    other_proxy = site_b(swift)
    assert again.get_response(other_proxy).status_int == 401
    assert 'as:replay' in again.environ['swift.log_info']
    assert other_proxy.logger.counters['auth.invalid'] == 1
