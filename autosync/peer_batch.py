"""Another site's reconciler reading many containers of one account at
once: verify it, answer from this site's own container records.

The request is a GET of ``/v1/<account>`` with ``X-Orig-Cluster``, an
``X-Autosync-Auth`` signature (checked as every peer request is,
``peer_change.py``: 401 when it does not verify, 503 when this site
cannot tell now whether it saw it) and ``X-Autosync-Batch-Read``: the
container names (``protocol.batch_names_value``, signed with the rest).
It is answered 200 with a JSON body::

    {"containers": {"<name>": {"status": 204,
                               "headers": {"<lower-case name>": "..."}}},
     "servers_asked": 3,
     "servers_unanswered": ["<ip>:<port>/<device>: answered 400"]}

one entry per name, the headers those a signed HEAD of the container
would answer with (``state.py``), WSGI strings as HTTP carries them;
and how many container servers were asked, and which gave no records
and why (``autosync verify`` shows them).
They are read from the container servers, as a HEAD reads them, but in
one request to each server for all the names it holds
(``container_records.py``, a filter in the container servers'
pipeline): a container's primary nodes in ring order, the next one only
for names the one before did not answer 204. A name no node answered
204 within half of ``node_timeout`` (missing, deleted, a server without
the filter, a server down) is answered with status 0 (unknown): the
reader reads it with a signed HEAD of its own, which decides. So is
every container the reader checks with anything to repair: the answer
is a pre-check, never the ground for a repair (``batch_read.py``). A
site without ``override_auth`` answers 403: the reconciler's requests
carry no user. An autosync that predates this answers the GET as a
listing, which the reader tells from this shape and reads container by
container instead.
"""

import json
import time
from typing import Dict, List, Sequence, Set, Tuple

from eventlet import GreenPile
from swift.common.bufferedhttp import http_connect
from swift.common.exceptions import ConnectionTimeout
from swift.common.swob import HTTPBadRequest, HTTPForbidden, Response
from swift.common.utils import Timeout

from autosync.peer_change import PeerChange
from autosync.protocol import (
    BACKEND_PREFIX,
    BATCH_READ_HEADER,
    RECORDS_HEADER,
    SYSMETA_PREFIXES,
    VERSIONS_ENABLED,
    VERSIONS_ENABLED_SYSMETA,
    parse_batch_names,
)
from autosync.state import VERSIONING_NAMES, exposed_headers

# More than a reconciler sends (batch_read.BATCH_NAMES): a bound on the
# work one request makes here (container_records.MAX_CONTAINERS too).
MAX_NAMES = 1000
# Of node_timeout (this site's, like the reader's in most setups): the
# time every container server's answer must come within, so that the
# answer reaches the reader before its own node_timeout.
ANSWER_WITHIN = 0.5
UNKNOWN = {'status': 0, 'headers': {}}

Node = Tuple[str, int, str]  # (ip, port, device)


def shown_headers(headers: Dict[str, str]) -> Dict[str, str]:
    """The headers a signed HEAD through the proxy answers for a
    container whose container server answered ``headers``: what the
    gatekeeper lets out (no sysmeta, no backend headers) and autosync's
    X-Autosync-* names for what it hides."""
    headers = {name.lower(): value for name, value in headers.items()}
    shown = {name: value for name, value in headers.items()
             if not name.startswith((BACKEND_PREFIX,) + SYSMETA_PREFIXES)
             or name in VERSIONING_NAMES}
    enabled = headers.get(VERSIONS_ENABLED_SYSMETA.lower())
    if enabled is not None:
        shown[VERSIONS_ENABLED.lower()] = enabled
    shown.update((name.lower(), value)
                 for name, value in exposed_headers(headers.items()))
    return shown


