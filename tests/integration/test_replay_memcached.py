"""A signed request is never accepted twice at a site, also when the
site's memcached (where its proxies record the nonces they accepted) is
restarted or stopped: a replayed PUT does not re-create a container
deleted since.

A site has several proxies; B's one proxy process, restarted, plays
another proxy of B (it knows none of the nonces the first one saw).
The pair is this module's own: restarting B's memcached logs out every
tempauth token at B.
"""

import time

import pytest

from autosync.pair import control, process, services
from autosync.replay import IN_FLIGHT

from e2e_helpers import (
    head_container,
    pair_for_module,
    raw,
    signed_put,
    unique,
)

PROXY = 'proxy-server'
MEMCACHED = services.MEMCACHED.name


@pytest.fixture(scope='module')
def duo(pair_factory):
    yield from pair_for_module(pair_factory)


def put_then_delete(duo):
    """A container made at B by a signed PUT from A, then deleted by
    its owner: (container, the PUT's headers, its signing time)."""
    container = unique('replay-')
    headers, signed_at = signed_put(duo, container)
    status, _, body = raw(duo.b, 'PUT', container, headers, token=None)
    assert status == 201, body
    duo.b.connection().delete_container(container)
    assert head_container(duo.b.connection(), container) is None
    return container, headers, signed_at


def stop(duo, *names: str) -> None:
    process.stop([duo.layout.pid_file('b', name) for name in names])


def start_proxy_only(duo) -> None:
    """B's proxy again, its memcached still stopped."""
    proxy = next(s for s in services.SERVERS if s.name == PROXY)
    control.start_service(duo.layout, duo.settings, 'b', proxy)
    control.wait_for_servers(duo.layout, duo.settings, [('b', proxy)])


def older_than_in_flight(duo, signed_at: float) -> None:
    """Wait until a ledger that begins now takes a request signed at
    ``signed_at`` for old: one signed less than IN_FLIGHT seconds
    before the ledger began is taken as in flight (replay.py)."""
    def older():
        return time.time() > signed_at + IN_FLIGHT + 1
    duo.wait_until(older, timeout=IN_FLIGHT + 5)


def assert_not_accepted_now(answer, why: bytes) -> None:
    status, _, body = answer
    assert status == 503, (status, body)
    assert body.startswith(
        b'autosync: request from another site not accepted now: '), body
    assert why in body, body


def assert_replay(answer) -> None:
    status, _, body = answer
    assert status == 401, (status, body)
    assert b'already used' in body, body


def assert_deleted(duo, container: str) -> None:
    for cluster in duo.clusters:
        assert head_container(cluster.connection(), container) is None, \
            cluster.name


def test_replay_after_memcached_and_proxy_restart_is_refused(duo):
    container, headers, signed_at = put_then_delete(duo)
    older_than_in_flight(duo, signed_at)
    stop(duo, MEMCACHED, PROXY)
    duo.run('up')

    assert_not_accepted_now(
        raw(duo.b, 'PUT', container, headers, token=None),
        b'before this site began recording')
    assert_deleted(duo, container)
    # Once seen, a replay, as before the restart.
    assert_replay(raw(duo.b, 'PUT', container, headers, token=None))
    assert_deleted(duo, container)


def test_replay_to_the_same_proxy_after_memcached_restart_is_refused(duo):
    container, headers, _ = put_then_delete(duo)
    stop(duo, MEMCACHED)
    duo.run('up')

    # This proxy's own record of the nonces it accepted.
    assert_replay(raw(duo.b, 'PUT', container, headers, token=None))
    assert_deleted(duo, container)


def test_replay_while_memcached_is_stopped_is_refused(duo):
    container, headers, _ = put_then_delete(duo)
    fresh = unique('replay-')
    stop(duo, MEMCACHED, PROXY)
    try:
        start_proxy_only(duo)
        assert_not_accepted_now(
            raw(duo.b, 'PUT', container, headers, token=None),
            b'memcached')
        # A request never seen is refused too: no proxy can tell.
        fresh_headers, _ = signed_put(duo, fresh)
        assert_not_accepted_now(
            raw(duo.b, 'PUT', fresh, fresh_headers, token=None),
            b'memcached, where this site records')
    finally:
        duo.run('up')
    assert_deleted(duo, container)
    assert_deleted(duo, fresh)
    # memcached is back, new: this proxy saw the nonce while it was not.
    assert_replay(raw(duo.b, 'PUT', container, headers, token=None))
    assert_deleted(duo, container)


def test_changes_reach_b_right_after_its_memcached_restarted(duo):
    """The request that finds B's ledger new is in flight, not old:
    B takes it."""
    stop(duo, MEMCACHED, PROXY)
    duo.run('up')
    container = unique('replay-')
    a = duo.a.connection()
    try:
        a.put_container(container)
        assert head_container(duo.b.connection(), container) is not None
    finally:
        a.delete_container(container)
