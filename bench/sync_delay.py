"""Sync delay: from an object PUT at one site until the other lists it.

A pair with autosync (``autosync-pair up``, container-sync every 5 s)
and one container created through A, so that it syncs A -> B and
B -> A. Objects are PUT alternately at A and at B, one every 0.1 s over
two sync intervals, so that the PUTs sample every point of the
container-sync cycle: 50 per direction (20 with --quick). A poller
lists the container at both sites every 0.1 s; an object's delay is
from its PUT's answer until the other site's listing first shows it.

Figures: median and p95 per direction, against the configured interval.
With one pass every interval, a PUT waits for the next pass (uniform
over the interval, 0.5x on average) plus the pass itself; the median
should be near 0.5x, p95 near 1x, more when a pass is slow.

    python bench/sync_delay.py [--quick]
"""

import threading
import time

from common import (
    ACCOUNT,
    Client,
    Pair,
    Row,
    expect_2xx,
    main,
    median,
    pairs_up,
    percentile,
    say,
)

INTERVAL = 5.0
PER_DIRECTION, QUICK_PER_DIRECTION = 50, 20
POLL_SECONDS = 0.1
GRACE_SECONDS = 60.0  # after the last PUT, on a busy machine
CONTAINER = 'bench-sync-delay'
DIRECTIONS = (('a', 'b'), ('b', 'a'))


class Poller(threading.Thread):
    """Lists the container at ``cluster`` until stopped, noting when
    each name first appears."""

    def __init__(self, port: int, token: str, prefix: str):
        super().__init__(daemon=True)
        self.client = Client(port, token)
        self.path = '/v1/%s/%s?prefix=%s' % (ACCOUNT, CONTAINER, prefix)
        self.seen = {}
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            listing = self.client.get_json(self.path) or []
            now = time.monotonic()
            for entry in listing:
                self.seen.setdefault(entry['name'], now)
            self.stopped.wait(POLL_SECONDS)


def put_objects(pair: Pair, tokens, count: int):
    """PUT ``count`` objects at each site, alternating; return
    {name: (site it was written at, when the PUT answered)}."""
    clients = {c: Client(getattr(pair, c), tokens[c]) for c in 'ab'}
    spacing = 2 * INTERVAL / (2 * count)
    written = {}
    next_at = time.monotonic()
    for number in range(count):
        for source, _ in DIRECTIONS:
            time.sleep(max(0.0, next_at - time.monotonic()))
            next_at += spacing
            name = '%s-%03d' % (source, number)
            expect_2xx(clients[source], 'PUT', '/v1/%s/%s/%s' % (
                ACCOUNT, CONTAINER, name), b'x')
            written[name] = (source, time.monotonic())
    return written


def measure(pair: Pair, count: int):
    tokens = {c: pair.token(c) for c in 'ab'}
    expect_2xx(Client(pair.a, tokens['a']), 'PUT',
               '/v1/%s/%s' % (ACCOUNT, CONTAINER))
    pollers = {target: Poller(getattr(pair, target), tokens[target],
                              source + '-')
               for source, target in DIRECTIONS}
    for poller in pollers.values():
        poller.start()
    try:
        written = put_objects(pair, tokens, count)
        deadline = time.monotonic() + GRACE_SECONDS
        while time.monotonic() < deadline and sum(
                len(p.seen) for p in pollers.values()) < len(written):
            time.sleep(POLL_SECONDS)
    finally:
        for poller in pollers.values():
            poller.stopped.set()
            poller.join()
    return delays(written, pollers)


def delays(written, pollers):
    """{(source, target): [seconds]}; objects never seen are left out
    and reported."""
    found = {direction: [] for direction in DIRECTIONS}
    for name, (source, put_at) in written.items():
        target = 'b' if source == 'a' else 'a'
        seen_at = pollers[target].seen.get(name)
        if seen_at is None:
            say('%s never reached %s within %g s', name, target,
                GRACE_SECONDS)
            continue
        found[source, target].append(seen_at - put_at)
    return found


def run(quick: bool):
    count = QUICK_PER_DIRECTION if quick else PER_DIRECTION
    with Pair(autosync=True, sync_interval=INTERVAL) as pair:
        pairs_up(pair)
        found = measure(pair, count)
    rows = []
    for (source, target), values in found.items():
        if not values:
            continue
        label = '%s -> %s' % (source.upper(), target.upper())
        say('%s: %d objects, median %.2f s, p95 %.2f s, max %.2f s',
            label, len(values), median(values), percentile(values, 95),
            max(values))
        rows.append(Row('sync delay', '%s median (%d objects)' % (
            label, len(values)), median(values), 's', INTERVAL,
            'interval', '~0.5'))
        rows.append(Row('sync delay', '%s p95' % label,
                        percentile(values, 95), 's', INTERVAL, 'interval',
                        '~1'))
    return rows


if __name__ == '__main__':
    main(run, __doc__)
