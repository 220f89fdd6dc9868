"""Which sites the inspector reads for one container (inspection.py): the
sites of the placement this site recorded, those of the newest placement
any of them recorded, and every configured site."""

from swift.common.utils import Timestamp

from autosync import config
from autosync.inspection import Inspector
from autosync.placement import (
    next_in_ring,
    parse_placement,
    parse_site,
    sync_target,
)
from autosync.state import ContainerState

from helpers import A, B, C

ACCOUNT = 'AUTH_test'
CONTAINER = 'c'
KEY = 'the-ring-key'
OLDER = Timestamp(1000).internal
NEWER = Timestamp(2000).internal


class FakeCluster(object):
    """One site: answers every HEAD with its state and counts them."""

    def __init__(self, state: ContainerState):
        self.state = state
        self.heads = 0

    def head(self, account: str, container: str) -> ContainerState:
        self.heads += 1
        return self.state


def wired(site: str, placement: str, version: str) -> ContainerState:
    """``site``'s copy recording ``placement`` and syncing to the site
    after it there."""
    sites = parse_placement(placement)
    following = next_in_ring(sites, parse_site(site))
    return ContainerState(
        site, 204, placement=placement, placement_version=version,
        sync_to=sync_target(following, ACCOUNT, CONTAINER), sync_key=KEY)


def inspector(clusters, configured=(A, B, C)):
    cfg = config.parse({'autosync_my_cluster': A,
                        'autosync_placement': ', '.join(configured),
                        'autosync_key': 'k'})
    by_site = {parse_site(name): cluster for name, cluster in clusters.items()}
    found = Inspector(cfg, None, None, None)
    found.cluster = lambda site: by_site[site]
    return found


def crossed_changes():
    """What two crossing owner changes can leave: A dropped C and was
    told too late that C dropped A (newer); B kept A's change."""
    return {A: FakeCluster(wired(A, '%s, %s' % (A, B), OLDER)),
            B: FakeCluster(wired(B, '%s, %s' % (A, B), OLDER)),
            C: FakeCluster(wired(C, '%s, %s' % (B, C), NEWER))}


def test_site_no_placement_read_names_is_found_and_unwired():
    clusters = crossed_changes()
    found = inspector(clusters).inspect(
        ACCOUNT, CONTAINER, guess=parse_placement([A, B]))
    assert [site.name for site in found.placement] == [B, C]
    assert found.version == NEWER
    repairs = {repair.site: repair for repair in found.diagnosis.repairs}
    assert repairs[A].method == 'POST'
    assert (repairs[A].sync_to, repairs[A].sync_key) == ('', '')
    assert repairs[B].sync_to == sync_target(parse_site(C), ACCOUNT,
                                             CONTAINER)


def test_every_site_is_read_once():
    clusters = crossed_changes()
    inspector(clusters).inspect(ACCOUNT, CONTAINER,
                                guess=parse_placement([A, B]))
    assert [cluster.heads for cluster in clusters.values()] == [1, 1, 1]


def test_configured_site_spelled_otherwise_is_read_once():
    clusters = crossed_changes()
    found = inspector(clusters, (A, B.upper(), C)).inspect(
        ACCOUNT, CONTAINER, guess=parse_placement([A, B]))
    assert [cluster.heads for cluster in clusters.values()] == [1, 1, 1]
    assert sorted(found.states) == [A, B, C]


def test_a_chain_of_newer_placements_is_followed_to_the_newest():
    """B recorded a newer placement naming C, which recorded a newer one
    still, naming D: none of C, D is configured, and D is read too."""
    d = 'http://d.example.com:8080'
    newest = Timestamp(3000).internal
    clusters = {A: FakeCluster(wired(A, '%s, %s' % (A, B), OLDER)),
                B: FakeCluster(wired(B, '%s, %s' % (B, C), NEWER)),
                C: FakeCluster(wired(C, '%s, %s' % (C, d), newest)),
                d: FakeCluster(wired(d, '%s, %s' % (C, d), newest))}
    found = inspector(clusters, (A, B)).inspect(
        ACCOUNT, CONTAINER, guess=parse_placement([A, B]))
    assert [site.name for site in found.placement] == [C, d]
    assert [cluster.heads for cluster in clusters.values()] == [1, 1, 1, 1]
    assert {r.site for r in found.diagnosis.repairs} == {A, B}


def test_a_site_whose_listing_holds_it_is_read_though_nothing_names_it():
    """C alone holds the container, placed on C and D: the configured
    sites hold nothing that names C, and C's account listing does."""
    d = 'http://d.example.com:8080'
    clusters = {A: FakeCluster(ContainerState(A, 404)),
                B: FakeCluster(ContainerState(B, 404)),
                C: FakeCluster(wired(C, '%s, %s' % (C, d), NEWER)),
                d: FakeCluster(ContainerState(d, 404))}
    found = inspector(clusters, (A, B)).inspect(
        ACCOUNT, CONTAINER, also=[parse_site(C)])
    assert [site.name for site in found.placement] == [C, d]
    assert found.diagnosis.verdict == 'missing at %s' % d
    assert [cluster.heads for cluster in clusters.values()] == [1, 1, 1, 1]


def test_a_site_named_also_and_configured_is_read_once():
    clusters = crossed_changes()
    inspector(clusters).inspect(ACCOUNT, CONTAINER,
                                also=[parse_site(A), parse_site(C)])
    assert [cluster.heads for cluster in clusters.values()] == [1, 1, 1]
