"""Send one request to each peer site, all at once, and collect answers.

Each peer gets its own green thread (as the proxy does for storage nodes):
the client waits for the slowest site, not for the sum. ``conn_timeout``
bounds the connect, ``node_timeout`` the wait for the response. Nothing
here raises: a site that does not answer yields a ``SiteAnswer`` whose
status is None and whose detail says what happened. A site the error
limiter limits (``error_limiting.py``) is not sent its request; every
answer of a site that was is counted by it.

Every green thread keeps the logger's transaction context (as the
proxy's ``_make_request`` does), so what it logs carries the client
request's txn id; and every request carries that txn id in
``X-Trans-Id-Extra``, which the peer's catch_errors appends (its first
32 characters) to the txn id it makes: one change can be followed from
this site's proxy log to every other site's.
"""

from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence
from urllib.parse import urlsplit

from eventlet import GreenPile
from swift.common.bufferedhttp import http_connect_raw
from swift.common.exceptions import ConnectionTimeout
from swift.common.utils import Timeout

from autosync.error_limiting import SiteErrorLimiter
from autosync.placement import Site
from autosync.protocol import TRANS_ID_EXTRA_HEADER
from autosync.verdict import SiteAnswer

# Enough of an error body to tell the client what the peer said.
MAX_DETAIL_BYTES = 512
# What a streamed body is read by: the proxy's default
# client_chunk_size.
READ_CHUNK_BYTES = 65536


@dataclass(frozen=True)
class PeerRequest:
    site: Site
    method: str
    url: str  # scheme://host:port/quoted/path[?query]
    headers: Dict[str, str]


def send(request: PeerRequest, conn_timeout: float, node_timeout: float,
         logger, whole_body: bool = False) -> SiteAnswer:
    """One request to one peer; never raises. The answer holds the
    whole body only if asked (``whole_body``). The request carries the
    logger's txn id, if it has one, in X-Trans-Id-Extra."""
    conn = None
    try:
        conn, resp = _connect(request, conn_timeout, node_timeout, logger)
        with Timeout(node_timeout):
            body = resp.read() if whole_body else resp.read(
                MAX_DETAIL_BYTES)
    except (Exception, Timeout) as err:
        return _failed(request, logger, err, conn_timeout, node_timeout)
    finally:
        if conn is not None:
            conn.close()
    return SiteAnswer(request.site.name, resp.status,
                      _detail(resp.reason, body[:MAX_DETAIL_BYTES]),
                      _lower(resp.getheaders()),
                      body if whole_body else b'')


class StreamedBody(object):
    """A peer's response body, read ``READ_CHUNK_BYTES`` at a time, each
    read bounded by ``node_timeout`` as the proxy bounds each read from
    an object server. The connection is closed once the body is read,
    or by ``close()`` (a WSGI server calls it; so must a caller that
    does not read it). A peer that stops sending ends the body short
    (the client sees fewer bytes than Content-Length), logged."""

    def __init__(self, request: PeerRequest, conn, resp,
                 node_timeout: float, logger):
        self.request = request
        self.conn = conn
        self.resp = resp
        self.node_timeout = node_timeout
        self.logger = logger

    @property
    def headers(self):
        """The peer's response headers as it sent them: (name, value)
        pairs."""
        return self.resp.getheaders()

    def __iter__(self):
        try:
            while True:
                with Timeout(self.node_timeout):
                    chunk = self.resp.read(READ_CHUNK_BYTES)
                if not chunk:
                    return
                yield chunk
        except (Exception, Timeout) as err:
            self.logger.increment('peer.errors')
            self.logger.error('autosync: %s %s: body cut short: %s',
                              self.request.method, self.request.url,
                              err if not isinstance(err, Timeout) else
                              'no data within %ss' % self.node_timeout)
        finally:
            self.close()

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def open_read(request: PeerRequest, conn_timeout: float,
              node_timeout: float, logger):
    """(answer, body) of one request to one peer, its body not read yet:
    a ``StreamedBody``, or None when the peer did not answer (then the
    answer says why). Never raises."""
    try:
        conn, resp = _connect(request, conn_timeout, node_timeout, logger)
    except (Exception, Timeout) as err:
        # _connect closed whatever it opened.
        return _failed(request, logger, err, conn_timeout,
                       node_timeout), None
    answer = SiteAnswer(request.site.name, resp.status, resp.reason or '',
                        _lower(resp.getheaders()))
    return answer, StreamedBody(request, conn, resp, node_timeout, logger)


