"""Fan-out scaling: a container PUT with 1, 2, 4 and 8 other sites.

Each other site is an eventlet WSGI server on 127.0.0.1 that answers
``201`` after a fixed 50 ms (bench/slow_peers.py, in a process of its
own, as other sites would be); the local app is a trivial
fake (HEAD 404, PUT 201). The autosync filter is built by its factory
in a realm placement of k + 1 sites and driven with swob, so the figure
is a whole container PUT: local HEAD and PUT, signing, the parallel
calls to every other site, the verdict.

For contrast the same peers are also called one after another with the
same ``autosync.peers.send`` (the sequential sum). The figure per k is
the median of N requests (20; 5 with --quick), the rounds interleaved
over k; the ratio is against k = 1. The CPU time this process spent
per PUT is printed too: on a busy machine, what exceeds 50 ms plus that
is time spent waiting for a core.

    python bench/fanout.py [--quick]
"""

import warnings

# Swift runs on eventlet; its deprecation notice is noise here.
warnings.filterwarnings('ignore', message=r'\s*Eventlet is deprecated')

import eventlet  # noqa: E402

# As the proxy (and the unit tests) do: green sockets, so that the
# fan-out's green threads and the peer servers really overlap.
eventlet.monkey_patch(socket=True, select=True, thread=False, time=False)

import os  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

from swift.common.swob import Request, Response  # noqa: E402

from autosync.middleware import filter_factory  # noqa: E402
from autosync.peers import PeerRequest, send  # noqa: E402
from autosync.placement import parse_site  # noqa: E402

from common import Row, interleaved, main, median, say  # noqa: E402

PEER_DELAY = 0.050
PEER_COUNTS = (1, 2, 4, 8)
REQUESTS, QUICK_REQUESTS = 20, 5
PATH = '/v1/AUTH_test/bench'
HERE = os.path.dirname(os.path.abspath(__file__))


def start_peers(count: int):
    """(process, [url]): bench/slow_peers.py in a process of its own."""
    proc = subprocess.Popen(
        [sys.executable, os.path.join(HERE, 'slow_peers.py'), str(count),
         str(PEER_DELAY)], stdout=subprocess.PIPE, text=True)
    return proc, proc.stdout.readline().split()


def local_app(env, start_response):
    """Here: the container is new (HEAD 404), the PUT works."""
    status = 404 if env['REQUEST_METHOD'] == 'HEAD' else 201
    return Response(status=status)(env, start_response)


def build_filter(swift_dir: str, peers):
    names = ['here'] + ['p%d' % i for i in range(len(peers))]
    urls = ['http://127.0.0.1:1'] + list(peers)
    with open(os.path.join(swift_dir, 'container-sync-realms.conf'),
              'w') as f:
        f.write('[bench]\nkey = bench-realm-key\n')
        for name, url in zip(names, urls):
            f.write('cluster_%s = %s/v1/\n' % (name, url))
    return filter_factory({}, **{
        'swift_dir': swift_dir, 'autosync_my_cluster': '//bench/here',
        'autosync_placement': ', '.join('//bench/' + n for n in names),
        'override_auth': 'true', 'log_level': 'WARNING',
    })(local_app)


def timed_put(app):
    """(wall seconds, CPU seconds of this process) of one PUT."""
    req = Request.blank(PATH, environ={'REQUEST_METHOD': 'PUT',
                                       'swift_owner': True})
    started, cpu = time.perf_counter(), time.process_time()
    resp = req.get_response(app)
    elapsed = time.perf_counter() - started, time.process_time() - cpu
    if resp.status_int != 201:
        raise RuntimeError('container PUT answered %s: %s'
                           % (resp.status, resp.body[:200]))
    return elapsed


def timed_sequential(peers):
    started, cpu = time.perf_counter(), time.process_time()
    for url in peers:
        answer = send(PeerRequest(parse_site(url), 'PUT', url + PATH,
                                  {'Content-Length': '0'}),
                      0.5, 10, None)
        if answer.status != 201:
            raise RuntimeError('peer %s: %s' % (url, answer.detail))
    return time.perf_counter() - started, time.process_time() - cpu


def run(quick: bool):
    requests = QUICK_REQUESTS if quick else REQUESTS
    proc, peers = start_peers(max(PEER_COUNTS))
    swift_dirs = []
    try:
        variants = {}
        for k in PEER_COUNTS:
            swift_dirs.append(tempfile.mkdtemp(prefix='autosync-bench-'))
            app = build_filter(swift_dirs[-1], peers[:k])
            variants['parallel', k] = (lambda app=app: timed_put(app))
            variants['sequential', k] = (
                lambda k=k: timed_sequential(peers[:k]))
        results = interleaved(variants, requests)
    finally:
        proc.terminate()
        proc.wait()
        for swift_dir in swift_dirs:
            shutil.rmtree(swift_dir, ignore_errors=True)
    return rows(results)


def ms(results, index: int = 0) -> float:
    """Median in ms of the wall (0) or CPU (1) times."""
    return median([each[index] for each in results]) * 1000


def rows(results):
    one = ms(results['parallel', 1])
    found = []
    for k in PEER_COUNTS:
        parallel = ms(results['parallel', k])
        sequential = ms(results['sequential', k])
        say('k=%d  parallel %.1f ms (CPU here %.1f ms)  sequential sum '
            '%.1f ms', k, parallel, ms(results['parallel', k], 1),
            sequential)
        found.append(Row('fanout', 'container PUT, %d peer%s' % (
            k, 's' if k > 1 else ''), parallel, 'ms', one, 'k=1',
            '<= 1.1' if k == max(PEER_COUNTS) else ''))
        if k > 1:
            found.append(Row('fanout', '  same peers called in turn',
                             sequential, 'ms', one, 'k=1', ''))
    return found


if __name__ == '__main__':
    main(run, __doc__)