class PeerBatch(PeerChange):

    def __init__(self, *args):
        super().__init__(*args)
        # The container servers asked, and why each that gave no
        # records gave none.
        self.asked: Set[Node] = set()
        self.unanswered: Dict[Node, str] = {}

    def respond(self) -> Response:
        refusal = self.accept('as:peer-batch')
        if refusal:
            return refusal
        if not self.cfg.override_auth:
            return self.refuse(HTTPForbidden, 'as:batch-no-override',
                               'a batched read needs override_auth = '
                               'true here')
        try:
            names = parse_batch_names(self.req.headers[BATCH_READ_HEADER])
        except ValueError as err:
            return self.refuse(HTTPBadRequest, 'as:bad-batch', '%s: %s' % (
                BATCH_READ_HEADER, err))
        if len(names) > MAX_NAMES:
            return self.refuse(HTTPBadRequest, 'as:bad-batch',
                               '%s: more than %d names' % (
                                   BATCH_READ_HEADER, MAX_NAMES))
        body = {'containers': self.read_all(names),
                'servers_asked': len(self.asked),
                'servers_unanswered': sorted(
                    '%s:%s/%s: %s' % (node + (why,))
                    for node, why in self.unanswered.items())}
        return Response(status=200, request=self.req,
                        content_type='application/json',
                        body=json.dumps(body).encode('ascii'))

    def read_all(self, names: Sequence[str]) -> Dict[str, dict]:
        """Each name's entry: from its first primary node that answers
        204, asking each node once per round for all its names."""
        ring = self.filt.container_ring
        places = {name: ring.get_nodes(self.account, name)
                  for name in dict.fromkeys(names)}
        entries = {}
        # One bound for every round: the primaries asked in turn for a
        # name no node holds must not add up past the reader's timeout.
        deadline = time.time() + self.cfg.node_timeout * ANSWER_WITHIN
        for round_ in range(max((len(nodes) for _, nodes in
                                 places.values()), default=0)):
            asks: Dict[Node, List[Tuple[int, str]]] = {}
            for name, (part, nodes) in places.items():
                if name not in entries and round_ < len(nodes):
                    node = nodes[round_]
                    asks.setdefault(
                        (node['ip'], node['port'], node['device']),
                        []).append((part, name))
            left = deadline - time.time()
            if not asks or left <= 0:
                break
            pile = GreenPile(len(asks))
            for node, asked in asks.items():
                pile.spawn(self.ask, node, asked, left)
            for node, (records, why) in zip(asks, pile):
                self.asked.add(node)
                if why:
                    self.unanswered[node] = why
                entries.update(
                    (name, {'status': 204,
                            'headers': shown_headers(record['headers'])})
                    for name, record in records.items() if name in places)
        return {name: entries.get(name, UNKNOWN) for name in names}

    def ask(self, node: Node, asked: List[Tuple[int, str]],
            within: float) -> Tuple[Dict[str, dict], str]:
        """The records of ``asked`` ((partition, name) pairs) that one
        container server answers 204, well formed, and '' ; or {} and
        why it gave none (down, slow, no filter) within ``within``
        seconds, connecting included."""
        ip, port, device = node
        body = json.dumps(asked).encode('utf-8')
        try:
            with Timeout(within):
                with ConnectionTimeout(self.cfg.conn_timeout):
                    conn = http_connect(
                        ip, port, device, 0, 'POST', '/' + self.account,
                        headers={RECORDS_HEADER: '1',
                                 'Content-Length': str(len(body)),
                                 'Content-Type': 'application/json',
                                 'X-Trans-Id': self.trans_id()})
                    conn.send(body)
                resp = conn.getresponse()
                answer = resp.read()
            if resp.status != 200:
                self.filt.logger.warning(
                    'autosync: container server %s:%s/%s answered %s to '
                    'a batched read: is autosync_records in its pipeline '
                    '(README)?', ip, port, device, resp.status)
                return {}, 'answered %s' % resp.status
            records = json.loads(answer)
        except (Exception, Timeout) as err:
            why = str(err) or type(err).__name__
            self.filt.logger.warning(
                'autosync: container server %s:%s/%s: batched read '
                'failed: %s', ip, port, device, why)
            return {}, why
        if not isinstance(records, dict):
            return {}, 'answered 200 with no records'
        return {name: record for name, record in records.items()
                if isinstance(record, dict) and record.get('status') == 204
                and isinstance(record.get('headers'), dict)}, ''

    def trans_id(self) -> str:
        return self.env.get('swift.trans_id', '')
