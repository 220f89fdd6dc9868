"""Two proxies per site (``autosync-pair up --proxies 2``), sharing the
site's memcached, as behind a load balancer: a change through either
proxy reaches the other site; a request from another site, once taken
by one proxy, is refused by the other (the nonce ledger is the site's
memcached, replay.py); and the reconciler and ``autosync status`` reach
a site through whichever of its proxies the realm names.
"""

import contextlib
import re
from typing import Iterator

import pytest
from swiftclient import client

from e2e_helpers import (
    ACCOUNT,
    Sites,
    assert_synced_both_ways,
    behind_autosync,
    head_container,
    pair_of_its_own,
    raw,
    signed_put,
    status_reports,
    unique,
)

PROXIES = 2


duo = pair_of_its_own(proxies=PROXIES)


@pytest.fixture
def sites(duo):
    with Sites(duo) as both:
        yield both


def through(cluster, proxy: int) -> client.Connection:
    """test:tester's connection to ``cluster`` through its proxy number
    ``proxy`` (0 first); the token is the site's (one memcached)."""
    _, token = cluster.get_auth()
    return client.Connection(
        preauthurl='%s/v1/%s' % (cluster.proxy_urls[proxy], ACCOUNT),
        preauthtoken=token, retries=0)


def proxy_port(cluster, proxy: int) -> int:
    return int(cluster.proxy_urls[proxy].rsplit(':', 1)[1])


def test_each_cluster_runs_its_proxies(duo):
    for cluster in duo.clusters:
        assert len(cluster.proxy_urls) == PROXIES
        for proxy in range(PROXIES):
            assert through(cluster, proxy).head_account()


@pytest.mark.parametrize('origin,proxy', [('a', 1), ('b', 1), ('a', 0)])
def test_a_change_through_either_proxy_reaches_the_other_site(
        duo, sites, origin, proxy):
    here = duo.a if origin == 'a' else duo.b
    name = sites.container(prefix='proxies-')
    conn = through(here, proxy)
    conn.put_container(name)
    conn.post_container(name, {'X-Container-Meta-Colour': 'green'})
    assert_synced_both_ways(sites, name)
    for other in duo.clusters:
        for each in range(PROXIES):
            assert head_container(through(other, each), name)[
                'x-container-meta-colour'] == 'green'


@pytest.mark.parametrize('first,replay', [(0, 1), (1, 0)])
def test_a_peer_request_replayed_to_the_other_proxy_is_refused(
        duo, first, replay):
    container = unique('replay-')
    headers, _ = signed_put(duo, container)
    status, _, body = raw(duo.b, 'PUT', container, headers, token=None,
                          port=proxy_port(duo.b, first))
    assert status == 201, body
    duo.b.connection().delete_container(container)
    status, _, body = raw(duo.b, 'PUT', container, headers, token=None,
                          port=proxy_port(duo.b, replay))
    assert (status, b'already used' in body) == (401, True), body
    for cluster in duo.clusters:
        assert head_container(cluster.connection(), container) is None


@contextlib.contextmanager
def realm_names_second_proxy(duo, at: str, of: str) -> Iterator[None]:
    """``at``'s realm conf with cluster ``of`` at its second proxy, as a
    load balancer may send there; put back after."""
    path = duo.layout.conf(at, 'container-sync-realms.conf')
    with open(path) as f:
        original = f.read()
    cluster = duo.a if of == 'a' else duo.b
    changed, count = re.subn(
        r'(?m)^(cluster_%s = ).*$' % of,
        lambda m: m.group(1) + cluster.proxy_urls[1] + '/v1/', original)
    assert count == 1, original
    with open(path, 'w') as f:
        f.write(changed)
    try:
        yield
    finally:
        with open(path, 'w') as f:
            f.write(original)


def peer_requests(duo, cluster: str, log_name: str, name: str) -> list:
    """The methods of the requests from another site for container
    ``name`` in the log of ``cluster``'s proxy ``log_name``."""
    path = re.compile(r' (HEAD|GET|PUT|POST|DELETE) /v1/%s/%s(%%3F| )' % (
        ACCOUNT, re.escape(name)))
    with open(duo.layout.log(cluster, log_name)) as f:
        return [found.group(1) for found in map(path.search, f)
                if found and ' as:peer ' in found.string]


def test_status_and_the_reconciler_reach_b_through_its_second_proxy(
        duo, sites):
    name = sites.container(prefix='proxies-')
    sites.a.put_container(name)
    behind_autosync(duo, 'b', name, 'X-Container-Sync-Key=not-the-ring')
    before = {log: len(peer_requests(duo, 'b', log, name))
              for log in ('proxy-server', 'proxy-server-2')}
    with realm_names_second_proxy(duo, at='a', of='b'):
        code, (report,) = status_reports(duo, '%s/%s' % (ACCOUNT, name))
        assert (code, report['verdict']) == (1, 'broken ring')
        duo.run('reconcile', 'a')
        code, (report,) = status_reports(duo, '%s/%s' % (ACCOUNT, name))
        assert (code, report['verdict']) == (0, 'in sync')
    assert_synced_both_ways(sites, name)
    second = peer_requests(duo, 'b', 'proxy-server-2', name)[
        before['proxy-server-2']:]
    assert second.count('POST') == 1 and 'HEAD' in second, second
    assert len(peer_requests(duo, 'b', 'proxy-server', name)) == \
        before['proxy-server']
