"""Signatures on requests between sites.

A peer request carries ``X-Orig-Cluster: <site>`` and
``X-Autosync-Auth: <timestamp> <nonce> <signature>``, where the signature
is the HMAC-SHA256, under the shared key, of::

    METHOD \\n PATH \\n QUERY \\n ORIG-CLUSTER \\n TIMESTAMP \\n NONCE
    \\n X-CONTAINER-SYNC-TO \\n X-CONTAINER-SYNC-KEY
    \\n X-AUTOSYNC-RESELLER-REQUEST \\n X-AUTOSYNC-SET-PLACEMENT
    \\n X-AUTOSYNC-CHANGED-AT

The sync headers are signed too: whoever could change them in flight could
point a container's objects at a cluster of their choosing. So is the
reseller flag, which says the origin's auth granted the client reseller
rights (account quotas, for one, need them at every site). The receiver
accepts either of its two keys (so operators can rotate) and a timestamp
within its window; replays inside the window are caught by the nonce
(see ``replay.py``). No I/O here.
"""

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Optional, Sequence

AUTH_HEADER = 'X-Autosync-Auth'
ORIG_CLUSTER_HEADER = 'X-Orig-Cluster'
RESELLER_HEADER = 'X-Autosync-Reseller-Request'
SET_PLACEMENT_HEADER = 'X-Autosync-Set-Placement'
# When the client changed the container's metadata, at the site it
# changed it; every site records the same value, the newest write wins.
CHANGED_AT_HEADER = 'X-Autosync-Changed-At'
# Headers signed with a request, in SignedFields' order after orig_cluster.
SYNC_TO = 'X-Container-Sync-To'
SYNC_KEY = 'X-Container-Sync-Key'
SIGNED_HEADERS = (SYNC_TO, SYNC_KEY, RESELLER_HEADER, SET_PLACEMENT_HEADER,
                  CHANGED_AT_HEADER)

NONCE_BYTES = 16


@dataclass(frozen=True)
class SignedFields:
    method: str
    path: str
    query: str
    orig_cluster: str
    sync_to: str = ''
    sync_key: str = ''
    reseller: str = ''
    placement: str = ''
    changed_at: str = ''


def signed_fields(method: str, path: str, query: str, orig_cluster: str,
                  headers) -> SignedFields:
    """The fields of a request, its signed headers read from
    ``headers``: the one mapping both the sender and the receiver use."""
    return SignedFields(method, path, query, orig_cluster,
                        *(headers.get(name, '') for name in SIGNED_HEADERS))


class SignatureError(Exception):
    """Why a peer request was refused; ``reason`` is a short log code."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


def _digest(key: str, fields: SignedFields, timestamp: str,
            nonce: str) -> str:
    message = '\n'.join((
        fields.method, fields.path, fields.query, fields.orig_cluster,
        timestamp, nonce, fields.sync_to, fields.sync_key, fields.reseller,
        fields.placement, fields.changed_at))
    return hmac.new(key.encode('utf-8'), message.encode('utf-8'),
                    hashlib.sha256).hexdigest()


def sign(key: str, fields: SignedFields, now: Optional[float] = None) -> str:
    """Return the X-Autosync-Auth value for a request."""
    timestamp = '%d' % (time.time() if now is None else now)
    nonce = secrets.token_hex(NONCE_BYTES)
    return '%s %s %s' % (timestamp, nonce, _digest(key, fields, timestamp,
                                                    nonce))


def verify(keys: Sequence[Optional[str]], fields: SignedFields,
           auth_value: Optional[str], window: float,
           now: Optional[float] = None) -> str:
    """Check an X-Autosync-Auth value; return its nonce or raise
    SignatureError."""
    usable_keys = [k for k in keys if k]
    if not usable_keys:
        raise SignatureError('as:no-key',
                             'this site has no key for %s'
                             % fields.orig_cluster)
    parts = (auth_value or '').split()
    if len(parts) != 3:
        raise SignatureError('as:malformed',
                             '%s must be "<timestamp> <nonce> <signature>"'
                             % AUTH_HEADER)
    timestamp, nonce, signature = parts
    try:
        signed_at = int(timestamp)
    except ValueError:
        raise SignatureError('as:malformed',
                             '%s has a bad timestamp' % AUTH_HEADER) from None
    now = time.time() if now is None else now
    if abs(now - signed_at) > window:
        raise SignatureError('as:expired',
                             'signature time is outside the %gs window '
                             '(check the clocks of both sites)' % window)
    valid = False
    for key in usable_keys:
        # Compare against every key, so timing does not tell which one
        # (or whether any) matched.
        expected = _digest(key, fields, timestamp, nonce)
        valid |= hmac.compare_digest(expected, signature)
    if not valid:
        raise SignatureError('as:bad-sig', 'signature does not verify')
    return nonce
