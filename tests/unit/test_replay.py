"""Each signed request is accepted once (replay.py)."""

import collections

from swift.common.memcached import MemcacheConnectionError

from autosync.replay import KEY_PREFIX, NonceLedger


class CountingMemcache(object):
    """incr as memcache does it: the new value, starting from 0."""

    def __init__(self):
        self.values = collections.Counter()
        self.times = []

    def incr(self, key, delta=1, time=0):
        self.values[key] += delta
        self.times.append(time)
        return self.values[key]


class BrokenMemcache(object):
    def incr(self, key, delta=1, time=0):
        raise MemcacheConnectionError('no server')


def test_nonce_is_accepted_once_locally():
    ledger = NonceLedger(60)
    assert ledger.first_use('n1')
    assert not ledger.first_use('n1')


def test_other_nonces_are_still_accepted():
    ledger = NonceLedger(60)
    ledger.first_use('n1')
    assert ledger.first_use('n2')


def test_nonce_is_accepted_once_in_memcache():
    memcache = CountingMemcache()
    ledger = NonceLedger(60)
    assert ledger.first_use('n1', memcache)
    assert not ledger.first_use('n1', memcache)
    assert memcache.values == {KEY_PREFIX + 'n1': 2}


def test_memcache_remembers_nonce_for_the_ledger_ttl():
    memcache = CountingMemcache()
    NonceLedger(120).first_use('n1', memcache)
    assert memcache.times[0] >= 120


def test_nonce_seen_by_another_proxy_is_refused():
    memcache = CountingMemcache()
    NonceLedger(60).first_use('n1', memcache)
    assert not NonceLedger(60).first_use('n1', memcache)


def test_memcache_error_falls_back_to_local_ledger():
    ledger = NonceLedger(60)
    assert ledger.first_use('n1', BrokenMemcache())
    assert not ledger.first_use('n1', BrokenMemcache())
    assert not ledger.first_use('n1')


def test_local_ledger_forgets_nonces_after_ttl():
    ledger = NonceLedger(0)
    ledger.first_use('n1')
    assert ledger.first_use('n1')


def test_local_ledger_is_bounded():
    ledger = NonceLedger(60, max_local=2)
    for nonce in ('n1', 'n2', 'n3'):
        ledger.first_use(nonce)
    assert len(ledger._local) <= 2
