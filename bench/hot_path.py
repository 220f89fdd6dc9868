"""Hot-path cost: what autosync adds to requests it does not handle.

Object GET, PUT and HEAD and container GET go through ``autosync -> app``
and, as the baseline, through ``no-op filter -> app``, in process (no
network, no eventlet hub). The autosync filter is built as paste builds
it, ``filter_factory({}, **conf)(app)``, in a two-site realm placement
read from a temporary swift_dir, so it is configured as in production.

The app is the cheapest thing that still behaves like Swift: it parses
the request with swob and answers a swob Response. A real proxy app
costs far more per request (hundreds of µs: auth, memcache, backend
HTTP), so this ratio is an upper bound of the real one; the difference
in µs/request is the absolute cost.

Each request kind runs in 20 rounds that alternate autosync and
baseline (100,000 requests each in total; 20,000 with --quick); the
figure is the median round's µs/request, in CPU time of this process
(``time.process_time``), so that other processes of a busy machine do
not count.

    python bench/hot_path.py [--quick]
"""

import contextlib
import os
import shutil
import tempfile
import time
from typing import Callable, Dict, Iterator

from swift.common.swob import Request, Response

from autosync.middleware import filter_factory

from common import Row, interleaved, main, median, say

REQUESTS = 100_000
QUICK_REQUESTS = 20_000
ROUNDS = 20
KINDS = (
    ('object GET', 'GET', '/v1/AUTH_test/photos/cat.jpg'),
    ('object PUT', 'PUT', '/v1/AUTH_test/photos/cat.jpg'),
    ('object HEAD', 'HEAD', '/v1/AUTH_test/photos/cat.jpg'),
    ('container GET', 'GET', '/v1/AUTH_test/photos'),
)
REALMS_CONF = """\
[bench]
key = bench-realm-key
cluster_a = http://127.0.0.1:1/v1/
cluster_b = http://127.0.0.1:2/v1/
"""


def swift_like_app(env, start_response):
    req = Request(env)
    status = 201 if req.method == 'PUT' else 200
    return Response(status=status, body=b'', request=req)(
        env, start_response)


class NoopFilter(object):
    """The baseline: a filter that only calls the next app."""

    def __init__(self, app):
        self.app = app

    def __call__(self, env, start_response):
        return self.app(env, start_response)


@contextlib.contextmanager
def realm_swift_dir() -> Iterator[str]:
    """A temporary swift_dir with the two-site realm of the placement
    every filter here is built in."""
    swift_dir = tempfile.mkdtemp(prefix='autosync-bench-')
    try:
        with open(os.path.join(swift_dir, 'container-sync-realms.conf'),
                  'w') as f:
            f.write(REALMS_CONF)
        yield swift_dir
    finally:
        shutil.rmtree(swift_dir, ignore_errors=True)


def autosync_filter(app, swift_dir: str, **options: str):
    """The filter as paste builds it; ``options`` are more of its
    conf (``read_fallback='true'``)."""
    conf = {
        'swift_dir': swift_dir,
        'autosync_my_cluster': '//bench/a',
        'autosync_placement': '//bench/a, //bench/b',
        'override_auth': 'true',
        'log_level': 'WARNING',
    }
    conf.update(options)
    return filter_factory({}, **conf)(app)


def start_response(status, headers, exc_info=None):
    return None


def environ(method: str, path: str) -> dict:
    env = Request.blank(path, environ={'REQUEST_METHOD': method}).environ
    env['HTTP_X_AUTH_TOKEN'] = 'AUTH_tk0123456789abcdef'
    return env


def timed_round(wsgi, template: dict, count: int) -> float:
    """µs per request over ``count`` requests, each with its own env."""
    copy = dict.copy
    started = time.process_time()
    for _ in range(count):
        for _chunk in wsgi(copy(template), start_response):
            pass
    return (time.process_time() - started) * 1e6 / count


def measure(variants: Dict[str, Callable], template: dict,
            total: int) -> Dict[str, float]:
    """Each WSGI app of ``variants`` (name -> app) over ``total``
    requests in interleaved rounds: name -> the median round's
    µs/request."""
    per_round = total // ROUNDS
    results = interleaved({
        name: (lambda wsgi=wsgi: timed_round(wsgi, template, per_round))
        for name, wsgi in variants.items()}, ROUNDS)
    return {name: median(found) for name, found in results.items()}


def run(quick: bool):
    total = QUICK_REQUESTS if quick else REQUESTS
    with realm_swift_dir() as swift_dir:
        variants = {'autosync': autosync_filter(swift_like_app, swift_dir),
                    'no-op': NoopFilter(swift_like_app)}
        rows = []
        for name, method, path in KINDS:
            found = measure(variants, environ(method, path), total)
            cost, base = found['autosync'], found['no-op']
            say('%-14s autosync %.2f µs  no-op %.2f µs  (+%.3f µs)',
                name, cost, base, cost - base)
            rows.append(Row('hot path', name, cost, 'µs/req', base,
                            'no-op filter', '<= 1.02'))
        return rows


if __name__ == '__main__':
    main(run, __doc__)
