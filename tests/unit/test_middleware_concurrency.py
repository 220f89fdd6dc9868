"""Rule 8: concurrent requests never get each other's answers."""

import random

import eventlet

from helpers import ACCOUNT, client_request

REQUESTS = 200
FAILING = set(range(0, REQUESTS, 10))  # a peer refuses these


def jittery(app):
    """The peer's app, answering after a random short delay."""
    def answer(env, start_response):
        eventlet.sleep(random.uniform(0, 0.02))
        return app(env, start_response)
    return answer


def path_of(number):
    return '%s/c%03d' % (ACCOUNT, number)


def put(here, number):
    resp = client_request(path_of(number), headers={
        'X-Container-Meta-Number': str(number)}).get_response(here.app)
    return number, resp.status_int, resp.body


def test_concurrent_requests_never_mix(sites):
    # Timeouts far above what 200 requests take on a busy machine: one
    # timeout would error-limit the site and fail the requests after it,
    # which is not what this test is about (seen at load average 20).
    here, b, c = sites.url_style(3, conn_timeout='60', node_timeout='60')
    for peer in (b, c):
        peer.app = jittery(peer.app)
    for number in FAILING:
        c.swift.forced[('PUT', path_of(number))] = 507
    pool = eventlet.GreenPool(REQUESTS)
    results = list(pool.imap(lambda n: put(here, n), range(REQUESTS)))

    ring = ((here, b), (b, c), (c, here))
    for number, status, body in results:
        path = path_of(number)
        if number in FAILING:
            assert status == 503
            assert path.encode() in body
            assert ('%s: 507' % c.url).encode() in body
        else:
            assert (status, body) == (201, b'')
        stored_at = [(site, after) for site, after in ring
                     if path in site.swift.store]
        assert len(stored_at) == (2 if number in FAILING else 3)
        for site, after in stored_at:
            stored = site.swift.store[path]
            assert stored['X-Container-Meta-Number'] == str(number)
            assert stored['X-Container-Sync-To'] == after.url + path
        assert len({site.swift.store[path]['X-Container-Sync-Key']
                    for site, after in stored_at}) == 1
    assert len({here.swift.store[path_of(n)]['X-Container-Sync-Key']
                for n in range(REQUESTS)}) == REQUESTS
