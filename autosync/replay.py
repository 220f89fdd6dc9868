"""Catch a signed peer request that is sent a second time.

A signature is valid for its whole time window, so whoever records a peer
request could send it again (e.g. replay a DELETE). Each nonce is accepted
once: in memcache (``env['swift.cache']``, set by Swift's ``cache``
filter) so every proxy of the cluster sees it, else in this process only.
"""

import collections
import time

from swift.common.memcached import MemcacheConnectionError

KEY_PREFIX = 'autosync/nonce/'


class NonceLedger(object):
    """Remembers nonces for ``ttl`` seconds; holds no per-request state."""

    def __init__(self, ttl: float, max_local: int = 100000):
        self.ttl = ttl
        self.max_local = max_local
        self._local = collections.OrderedDict()

    def first_use(self, nonce: str, memcache=None) -> bool:
        """True the first time ``nonce`` is offered, False after."""
        if memcache is not None:
            try:
                return memcache.incr(KEY_PREFIX + nonce,
                                     time=int(self.ttl) + 1) == 1
            except MemcacheConnectionError:
                pass  # fall back to what this process has seen
        return self._first_use_locally(nonce)

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
