"""Signatures on requests between sites.

A peer request carries ``X-Orig-Cluster: <site>`` and
``X-Autosync-Auth: <timestamp> <nonce> <signature>``, where the signature
is the HMAC-SHA256, under the shared key, of the compact JSON list::

    [METHOD, PATH, QUERY, ORIG-CLUSTER, DESTINATION, TIMESTAMP, NONCE,
     [[NAME, VALUE], ...]]

DESTINATION is the ident of the site the request is sent to (``Site.ident``,
so spelling does not matter): a request signed for one site does not
verify at another, whose nonce ledger never saw it. The NAME/VALUE pairs
are every request header that changes a container or an account
(``STATE_HEADER_PREFIXES``): metadata, ACLs, container-sync, versioning,
storage policy, autosync's own headers (the reseller flag, which says the
origin's auth granted the client reseller rights, among them). A peer
applies them as the owner, so none may be added, dropped or changed in
flight. Names are lower-cased and sorted; values are as sent, less the
blanks around them that HTTP does not carry. The receiver accepts either
of its two keys (so operators can rotate) and a timestamp within its
window; replays inside the window are caught by the nonce (see
``replay.py``). ``autosync verify`` has a site sign a challenge back
(``prove``, ``check_proof``): a key that differs either way shows.
No I/O here.
"""

import hashlib
import hmac
import json
import re
import secrets
import time
from dataclasses import dataclass
from typing import Optional, Sequence, Tuple

from autosync.protocol import AUTH_HEADER, ORIG_CLUSTER_HEADER

# Request headers that change a container or an account, signed with the
# request. Of the filters before autosync in a proxy (see
# etc/proxy-server.conf-sample), only the gatekeeper touches them: it
# strips sysmeta, which autosync never sends to a peer; so a signed
# sysmeta header fails closed.
STATE_HEADER_PREFIXES = ('x-container-', 'x-account-', 'x-remove-',
                         'x-versions-', 'x-history-', 'x-storage-policy',
                         'x-autosync-')
STATE_HEADER_NAMES = (ORIG_CLUSTER_HEADER.lower(),)
UNSIGNED_HEADER = AUTH_HEADER.lower()  # the signature itself
# HTTP carries no blanks around a header value.
VALUE_BLANKS = ' \t'

NONCE_BYTES = 16
# '%d' of time.time() has 10 digits until the year 2286.
MAX_TIMESTAMP_DIGITS = 12
TIMESTAMP_SHAPE = re.compile('[0-9]{1,%d}' % MAX_TIMESTAMP_DIGITS)
NONCE_SHAPE = re.compile('[0-9a-f]{%d}' % (2 * NONCE_BYTES))
SIGNATURE_SHAPE = re.compile(
    '[0-9a-f]{%d}' % (2 * hashlib.sha256().digest_size))


@dataclass(frozen=True)
class Verified:
    """What a signature that verifies tells: its nonce, and when it was
    made (whole seconds, by the sender's clock)."""
    nonce: str
    signed_at: int


@dataclass(frozen=True)
class SignedFields:
    method: str
    path: str
    query: str
    orig_cluster: str
    destination: str = ''
    # (lower-cased name, value) of each state header, sorted.
    headers: Tuple[Tuple[str, str], ...] = ()


def signed_fields(method: str, path: str, query: str, orig_cluster: str,
                  destination: str, headers) -> SignedFields:
    """The fields of a request to ``destination`` (a ``Site.ident``),
    its state headers read from ``headers``: the one mapping both the
    sender and the receiver use."""
    return SignedFields(method, path, query, orig_cluster, destination,
                        state_headers(headers))


def state_headers(headers) -> Tuple[Tuple[str, str], ...]:
    """The headers of ``headers`` that change a container or account, as
    the receiving site will see them."""
    found = []
    for name, value in headers.items():
        lower = name.lower()
        if lower == UNSIGNED_HEADER:
            continue
        if lower.startswith(STATE_HEADER_PREFIXES) or \
                lower in STATE_HEADER_NAMES:
            found.append((lower, str(value).strip(VALUE_BLANKS)))
    return tuple(sorted(found))


