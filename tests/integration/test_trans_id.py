"""A change can be followed across sites' logs: the peer request autosync
sends for it carries A's txn id in X-Trans-Id-Extra, and B's catch_errors
appends its first 32 characters to the txn id B logs."""

import os

import pytest

from e2e_helpers import Sites

# catch_errors keeps this much of X-Trans-Id-Extra (swift.common.
# middleware.catch_errors).
TRANS_ID_EXTRA_CHARS = 32


@pytest.fixture
def sites(pair):
    with Sites(pair) as both:
        yield both


def log_size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except FileNotFoundError:
        return 0


def lines_since(path: str, offset: int) -> list:
    with open(path, 'rb') as log:
        log.seek(offset)
        return log.read().decode('utf-8', 'replace').splitlines()


def test_b_proxy_log_shows_the_txn_id_of_the_change_at_a(pair, sites):
    container = sites.container(prefix='e2e-txn')
    b_log = pair.layout.log(pair.b.name, 'proxy-server')
    start = log_size(b_log)
    answer = {}
    sites.a.put_container(container, response_dict=answer)
    origin = answer['headers']['x-trans-id'][:TRANS_ID_EXTRA_CHARS]

    def b_logged_the_put():
        # B's access log line for the peer's PUT; its txn id is B's own
        # with A's after it: "tx<B's>-<time>-<A's first 32>".
        return [line for line in lines_since(b_log, start)
                if ' PUT /v1/AUTH_test/%s ' % container in line
                and '-' + origin in line]

    found = pair.wait_until(b_logged_the_put, timeout=10)
    assert len(found) == 1, found
