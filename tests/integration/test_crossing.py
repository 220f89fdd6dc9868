"""Crossing writes on the real pair (issue 12, item 6): the same container
or account changed at A and at B at the same moment, every site up. Each
crossing is run 8 times; after each, without a reconciler pass, both
sites hold the same thing: the newer change, whole (crossing.py)."""

import threading

import pytest
from swiftclient import client

from e2e_helpers import (
    assert_synced_both_ways,
    connections,
    head_container,
    purge,
    unique,
)

ROUNDS = 8


@pytest.fixture
def crossing(pair):
    """Two connections per site (one per thread), and cleanup."""
    made = []
    conns = connections(pair)
    yield conns, made
    for name in made:
        purge(list(conns.values()), name)
    for conn in conns.values():
        conn.post_account({'X-Remove-Account-Meta-Crossing': 'x',
                           'X-Remove-Account-Meta-Only-A': 'x',
                           'X-Remove-Account-Meta-Only-B': 'x'})


def at_once(pair, at_a, at_b):
    """Run ``at_a(conn_a)`` and ``at_b(conn_b)`` in two threads released
    together; what each answered (a status, or the exception)."""
    fresh = connections(pair)
    barrier = threading.Barrier(2)
    said = {}

    def run(name, call):
        barrier.wait()
        try:
            response = {}
            call(fresh[name], response)
            said[name] = response.get('status')
        except client.ClientException as err:
            said[name] = '%s %s' % (err.http_status, (
                err.http_response_content or b'')[:300])

    threads = [threading.Thread(target=run, args=('a', at_a)),
               threading.Thread(target=run, args=('b', at_b))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return said


def user_metadata(headers):
    return {name: value for name, value in (headers or {}).items()
            if name.startswith(('x-container-meta-', 'x-account-meta-'))}


class Sides:
    def __init__(self, conns):
        self.a, self.b = conns['a'], conns['b']


def test_crossing_posts_leave_both_sites_with_the_newer(pair, crossing):
    conns, made = crossing
    name = unique('cross-post-')
    made.append(name)
    conns['a'].put_container(name)
    for i in range(ROUNDS):
        said = at_once(
            pair,
            lambda c, r, i=i, name=name: c.post_container(name, {
                'X-Container-Meta-Colour': 'a%d' % i,
                'X-Container-Meta-Only-A': str(i)}, response_dict=r),
            lambda c, r, i=i, name=name: c.post_container(name, {
                'X-Container-Meta-Colour': 'b%d' % i,
                'X-Container-Meta-Only-B': str(i)}, response_dict=r))
        at_a = user_metadata(head_container(conns['a'], name))
        at_b = user_metadata(head_container(conns['b'], name))
        assert at_a == at_b, (i, said)
        assert at_a['x-container-meta-colour'] in ('a%d' % i, 'b%d' % i)


def test_a_delete_crossing_a_put_leaves_both_sites_alike(pair, crossing):
    conns, made = crossing
    name = unique('cross-del-')
    made.append(name)
    for i in range(ROUNDS):
        if head_container(conns['a'], name) is None:
            conns['a'].put_container(name)
        said = at_once(
            pair,
            lambda c, r, name=name: c.delete_container(
                name, response_dict=r),
            lambda c, r, i=i, name=name: c.put_container(
                name, {'X-Container-Meta-Round': str(i)}, response_dict=r))
        at_a = head_container(conns['a'], name)
        at_b = head_container(conns['b'], name)
        assert (at_a is None) == (at_b is None), (i, said, at_a, at_b)
        if at_a is not None:
            assert_synced_both_ways(Sides(conns), name)
            assert user_metadata(at_a) == user_metadata(at_b), (i, said)


def test_crossing_puts_leave_one_container_wired_alike(pair, crossing):
    conns, made = crossing
    for i in range(ROUNDS):
        name = unique('cross-put-')
        made.append(name)
        said = at_once(
            pair,
            lambda c, r, i=i, name=name: c.put_container(
                name, {'X-Container-Meta-Colour': 'a'}, response_dict=r),
            lambda c, r, i=i, name=name: c.put_container(
                name, {'X-Container-Meta-Colour': 'b'}, response_dict=r))
        assert_synced_both_ways(Sides(conns), name)
        at_a = user_metadata(head_container(conns['a'], name))
        at_b = user_metadata(head_container(conns['b'], name))
        assert at_a == at_b, (i, said)


def test_crossing_account_posts_leave_both_sites_alike(pair, crossing):
    conns, _ = crossing
    for i in range(ROUNDS):
        said = at_once(
            pair,
            lambda c, r, i=i: c.post_account({
                'X-Account-Meta-Crossing': 'a%d' % i,
                'X-Account-Meta-Only-A': str(i)}, response_dict=r),
            lambda c, r, i=i: c.post_account({
                'X-Account-Meta-Crossing': 'b%d' % i,
                'X-Account-Meta-Only-B': str(i)}, response_dict=r))
        at_a = user_metadata(conns['a'].head_account())
        at_b = user_metadata(conns['b'].head_account())
        assert at_a == at_b, (i, said)
        assert at_a['x-account-meta-crossing'] in ('a%d' % i, 'b%d' % i)