def _connect(request: PeerRequest, conn_timeout: float,
             node_timeout: float, logger):
    """(connection, response) once the peer's status and headers are
    in; raises what the connection or the wait raised."""
    headers = _with_trans_id(request.headers,
                             getattr(logger, 'txn_id', None))
    parsed = urlsplit(request.url)
    path = parsed.path + ('?' + parsed.query if parsed.query else '')
    host = parsed.hostname or ''
    if ':' in host:
        host = '[%s]' % host
    with ConnectionTimeout(conn_timeout):
        conn = http_connect_raw(host, parsed.port, request.method, path,
                                headers=headers,
                                ssl=parsed.scheme == 'https')
    try:
        with Timeout(node_timeout):
            return conn, conn.getresponse()
    except BaseException:
        conn.close()
        raise


def _failed(request: PeerRequest, logger, err, conn_timeout: float,
            node_timeout: float) -> SiteAnswer:
    """The answer of a peer whose request raised ``err``."""
    if isinstance(err, ConnectionTimeout):
        return _no_answer(request, logger, 'peer.timeout',
                          'connect timeout after %ss' % conn_timeout,
                          timed_out=True)
    if isinstance(err, Timeout):
        return _no_answer(request, logger, 'peer.timeout',
                          'no answer within %ss' % node_timeout,
                          timed_out=True)
    if isinstance(err, ConnectionRefusedError):
        return _no_answer(request, logger, 'peer.errors',
                          'connection refused')
    return _no_answer(request, logger, 'peer.errors', 'error: %s' % err)


def _lower(headers) -> Dict[str, str]:
    return {name.lower(): value for name, value in headers}


def _with_trans_id(headers: Dict[str, str],
                   txn_id: Optional[str]) -> Dict[str, str]:
    """``headers`` with this site's txn id as the only X-Trans-Id-Extra
    (none without a txn id): a copy of the client's own must not pass
    for it. Not signed (signing.py signs only headers that change
    state), so it may be added here, after signing."""
    extra = TRANS_ID_EXTRA_HEADER.lower()
    sent = {name: value for name, value in headers.items()
            if name.lower() != extra}
    if txn_id:
        sent[TRANS_ID_EXTRA_HEADER] = txn_id
    return sent


def _no_answer(request: PeerRequest, logger, metric: str,
               detail: str, timed_out: bool = False) -> SiteAnswer:
    logger.increment(metric)
    logger.warning('autosync: %s %s: %s', request.method, request.url,
                   detail)
    return SiteAnswer(request.site.name, None, detail, timed_out=timed_out)


def _detail(reason: str, body: bytes) -> str:
    text = body.decode('utf-8', 'replace').strip()
    text = ' '.join(text.split())  # one line, whatever the peer sent
    # Swift's own error pages are HTML; the reason phrase says it better.
    if not text or text.startswith('<'):
        return reason or ''
    return '%s: %s' % (reason, text) if reason else text


def fan_out(requests: Sequence[PeerRequest], conn_timeout: float,
            node_timeout: float, logger,
            limiter: Optional[SiteErrorLimiter] = None) -> List[SiteAnswer]:
    """Send every request in parallel; answers come back in input order.
    With a ``limiter``, a site it limits is not sent its request (its
    answer says so) and every answer is counted against its site."""
    if not requests:
        return []
    pile = GreenPile(len(requests))
    # Test doubles and bench/fanout.py's None have no thread locals.
    thread_locals = getattr(logger, 'thread_locals', None)
    for request in requests:
        refusal = limiter.refusal(request.site.name) if limiter else None
        if refusal:
            pile.spawn(lambda answer: answer, refusal)
        else:
            pile.spawn(_send_in_context, thread_locals, request,
                       conn_timeout, node_timeout, logger, limiter)
    return list(pile)


def _send_in_context(logger_thread_locals, request: PeerRequest,
                     conn_timeout: float, node_timeout: float,
                     logger, limiter=None) -> SiteAnswer:
    """``send`` in a green thread of its own, with the spawning
    thread's txn id and client ip on the logger; its answer counted by
    the ``limiter``, if any."""
    if logger_thread_locals is not None:
        logger.thread_locals = logger_thread_locals
    answer = send(request, conn_timeout, node_timeout, logger)
    if limiter:
        limiter.record(answer)
    return answer