class SignatureError(Exception):
    """Why a peer request was refused; ``reason`` is a short log code."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


def _digest(key: str, fields: SignedFields, timestamp: str,
            nonce: str) -> str:
    # JSON, so that no value can pass for a field boundary.
    message = json.dumps([
        fields.method, fields.path, fields.query, fields.orig_cluster,
        fields.destination, timestamp, nonce, fields.headers],
        separators=(',', ':'))
    return hmac.new(key.encode('utf-8'), message.encode('ascii'),
                    hashlib.sha256).hexdigest()


def sign(key: str, fields: SignedFields, now: Optional[float] = None) -> str:
    """Return the X-Autosync-Auth value for a request."""
    timestamp = '%d' % (time.time() if now is None else now)
    nonce = secrets.token_hex(NONCE_BYTES)
    return '%s %s %s' % (timestamp, nonce, _digest(key, fields, timestamp,
                                                    nonce))


def verify(keys: Sequence[Optional[str]], fields: SignedFields,
           auth_value: Optional[str], window: float,
           now: Optional[float] = None) -> Verified:
    """Check an X-Autosync-Auth value; return its nonce and time, or
    raise SignatureError."""
    usable_keys = [k for k in keys if k]
    if not usable_keys:
        raise SignatureError('as:no-key',
                             'this site has no key for %s'
                             % fields.orig_cluster)
    timestamp, nonce, signature = _parts(auth_value)
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > window:
        raise SignatureError('as:expired',
                             'signature time is outside the %gs window '
                             '(check the clocks of both sites)' % window)
    valid = False
    for key in usable_keys:
        # Compare against every key, so timing does not tell which one
        # (or whether any) matched.
        expected = _digest(key, fields, timestamp, nonce)
        valid |= hmac.compare_digest(expected.encode('ascii'),
                                     signature.encode('ascii'))
    if not valid:
        raise SignatureError('as:bad-sig', 'signature does not verify')
    return Verified(nonce, int(timestamp))


# A proof's time: seconds with milliseconds, so that ``autosync
# verify`` can tell how far apart two clocks are.
PROOF_TIME_SHAPE = re.compile('[0-9]{1,%d}[.][0-9]{3}' % MAX_TIMESTAMP_DIGITS)


def _proof_digest(key: str, challenge: str, prover: str, verifier: str,
                  timestamp: str) -> str:
    # Its first item keeps a proof from ever passing for a request's
    # signature, whose message starts with the method.
    message = json.dumps(['verify', challenge, prover, verifier, timestamp],
                         separators=(',', ':'))
    return hmac.new(key.encode('utf-8'), message.encode('ascii'),
                    hashlib.sha256).hexdigest()


def prove(key: str, challenge: str, prover: str, verifier: str,
          now: Optional[float] = None) -> str:
    """The proof ``prover`` (a ``Site.ident``) answers ``verifier``'s
    challenge with: ``<time> <hmac>``, under the key it signs with."""
    timestamp = '%.3f' % (time.time() if now is None else now)
    return '%s %s' % (timestamp, _proof_digest(key, challenge, prover,
                                               verifier, timestamp))


def check_proof(keys: Sequence[Optional[str]], challenge: str, prover: str,
                verifier: str, value: Optional[str]) -> float:
    """The prover's time when ``value`` is its proof under one of
    ``keys``; else SignatureError."""
    parts = (value or '').split()
    if len(parts) != 2 or not PROOF_TIME_SHAPE.fullmatch(parts[0]) or \
            not SIGNATURE_SHAPE.fullmatch(parts[1]):
        raise SignatureError('as:malformed', 'a malformed proof: %r'
                             % (value,))
    timestamp, signature = parts
    valid = False
    for key in (k for k in keys if k):
        expected = _proof_digest(key, challenge, prover, verifier, timestamp)
        valid |= hmac.compare_digest(expected.encode('ascii'),
                                     signature.encode('ascii'))
    if not valid:
        raise SignatureError('as:bad-sig', 'proof does not verify')
    return float(timestamp)


def _parts(auth_value: Optional[str]) -> Tuple[str, str, str]:
    """(timestamp, nonce, signature), each of the shape ``sign`` gives,
    or SignatureError: whatever an anonymous client sends gets a 401,
    never an exception."""
    parts = (auth_value or '').split()
    if len(parts) != 3:
        raise SignatureError('as:malformed',
                             '%s must be "<timestamp> <nonce> <signature>"'
                             % AUTH_HEADER)
    for part, shape, what in zip(
            parts, (TIMESTAMP_SHAPE, NONCE_SHAPE, SIGNATURE_SHAPE),
            ('timestamp', 'nonce', 'signature')):
        if not shape.fullmatch(part):
            raise SignatureError('as:malformed', '%s has a malformed %s'
                                 % (AUTH_HEADER, what))
    timestamp, nonce, signature = parts
    return timestamp, nonce, signature
