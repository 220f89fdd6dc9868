"""Listing an account's containers at one site (clusters.py: this site
through its InternalClient, another through signed GETs, paged) and at
several at once (account_listing.py)."""

from swift.common.internal_client import UnexpectedResponse
from swift.common.swob import Response

from autosync import clusters
from autosync.account_listing import every_name, list_at
from autosync.clusters import ContainerListing, LocalCluster, PeerCluster
from autosync.directory import SiteDirectory
from autosync.placement import parse_site

from helpers import ACCOUNT, A, B, C, FakeLogger

NAMES = ('c1', 'c2', 'c3', 'c4', 'c5')


def entries(names):
    return [{'name': name, 'count': 0, 'bytes': 0,
             'last_modified': '2026-01-02T03:04:05.000000'}
            for name in names]


def peer_of(here, there):
    """``there`` as ``here``'s ``autosync status`` reaches it."""
    cfg = here.app.cfg
    return PeerCluster(cfg.my_cluster, parse_site(there.url),
                       SiteDirectory(cfg), 1, 5, FakeLogger())


def account_gets(site):
    return site.swift.calls_for('GET', ACCOUNT)


# -- another site --

def test_peer_lists_every_container_in_pages_from_the_last_name(
        sites, monkeypatch):
    monkeypatch.setattr(clusters, 'LISTING_LIMIT', 2)
    a, b = sites.url_style(2)
    b.swift.listings[ACCOUNT] = entries(NAMES)
    listing = peer_of(a, b).list_containers('AUTH_test')
    assert listing == ContainerListing(b.url, NAMES)
    markers = [call[3]['QUERY_STRING'] for call in account_gets(b)]
    assert markers == ['format=json&limit=2',
                       'format=json&limit=2&marker=c2',
                       'format=json&limit=2&marker=c4']
    assert all(call[3]['swift_owner'] for call in account_gets(b))


def test_peer_page_exactly_full_asks_once_more(sites, monkeypatch):
    monkeypatch.setattr(clusters, 'LISTING_LIMIT', 5)
    a, b = sites.url_style(2)
    b.swift.listings[ACCOUNT] = entries(NAMES)
    assert peer_of(a, b).list_containers('AUTH_test').names == NAMES
    assert len(account_gets(b)) == 2


def test_peer_marker_of_a_non_ascii_name_is_quoted(sites, monkeypatch):
    monkeypatch.setattr(clusters, 'LISTING_LIMIT', 1)
    a, b = sites.url_style(2)
    b.swift.listings[ACCOUNT] = entries(['grün', 'zz'])
    assert peer_of(a, b).list_containers('AUTH_test').names == (
        'grün', 'zz')
    assert account_gets(b)[1][3]['QUERY_STRING'].endswith(
        'marker=gr%C3%BCn')


def test_peer_without_the_account_lists_no_containers(sites):
    a, b = sites.url_style(2)
    del b.swift.store[ACCOUNT]
    assert peer_of(a, b).list_containers('AUTH_test') == ContainerListing(
        b.url, ())


def test_peer_that_does_not_answer_is_not_listed(sites, dead_url):
    a, = sites.url_style(1, also=(dead_url,))
    cfg = a.app.cfg
    listing = PeerCluster(cfg.my_cluster, parse_site(dead_url),
                          SiteDirectory(cfg), 1, 5,
                          FakeLogger()).list_containers('AUTH_test')
    assert not listing.listed
    assert listing.names is None
    assert listing.detail


def test_peer_failing_a_later_page_is_not_listed(sites, monkeypatch):
    """Half a listing would hide the containers after it."""
    monkeypatch.setattr(clusters, 'LISTING_LIMIT', 2)
    a, b = sites.url_style(2)
    b.swift.listings[ACCOUNT] = entries(NAMES)
    original = b.swift.do_GET

    def failing_after_first(req, path, container):
        if req.params.get('marker'):
            return Response(status=503, body=b'overloaded')
        return original(req, path, container)
    b.swift.do_GET = failing_after_first
    listing = peer_of(a, b).list_containers('AUTH_test')
    assert listing.names is None
    assert listing.detail.startswith('503')


def test_peer_refusing_says_what_to_check(sites):
    a, b = sites.url_style(2, override_auth='false')
    listing = peer_of(a, b).list_containers('AUTH_test')
    assert listing.names is None
    assert listing.detail.startswith('403')
    assert 'override_auth = true' in listing.detail


def test_peer_answer_that_is_not_a_listing_is_not_listed(sites):
    a, b = sites.url_style(2)
    b.swift.do_GET = lambda req, path, container: Response(
        status=200, body=b'<html>a captive portal</html>')
    listing = peer_of(a, b).list_containers('AUTH_test')
    assert listing.names is None
    assert 'not a JSON listing' in listing.detail


# -- this site --

class Containers(object):
    """What LocalCluster uses of InternalClient to list (which pages by
    marker itself)."""

    def __init__(self, names=(), error=None):
        self.names = names
        self.error = error

    def iter_containers(self, account):
        if self.error:
            raise self.error
        for entry in entries(self.names):
            yield entry


def test_local_lists_every_container():
    listing = LocalCluster(parse_site(A), Containers(NAMES)
                           ).list_containers('AUTH_test')
    assert listing == ContainerListing(A, NAMES)


def test_local_that_fails_midway_is_not_listed_and_says_why():
    failing = UnexpectedResponse('Unexpected response: 503',
                                 Response(status=503))
    listing = LocalCluster(parse_site(A), Containers(
        error=failing)).list_containers('AUTH_test')
    assert listing == ContainerListing(A, None, '503 Service Unavailable')


# -- several sites --

class Listed(object):
    def __init__(self, listing):
        self.listing = listing

    def list_containers(self, account):
        return self.listing


def test_every_site_is_listed_in_the_order_given():
    listings = {A: ContainerListing(A, ('c1',)),
                B: ContainerListing(B, None, 'connection refused'),
                C: ContainerListing(C, ())}
    found = list_at(lambda site: Listed(listings[site.name]), 'AUTH_test',
                    [parse_site(name) for name in (C, A, B)])
    assert found == (listings[C], listings[A], listings[B])


def test_no_site_no_listing():
    assert list_at(None, 'AUTH_test', []) == ()


def test_every_name_is_each_container_once_in_listing_order():
    assert every_name([ContainerListing(A, ('b', 'd')),
                       ContainerListing(B, None, 'timeout'),
                       ContainerListing(C, ('a', 'b', 'é'))]) == [
        'a', 'b', 'd', 'é']


def test_peer_listing_that_does_not_go_past_its_marker_stops(
        sites, monkeypatch):
    """A site that answers every page with the same names must not keep
    the status asking for ever."""
    monkeypatch.setattr(clusters, 'LISTING_LIMIT', 2)
    a, b = sites.url_style(2)
    b.swift.do_GET = lambda req, path, container: Response(
        status=200, body=b'[{"name": "c1"}, {"name": "c2"}]',
        content_type='application/json')
    listing = peer_of(a, b).list_containers('AUTH_test')
    assert listing.names is None
    assert listing.detail == "the listing did not go past 'c2'"
    assert len(b.swift.calls) <= 3
