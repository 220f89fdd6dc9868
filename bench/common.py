"""What the benchmarks share: statistics, interleaved rounds, the summary
rows and their table, the command line, a small HTTP client and a real
pair (``autosync-pair up`` on free ports, always ``down --wipe``,
through the same ``autosync.pair.control`` functions as the command).

Every benchmark script has ``run(quick) -> [Row]`` and calls ``main``
with it, so each runs alone (``python bench/NAME.py [--quick]``) and
``bench/run_all.py`` collects their rows (``--json FILE``) into one
table. Benchmarks print figures; they never assert timings.
"""

import argparse
import dataclasses
import http.client
import json
import math
import os
import shutil
import signal
import sys
import tempfile
import time
from typing import Callable, Dict, List, Optional, Sequence

from autosync.pair import control
from autosync.pair.layout import PORT_OFFSETS, Layout

# Below Linux's ephemeral range (32768-60999): TIME_WAIT sockets of a
# busy machine cannot hold our ports there.
PORT_RANGE = (21000, 32000)
PORTS_PER_CLUSTER = len(PORT_OFFSETS)
USER, KEY, ACCOUNT = 'test:tester', 'testing', 'AUTH_test'


# -- statistics --

def median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2.0


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (p95 of 50 values is the 48th)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100.0 * len(ordered)))
    return ordered[rank - 1]


def interleaved(variants: Dict[str, Callable[[], float]],
                rounds: int) -> Dict[str, List[float]]:
    """Run each variant once per round, alternating the order from one
    round to the next so that neither always goes first; return every
    variant's results, one a round."""
    results = {name: [] for name in variants}
    names = list(variants)
    for number in range(rounds):
        for name in (names if number % 2 == 0 else names[::-1]):
            results[name].append(variants[name]())
    return results


# -- results --

@dataclasses.dataclass
class Row:
    """One line of the summary: a figure against its same-run baseline.

    ``higher_is_better`` says how to read the ratio against ``target``
    (e.g. ``<= 1.02`` for a cost, ``>= 0.8`` for a rate).
    """

    bench: str
    figure: str
    value: float
    unit: str
    baseline: Optional[float] = None
    baseline_name: str = ''
    target: str = ''

    @property
    def ratio(self) -> Optional[float]:
        if not self.baseline:
            return None
        return self.value / self.baseline


def _number(value: Optional[float]) -> str:
    if value is None:
        return '-'
    if abs(value) >= 100:
        return '%.0f' % value
    if abs(value) >= 10:
        return '%.1f' % value
    return '%.2f' % value


def print_table(rows: Sequence[Row], out=None) -> None:
    """The summary table, in Markdown so README can take it as is."""
    out = out or sys.stdout
    header = ('bench', 'figure', 'measured', 'baseline', 'ratio',
              'target')
    lines = [header]
    for row in rows:
        baseline = ('%s %s (%s)' % (_number(row.baseline), row.unit,
                                    row.baseline_name)
                    if row.baseline is not None else '-')
        ratio = '%.3f' % row.ratio if row.ratio is not None else '-'
        lines.append((row.bench, row.figure,
                      '%s %s' % (_number(row.value), row.unit), baseline,
                      ratio, row.target or '-'))
    widths = [max(len(line[i]) for line in lines) for i in range(6)]
    for number, line in enumerate(lines):
        print('| ' + ' | '.join(cell.ljust(width) for cell, width
                                in zip(line, widths)) + ' |', file=out)
        if number == 0:
            print('|' + '|'.join('-' * (width + 2) for width in widths)
                  + '|', file=out)


def main(run: Callable[[bool], List[Row]], doc: str) -> None:
    """The command line every benchmark shares."""
    parser = argparse.ArgumentParser(
        description=doc.strip().splitlines()[0])
    parser.add_argument('--quick', action='store_true',
                        help='smaller counts: a rough figure, fast')
    parser.add_argument('--json', metavar='FILE',
                        help='also write the rows to FILE (run_all.py)')
    args = parser.parse_args()
    # SIGTERM unwinds like Ctrl-C, so that every pair comes down.
    signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        rows = run(args.quick)
    except KeyboardInterrupt:
        say('interrupted; every pair was taken down')
        sys.exit(130)
    print()
    print_table(rows)
    if args.json:
        with open(args.json, 'w') as f:
            json.dump([dataclasses.asdict(row) for row in rows], f)


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt('signal %d' % signum)


def load_rows(path: str) -> List[Row]:
    with open(path) as f:
        return [Row(**fields) for fields in json.load(f)]


def say(message: str, *args) -> None:
    """Progress on stderr; the figures go to stdout."""
    print(message % args if args else message, file=sys.stderr, flush=True)


# -- HTTP --

