"""Would another site's proxy take the request a change makes for it?

A client's change passed this site's limits; the request autosync sends
another site carries more: its sync target and key, the placement, the
changed-at time, the origin, a signature, a txn id, and for a site a
placement change adds, the container's metadata. A request the other
site's proxy refuses there leaves the change at this site only, so a
change whose request for any other site would not fit is refused here,
400, before it is applied anywhere. What a Swift proxy refuses:

* more than 200 header lines by default (Python's http.server answers
  431: Swift sets http.client's ``_MAXHEADERS`` to 1.6 x
  ``MAX_HEADER_COUNT``, which is ``max_meta_count`` + 36 +
  ``extra_header_count``; the blank line that ends the headers counts);
* a header line (name, value and CRLF) of ``max_header_size`` bytes or
  more, and more than 65536 bytes of headers in all (eventlet's wsgi:
  400 Header Line Too Long, 400 Headers Too Large);
* metadata that ``constraints.check_metadata`` refuses (400): the
  count, the names, the values, their overall size. A site a placement
  change adds gets the container's metadata with the client's: an item
  the client empties is gone here, yet one more item there.

The other sites are taken to have this site's limits (the same Swift,
the same ``swift.conf``), read when a change is checked; their ``/info``
is not asked (a request more per change, or a cache to keep fresh)::

    [swift-constraints]
    max_meta_count = 90
    max_meta_overall_size = 4096
    max_header_size = 8192
    extra_header_count = 0

A change the client's request here already breaks is left to Swift
here, which refuses it with its own answer. Pure: no I/O.
"""

import dataclasses
import http.client
import math
from typing import Callable, Dict, List, Optional, Tuple
from urllib.parse import urlsplit

import eventlet.wsgi
import swift.common.bufferedhttp  # noqa: F401 sets http.client's limit
import swift.common.wsgi  # noqa: F401 sets eventlet's line limit
from swift.common import constraints
from swift.common.swob import Request
from swift.common.utils import Timestamp

from autosync.plan import Change, SiteChange, site_changes
from autosync.protocol import (
    AUTH_HEADER,
    ORIG_CLUSTER_HEADER,
    TRANS_ID_EXTRA_HEADER,
)
from autosync.signing import SignedFields, sign

Lines = List[Tuple[str, str]]
# What http.client's putrequest adds to every request peers.send makes.
ACCEPT_ENCODING = ('Accept-Encoding', 'identity')
DEFAULT_PORTS = {'http': 80, 'https': 443}
CHECKED_METHODS = ('PUT', 'POST')  # the ones the proxy checks metadata of


def max_header_lines() -> int:
    # http.server refuses once the lines read, the blank one included,
    # outnumber _MAXHEADERS (a float: 201.6 by default).
    return math.floor(http.client._MAXHEADERS) - 1


def max_line_bytes() -> int:
    return eventlet.wsgi.MAX_HEADER_LINE - 1


def max_total_bytes() -> int:
    return eventlet.wsgi.MAX_TOTAL_HEADER_SIZE


def host_value(url: str) -> str:
    """The Host http.client sends for ``url``: no port when it is the
    scheme's own."""
    parsed = urlsplit(url)
    host = parsed.hostname or ''
    if ':' in host:
        host = '[%s]' % host
    if parsed.port in (None, DEFAULT_PORTS.get(parsed.scheme)):
        return host
    return '%s:%d' % (host, parsed.port)


def signature_length() -> int:
    """The length of an X-Autosync-Auth value as ``sign`` makes one."""
    return len(sign('key', SignedFields('', '', '', '')))


def wire_lines(site_change: SiteChange, origin: str, url: str,
               txn_id: Optional[str]) -> Lines:
    """The header lines the planned request for one site carries on the
    wire: its headers and what is added once it is planned, by
    ``SiteDirectory.signed_request`` (origin, length, signature),
    ``peers.send`` (the txn id in place of any client's) and http.client
    (Host, Accept-Encoding)."""
    extra = TRANS_ID_EXTRA_HEADER.lower()
    lines = [(name, str(value))
             for name, value in site_change.headers.items()
             if name.lower() != extra]
    lines += [(ORIG_CLUSTER_HEADER, origin), ('Content-Length', '0'),
              (AUTH_HEADER, 'x' * signature_length())]
    if txn_id:
        lines.append((TRANS_ID_EXTRA_HEADER, txn_id))
    return lines + [('Host', host_value(url)), ACCEPT_ENCODING]


def line_bytes(name: str, value: str) -> int:
    return len(name) + len(': ') + len(value) + len('\r\n')


def header_problem(site: str, lines: Lines) -> str:
    """Why a proxy would refuse a request with ``lines`` for its header
    count or size ('' if it would not)."""
    count, most = len(lines), max_header_lines()
    if count > most:
        return 'too many headers for %s: it would get %d, %d more than ' \
            'the %d its proxy takes; send %d fewer' % (
                site, count, count - most, most, count - most)
    for name, value in lines:
        size, longest = line_bytes(name, value), max_line_bytes()
        if size > longest:
            return 'header too long for %s: %s would be %d bytes, ' \
                'where its proxy takes %d a line' % (site, name, size,
                                                     longest)
    # The blank line that ends the headers counts too.
    total = sum(line_bytes(name, value) for name, value in lines) + 2
    if total > max_total_bytes():
        excess = total - max_total_bytes()
        return 'headers too large for %s: %d bytes, %d more than the %d ' \
            'its proxy takes; send %d bytes less' % (
                site, total, excess, max_total_bytes(), excess)
    return ''


def metadata_problem(headers, level: str) -> str:
    """What Swift's check_metadata says of ``headers`` for an account or
    container (``level``), '' if it takes them."""
    refusal = constraints.check_metadata(
        Request.blank('/', headers=dict(headers)), level)
    return refusal.body.decode('utf-8', 'replace') if refusal else ''


def as_sent(change: Change) -> Change:
    """``change`` with the times ``ClientChange.with_times_here`` reads
    once it is applied here (a container DELETE's time, a container
    PUT's put time), as long as the real ones."""
    now = Timestamp.now().internal
    if change.container and change.method == 'DELETE':
        return dataclasses.replace(change, made_at=change.made_at or now)
    if change.container and change.method == 'PUT':
        return dataclasses.replace(change, put_at=change.put_at or now)
    return change


def refusal(change: Change, forwarded: Dict[str, str],
            metadata: Dict[str, str], client_headers, url_of: Callable,
            txn_id: Optional[str]) -> str:
    """Why ``change`` is refused here: the first request it makes for
    another site (``plan.site_changes`` of the client's ``forwarded``
    headers and, for a placement change, the container's ``metadata``)
    that site would refuse for its headers. '' to go on, also when this
    site refuses the client's own request. ``url_of(site, account,
    container)`` is the URL a request goes to."""
    level = 'container' if change.container else 'account'
    if change.method in CHECKED_METHODS and \
            metadata_problem(client_headers, level):
        return ''  # Swift here refuses it, in its own words
    for site_change in site_changes(as_sent(change), forwarded, metadata):
        site = site_change.site.name
        url = url_of(site_change.site, change.account, change.container)
        why = header_problem(site, wire_lines(
            site_change, change.here.name, url, txn_id))
        if not why and site_change.method in CHECKED_METHODS:
            why = metadata_problem(site_change.headers, level)
            why = why and 'metadata would not fit at %s: %s' % (site, why)
        if why:
            return '%s; nothing was changed at any site' % why
    return ''
