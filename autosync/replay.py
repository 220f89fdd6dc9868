"""Catch a signed peer request that is sent a second time.

A signature is valid for its whole ``signature_window``, so whoever
records a peer request could send it again (a replayed PUT re-creates a
container deleted since). Each nonce is accepted once, for twice the
window (the longest a signature can stay valid at two sites' clocks):

* in memcache (``env['swift.cache']``, set by Swift's ``cache`` filter),
  shared by every proxy of the site: ``incr`` of the nonce's key;
* and in this process too: a nonce seen here is refused even when
  memcached has forgotten it.

memcached forgets when it is restarted or flushed. Each memcached server
holds a record of when its ledger began (set when missing, next to the
nonces it vouches for: one per server, as each server forgets on its
own). A signature made before the ledger began is refused: the ledger
cannot know whether it saw it. After a restart or a flush the record is
gone, the ledger begins again, and every request signed before is
refused, replays included. A request reaches the ledger a moment after
it is signed, so one signed less than ``IN_FLIGHT`` seconds before the
beginning (its time is in whole seconds) is taken as in flight, not as
old: the request that finds the record missing was signed before it,
and must not be refused after every restart.

memcached configured but not answering: every signed request is refused
(503) until it answers. Each proxy process knows only what it accepted
itself; a site has several, and a replay accepted at another one cannot
be undone, while a peer request refused with 503 is only late: the
sending site takes the site as down for now (``site_down``; the
reconciler carries the change) and signs anew when it tries again.
Without the ``cache`` filter at all, this process is the whole ledger:
it began when the process started.

Not caught: a replay, at another proxy, of a request accepted less than
``IN_FLIGHT`` seconds (plus how far the sender's clock is ahead) before
memcached forgot; a nonce memcached evicted (memory full) before its
time; and, with several memcache servers and ``tries`` above 1, a nonce
recorded on a server that is down, whose keys another server then takes
(Swift's MemcacheRing fails over without telling).

Nothing to configure here; ``cache`` comes before autosync::

    [pipeline:main]
    pipeline = ... cache ... tempauth autosync ... proxy-server

    [filter:cache]
    use = egg:swift#memcache
    memcache_servers = 10.0.0.1:11211, 10.0.0.2:11211

A refusal is raised as ``LedgerUnavailable`` (the site's trouble: 503)
or returned as False (a replay: the sender's, 401). No HTTP here.
"""

import collections
import time
from typing import Optional, Tuple

from swift.common.memcached import MemcacheConnectionError

KEY_PREFIX = 'autosync/nonce/'
BEGAN_KEY = 'autosync/nonce-ledger-began'
# Seconds between signing and the ledger's look that still count as one
# request in flight; a signature's time is also truncated to the second.
IN_FLIGHT = 2
WHOLE_SECOND = 1


class LedgerUnavailable(Exception):
    """The ledger cannot tell whether a nonce is new; ``reason`` is a
    short log code."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


def memcached_down() -> LedgerUnavailable:
    return LedgerUnavailable(
        'as:ledger-down', 'memcached, where this site records the signed '
        'requests it accepted, does not answer: this one cannot be '
        'checked for a replay now')


def signed_before(began: float, signed_at: int) -> LedgerUnavailable:
    return LedgerUnavailable(
        'as:before-ledger', 'signed at %d, before this site began '
        'recording the signed requests it accepts (at %d: memcached '
        'restarted or was flushed, or this proxy started without '
        'memcache), it may have been accepted already; send it newly '
        'signed' % (signed_at, began))


class NonceLedger(object):
    """Remembers nonces for ``ttl`` seconds; holds no per-request state
    (the in-process ledger aside)."""

    def __init__(self, ttl: float, max_local: int = 100000):
        self.ttl = ttl
        self.max_local = max_local
        self._local = collections.OrderedDict()
        # Swift loads the pipeline in each worker: this is its start.
        self.local_began = time.time()

    def first_use(self, nonce: str, signed_at: int, memcache=None) -> bool:
        """True the first time ``nonce`` (signed at ``signed_at``) is
        offered, False after; LedgerUnavailable when the ledger cannot
        tell."""
        if not self._first_use_locally(nonce):
            return False
        if memcache is None:
            began = self.local_began
        else:
            first, began = self._first_use_shared(nonce, memcache)
            if not first:
                return False
        if signed_at + WHOLE_SECOND + IN_FLIGHT <= began:
            raise signed_before(began, signed_at)
        return True

    def _first_use_shared(self, nonce: str, memcache) -> Tuple[bool, float]:
        """(whether memcache saw ``nonce`` first now, when the ledger of
        the memcached server that holds it began)."""
        key = KEY_PREFIX + nonce
        try:
            uses = memcache.incr(key, time=int(self.ttl) + 1)
        except MemcacheConnectionError:
            raise memcached_down() from None
        # Read after the incr: a restart between the two is then a new
        # beginning, never an old one vouching for a forgotten nonce.
        return uses == 1, self._began(memcache, key)

    @staticmethod
    def _began(memcache, key: str) -> float:
        # server_key=key: the record of the server that holds ``key``.
        found = memcache.get_multi([BEGAN_KEY], key)
        if found is None:  # no server answered
            raise memcached_down()
        began: Optional[float] = found[0]
        if isinstance(began, (int, float)):
            return began
        # Two proxies may both begin it: either time is after the loss.
        began = time.time()
        memcache.set_multi({BEGAN_KEY: began}, key)
        return began

    def _first_use_locally(self, nonce: str) -> bool:
        now = time.time()
        while self._local:
            oldest, seen_at = next(iter(self._local.items()))
            if seen_at > now - self.ttl and \
                    len(self._local) < self.max_local:
                break
            self._local.popitem(last=False)
        if nonce in self._local:
            return False
        self._local[nonce] = now
        return True
