"""Request rates on the real pair, with autosync and without.

Two pairs run at once on this machine (``autosync-pair up`` on free
ports, data on /dev/shm): one with autosync in both proxies (realm style,
two sites), one started with ``--no-autosync``, the baseline. Measured
through cluster A of each, in rounds that alternate the two pairs:

* container create rate (PUT of a new container) with 1, 4 and 16
  concurrent clients;
* object PUT and GET rate, 1 KiB objects, 4 concurrent clients.

Clients are threads, each with one keep-alive ``http.client``
connection and a token taken before measuring. A round lasts 3 s (1.5 s
with --quick); the figure is the median of 5 rounds (2 with --quick),
in requests per second that answered 2xx. Both pairs are always taken
down and wiped at the end, also on Ctrl-C.

With autosync a container create is a local HEAD (the sync key), a
local PUT and a signed PUT at B: about twice the work of the baseline,
on the same cores, since both clusters share this machine.

    python bench/pair_rates.py [--quick]
"""

import threading
import time
import uuid

from common import (
    ACCOUNT,
    Client,
    Pair,
    Row,
    expect_2xx,
    interleaved,
    main,
    median,
    pairs_up,
    say,
)

CLIENT_COUNTS = (1, 4, 16)
OBJECT_CLIENTS = 4
OBJECT_BODY = b'x' * 1024
READ_SET = 100  # objects the GET rounds read, round robin
ROUND_SECONDS, QUICK_ROUND_SECONDS = 3.0, 1.5
ROUNDS, QUICK_ROUNDS = 5, 2
OBJECTS = 'bench-objects'


def new_container(worker: int, number: int):
    return 'PUT', '/v1/%s/bench-%s' % (ACCOUNT, uuid.uuid4().hex), b''


def object_put(worker: int, number: int):
    return ('PUT', '/v1/%s/%s/w%d-%d' % (ACCOUNT, OBJECTS, worker, number),
            OBJECT_BODY)


def object_get(worker: int, number: int):
    return ('GET', '/v1/%s/%s/r%d' % (ACCOUNT, OBJECTS,
                                      (worker * 7 + number) % READ_SET),
            b'')


class Target(object):
    """Cluster A of one pair, as the clients see it."""

    def __init__(self, pair: Pair):
        self.pair = pair
        self.token = pair.token('a')
        self.errors = 0

    def client(self) -> Client:
        return Client(self.pair.a, self.token)

    def prepare(self) -> None:
        """The objects container and the objects the GETs read."""
        client = self.client()
        expect_2xx(client, 'PUT', '/v1/%s/%s' % (ACCOUNT, OBJECTS))
        for number in range(READ_SET):
            expect_2xx(client, 'PUT', '/v1/%s/%s/r%d'
                       % (ACCOUNT, OBJECTS, number), OBJECT_BODY)
        client.close()

    def rate(self, make_request, clients: int, seconds: float) -> float:
        """Requests per second that answered 2xx, ``clients`` at once."""
        done, elapsed = self.load(make_request, clients, seconds)
        return done / elapsed

    def load(self, make_request, clients: int, seconds: float):
        """(requests that answered 2xx, seconds it took): ``clients``
        at once, each starting requests until ``seconds`` are over."""
        counts = [0] * clients
        errors = [0] * clients
        start = threading.Barrier(clients + 1)

        def work(worker: int) -> None:
            client = self.client()
            start.wait()
            number = 0
            while time.monotonic() < deadline:
                status = client.request(*make_request(worker, number))
                number += 1
                if status is not None and status // 100 == 2:
                    counts[worker] += 1
                else:
                    errors[worker] += 1
            client.close()

        threads = [threading.Thread(target=work, args=(n,), daemon=True)
                   for n in range(clients)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + seconds
        started = time.monotonic()
        start.wait()
        for thread in threads:
            thread.join()
        self.errors += sum(errors)
        return sum(counts), time.monotonic() - started


def compare(targets, label: str, make_request, clients: int,
            seconds: float, rounds: int):
    for target in targets.values():  # warm up: connections, caches
        target.rate(make_request, clients, min(1.0, seconds))
    results = interleaved({
        name: (lambda t=target: t.rate(make_request, clients, seconds))
        for name, target in targets.items()}, rounds)
    with_as, without = (median(results['autosync']),
                        median(results['baseline']))
    say('%-26s autosync %6.1f/s  without %6.1f/s  rounds %s / %s', label,
        with_as, without, ['%.0f' % r for r in results['autosync']],
        ['%.0f' % r for r in results['baseline']])
    return with_as, without


def measure(targets, quick: bool):
    seconds = QUICK_ROUND_SECONDS if quick else ROUND_SECONDS
    rounds = QUICK_ROUNDS if quick else ROUNDS
    rows = []
    for clients in CLIENT_COUNTS:
        label = 'container create, %d client%s' % (
            clients, 's' if clients > 1 else '')
        value, base = compare(targets, label, new_container, clients,
                              seconds, rounds)
        rows.append(Row('pair', label, value, '/s', base,
                        'no autosync', '>= 0.8'))
    for label, make_request in (('object PUT 1 KiB', object_put),
                                ('object GET 1 KiB', object_get)):
        label += ', %d clients' % OBJECT_CLIENTS
        value, base = compare(targets, label, make_request,
                              OBJECT_CLIENTS, seconds, rounds)
        rows.append(Row('pair', label, value, '/s', base,
                        'no autosync', '>= 0.98'))
    for name, target in targets.items():
        if target.errors:
            say('%s: %d requests did not answer 2xx', name, target.errors)
    return rows


def run(quick: bool):
    with Pair(autosync=True) as with_autosync, \
            Pair(autosync=False) as baseline:
        pairs_up(with_autosync, baseline)
        targets = {'autosync': Target(with_autosync),
                   'baseline': Target(baseline)}
        for target in targets.values():
            target.prepare()
        return measure(targets, quick)


if __name__ == '__main__':
    main(run, __doc__)