class Client(object):
    """One keep-alive connection to 127.0.0.1:port; reconnects after an
    error. ``request`` answers the status (None when the request
    failed) and reads the whole body; ``headers`` (lower-cased) and
    ``body_length`` are the last answer's."""

    def __init__(self, port: int, token: str = '', timeout: float = 30.0):
        self.port = port
        self.token = token
        self.timeout = timeout
        self.conn = None
        self.headers = {}
        self.body_length = 0

    def request(self, method: str, path: str, body: bytes = b'',
                headers: Optional[Dict[str, str]] = None) -> Optional[int]:
        headers = dict(headers or {})
        if self.token:
            headers['X-Auth-Token'] = self.token
        if method in ('PUT', 'POST'):
            headers['Content-Length'] = str(len(body))
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection(
                    '127.0.0.1', self.port, timeout=self.timeout)
            self.conn.request(method, path, body=body or None,
                              headers=headers)
            resp = self.conn.getresponse()
            self.headers = {name.lower(): value
                            for name, value in resp.getheaders()}
            self.body_length = len(resp.read())
            return resp.status
        except (OSError, http.client.HTTPException):
            self.close()
            self.headers, self.body_length = {}, 0
            return None

    def get_json(self, path: str):
        """GET a listing; None when it failed."""
        headers = {'X-Auth-Token': self.token, 'Accept': 'application/json'}
        conn = http.client.HTTPConnection('127.0.0.1', self.port,
                                          timeout=self.timeout)
        try:
            conn.request('GET', path, headers=headers)
            resp = conn.getresponse()
            body = resp.read()
            return json.loads(body) if resp.status == 200 else None
        except (OSError, http.client.HTTPException, ValueError):
            return None
        finally:
            conn.close()

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def expect_2xx(client: Client, method: str, path: str,
               body: bytes = b'') -> None:
    """``client.request``, for setup: anything but a 2xx ends the run."""
    status = client.request(method, path, body)
    if status is None or status // 100 != 2:
        raise RuntimeError('%s %s at port %d answered %s'
                           % (method, path, client.port, status))


def login(port: int, user: str = USER, key: str = KEY) -> str:
    """A tempauth token for ``user``, taken once before measuring."""
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=30)
    try:
        conn.request('GET', '/auth/v1.0',
                     headers={'X-Auth-User': user, 'X-Auth-Key': key})
        resp = conn.getresponse()
        resp.read()
        if resp.status // 100 != 2:
            raise RuntimeError('login as %s on port %d: %d'
                               % (user, port, resp.status))
        return resp.getheader('X-Auth-Token')
    finally:
        conn.close()


# -- the real pair --

def _port_free(port: int) -> bool:
    import socket

    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(('127.0.0.1', port))
        return True
    except OSError:
        return False
    finally:
        sock.close()


def free_base_ports(count: int) -> List[int]:
    """``count`` base ports, each followed by free ports for a cluster;
    where to start depends on the pid so that parallel runs spread."""
    found = []
    start = PORT_RANGE[0] + (os.getpid() * 10) % 5000
    for base in range(start, PORT_RANGE[1], 2 * PORTS_PER_CLUSTER):
        if all(_port_free(p) for p in range(base, base + PORTS_PER_CLUSTER)):
            found.append(base)
            if len(found) == count:
                return found
    raise RuntimeError('no free ports in %s' % (PORT_RANGE,))


class Pair(object):
    """A pair of its own, on tmpfs and free ports. Use as a context
    manager: ``down --wipe`` runs however the block ends (the pair's
    processes run in sessions of their own: Ctrl-C does not reach
    them, this does).

    ``a`` and ``b`` are the proxies' ports; ``token(cluster)`` logs in.
    ``choices`` are more of ``up``'s settings (``site_down='refuse'``,
    ``error_suppression_interval=5``).
    """

    def __init__(self, autosync: bool = True, sync_interval: float = 5.0,
                 **choices):
        self.autosync = autosync
        self.sync_interval = sync_interval
        self.choices = choices
        parent = '/dev/shm' if os.access('/dev/shm', os.W_OK) else None
        self.data_dir = tempfile.mkdtemp(prefix='autosync-bench-',
                                         dir=parent)
        self.layout = Layout(self.data_dir)
        self.a = self.b = None

    def up(self, ports: Sequence[int]) -> 'Pair':
        """What ``autosync-pair up --port-a A --port-b B`` does."""
        self.a, self.b = ports
        started = time.monotonic()
        settings = control.merge_settings(
            None, {'a': self.a, 'b': self.b}, autosync=self.autosync,
            sync_interval=self.sync_interval, **self.choices)
        control.up(self.layout, settings)
        say('pair %s up in %.1f s (ports %d, %d)', self.label,
            time.monotonic() - started, self.a, self.b)
        return self

    @property
    def label(self) -> str:
        return 'with autosync' if self.autosync else 'without autosync'

    def token(self, cluster: str = 'a') -> str:
        return login(self.a if cluster == 'a' else self.b)

    def down(self) -> None:
        """What ``autosync-pair down --wipe`` does."""
        if not os.path.exists(self.layout.settings_file):
            # ``up`` failed before writing anything: only our empty dir.
            shutil.rmtree(self.data_dir, ignore_errors=True)
            return
        try:
            control.down(self.layout, wipe=True)
        except Exception as e:  # report it, never hide the first error
            say('autosync-pair down --wipe failed for %s: %s',
                self.data_dir, e)

    def __enter__(self) -> 'Pair':
        return self

    def __exit__(self, *exc_info) -> None:
        self.down()


def pairs_up(*pairs: Pair) -> None:
    """Bring pairs up on free ports, one after the other."""
    bases = free_base_ports(2 * len(pairs))
    for number, pair in enumerate(pairs):
        pair.up(bases[2 * number:2 * number + 2])
