"""Send one request to each peer site, all at once, and collect answers.

Each peer gets its own green thread (as the proxy does for storage nodes):
the client waits for the slowest site, not for the sum. ``conn_timeout``
bounds the connect, ``node_timeout`` the wait for the response. Nothing
here raises: a site that does not answer yields a ``SiteAnswer`` whose
status is None and whose detail says what happened.
"""

from dataclasses import dataclass
from typing import Dict, List, Sequence
from urllib.parse import urlsplit

from eventlet import GreenPile
from swift.common.bufferedhttp import http_connect_raw
from swift.common.exceptions import ConnectionTimeout
from swift.common.utils import Timeout

from autosync.placement import Site
from autosync.verdict import SiteAnswer

# Enough of an error body to tell the client what the peer said.
MAX_DETAIL_BYTES = 512


@dataclass(frozen=True)
class PeerRequest:
    site: Site
    method: str
    url: str  # scheme://host:port/quoted/path[?query]
    headers: Dict[str, str]


def send(request: PeerRequest, conn_timeout: float, node_timeout: float,
         logger, whole_body: bool = False) -> SiteAnswer:
    """One request to one peer; never raises. The answer holds the
    whole body only if asked (``whole_body``)."""
    conn = None
    try:
        parsed = urlsplit(request.url)
        path = parsed.path + ('?' + parsed.query if parsed.query else '')
        host = parsed.hostname or ''
        if ':' in host:
            host = '[%s]' % host
        with ConnectionTimeout(conn_timeout):
            conn = http_connect_raw(host, parsed.port, request.method, path,
                                    headers=request.headers,
                                    ssl=parsed.scheme == 'https')
        with Timeout(node_timeout):
            resp = conn.getresponse()
            body = resp.read() if whole_body else resp.read(
                MAX_DETAIL_BYTES)
    except ConnectionTimeout:
        return _no_answer(request, logger, 'peer.timeout',
                          'connect timeout after %ss' % conn_timeout)
    except Timeout:
        return _no_answer(request, logger, 'peer.timeout',
                          'no answer within %ss' % node_timeout)
    except ConnectionRefusedError:
        return _no_answer(request, logger, 'peer.errors',
                          'connection refused')
    except Exception as err:
        return _no_answer(request, logger, 'peer.errors', 'error: %s' % err)
    finally:
        if conn is not None:
            conn.close()
    return SiteAnswer(request.site.name, resp.status,
                      _detail(resp.reason, body[:MAX_DETAIL_BYTES]),
                      {k.lower(): v for k, v in resp.getheaders()},
                      body if whole_body else b'')


def _no_answer(request: PeerRequest, logger, metric: str,
               detail: str) -> SiteAnswer:
    logger.increment(metric)
    logger.warning('autosync: %s %s: %s', request.method, request.url,
                   detail)
    return SiteAnswer(request.site.name, None, detail)


def _detail(reason: str, body: bytes) -> str:
    text = body.decode('utf-8', 'replace').strip()
    text = ' '.join(text.split())  # one line, whatever the peer sent
    # Swift's own error pages are HTML; the reason phrase says it better.
    if not text or text.startswith('<'):
        return reason or ''
    return '%s: %s' % (reason, text) if reason else text


def fan_out(requests: Sequence[PeerRequest], conn_timeout: float,
            node_timeout: float, logger) -> List[SiteAnswer]:
    """Send every request in parallel; answers come back in input order."""
    if not requests:
        return []
    pile = GreenPile(len(requests))
    for request in requests:
        pile.spawn(send, request, conn_timeout, node_timeout, logger)
    return list(pile)
