"""Reconciler pass time: how long one autosync-reconciler pass takes over
many containers, and how it grows.

A pair of its own (container-sync and the updaters every 300 s, so that
they do not run during the measurement). N containers are created
through A with 8 clients (1,000 by default, 200 with --quick,
$BENCH_CONTAINERS to choose), so each exists at A and B with its
placement recorded. Then, timed:

* one ``container-sync`` pass at A over the same containers: Swift's
  own daemon walking the same DBs, the baseline;
* two reconciler passes at A with every container in sync (N checked):
  the first after the creates, the next as every later pass runs;
* one more with B's memcached emptied first: the batched read
  (``batch_read.py``) is answered from B's container DBs
  (``container_records.py``), not from anything B's proxy caches, and
  this shows it (a pass in production, every ``interval`` of 300 s,
  finds nothing of its last one cached);
* with $BENCH_OLD_TREE (a directory holding an older ``autosync``
  package), one more pass run with that code: a comparison in the
  same run;
* a HEAD of each container at B by CLIENTS clients on kept-alive
  connections: the peer read the reconciler makes for each container,
  without the reconciler, the second baseline;
* one more reconciler pass after R = N/10 more containers were created
  while B was down (N + R checked, R repaired).

Each pass runs as ``autosync-pair`` runs it: a process of its own, so
the figures include its start (0.4 s here, most of it loading the
internal client's proxy app). Figures: seconds per pass, and ms per container.

    python bench/reconcile_scale.py [--quick]
    BENCH_CONTAINERS=10000 python bench/reconcile_scale.py
"""

import os
import socket
import threading
import time

from autosync.pair import control

from common import ACCOUNT, Client, Pair, Row, main, pairs_up, say

CLIENTS = 8


def each(method: str, port: int, token: str, names) -> int:
    """One ``method`` request per container of ``names`` through
    ``port``, CLIENTS at a time; return how many answered 2xx."""
    names = list(names)
    done = []

    def work(share):
        client = Client(port, token)
        for name in share:
            status = client.request(method, '/v1/%s/%s' % (ACCOUNT, name))
            if status and status // 100 == 2:
                done.append(name)
        client.close()

    threads = [threading.Thread(target=work, args=(names[i::CLIENTS],))
               for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(done)


def flush_memcached(pair, cluster: str) -> None:
    """Empty ``cluster``'s memcached (its proxy's container info)."""
    port = pair.layout.load_settings().port(cluster, 'memcached')
    with socket.create_connection(('127.0.0.1', port), timeout=10) as s:
        s.sendall(b'flush_all\r\n')
        if not s.recv(64).startswith(b'OK'):
            raise RuntimeError('memcached of %s: flush_all failed' % cluster)


def older_pass(pair, tree: str) -> float:
    """A reconciler pass at A run with the ``autosync`` in ``tree``."""
    before = os.environ.get('PYTHONPATH')
    os.environ['PYTHONPATH'] = tree
    try:
        return reconcile_pass(pair, 'reconciler pass at A, code in %s'
                              % tree)
    finally:
        if before is None:
            del os.environ['PYTHONPATH']
        else:
            os.environ['PYTHONPATH'] = before


def timed(call, *args) -> float:
    started = time.monotonic()
    call(*args)
    return time.monotonic() - started


def reconcile_pass(pair, what: str) -> float:
    """One reconciler pass at A, said as ``what``; then what each
    node's pass did, its time without the process's start."""
    started = time.monotonic()
    summaries = control.reconcile_once(pair.layout, 'a')
    elapsed = time.monotonic() - started
    say('%s: %.2f s', what, elapsed)
    for summary in summaries:
        say('  pass done in %s', summary)
    return elapsed


def run(quick: bool):
    count = int(os.environ.get('BENCH_CONTAINERS') or
                (200 if quick else 1000))
    later = max(count // 10, 1)
    with Pair(sync_interval=300.0) as pair:
        pairs_up(pair)
        token = pair.token('a')
        started = time.monotonic()
        names = ['scale-%06d' % i for i in range(count)]
        made = each('PUT', pair.a, token, names)
        say('%d containers created through A in %.1f s', made,
            time.monotonic() - started)
        sync_pass = timed(control.sync_once, pair.layout, 'a')
        say('container-sync pass at A: %.2f s', sync_pass)
        first = reconcile_pass(
            pair, 'first reconciler pass at A, %d in sync' % made)
        in_sync = reconcile_pass(
            pair, 'second reconciler pass at A, %d in sync' % made)
        flush_memcached(pair, 'b')
        cold = reconcile_pass(
            pair, 'reconciler pass at A, memcached at B emptied')
        old_tree = os.environ.get('BENCH_OLD_TREE')
        older = older_pass(pair, old_tree) if old_tree else None
        heads = timed(each, 'HEAD', pair.b, pair.token('b'), names)
        say('a HEAD of each at B, %d clients: %.2f s', CLIENTS, heads)

        control.down(pair.layout, ['b'])
        each('PUT', pair.a, token, ('late-%06d' % i for i in range(later)))
        control.up(pair.layout, pair.layout.load_settings())
        repairing = reconcile_pass(
            pair, 'reconciler pass at A, %d more missing at B' % later)
        missing = [n for n in ('late-%06d' % i for i in range(later))
                   if Client(pair.b, pair.token('b')).request(
                       'HEAD', '/v1/%s/%s' % (ACCOUNT, n)) != 204]
        say('after it, missing at B: %d', len(missing))

    per = 1000.0 / (made or 1)
    return [
        Row('reconcile', 'container-sync pass, %d containers' % made,
            sync_pass, 's'),
        Row('reconcile', 'first reconciler pass, %d in sync' % made, first,
            's', baseline=sync_pass, baseline_name='container-sync pass'),
        Row('reconcile', 'next reconciler pass, %d in sync' % made, in_sync,
            's', baseline=sync_pass, baseline_name='container-sync pass'),
        Row('reconcile', 'reconciler, per container in sync',
            in_sync * per, 'ms'),
        Row('reconcile', 'reconciler pass, B\'s memcached emptied', cold,
            's', baseline=sync_pass, baseline_name='container-sync pass'),
    ] + ([
        Row('reconcile', 'reconciler pass, code in BENCH_OLD_TREE',
            older, 's', baseline=sync_pass,
            baseline_name='container-sync pass'),
    ] if older is not None else []) + [
        Row('reconcile', 'a HEAD of each at B, %d clients' % CLIENTS, heads,
            's'),
        Row('reconcile', 'next reconciler pass, %d in sync' % made, in_sync,
            's', baseline=heads, baseline_name='HEADs at B'),
        Row('reconcile', 'reconciler pass, %d more, %d repaired' % (
            later, later - len(missing)), repairing, 's',
            baseline=in_sync, baseline_name='next pass, all in sync'),
    ]


if __name__ == '__main__':
    main(run, __doc__)
