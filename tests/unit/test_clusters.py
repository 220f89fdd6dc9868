"""Reading and repairing one container at one site (clusters.py): this
site through an InternalClient-shaped shim, another through signed
requests to its filter."""

import pytest
from swift.common.utils import Timestamp

from autosync import config
from autosync.clusters import LocalCluster, PeerCluster, acting_as_owner
from autosync.directory import SiteDirectory
from autosync.placement import parse_site
from autosync.repair import Repair

from helpers import (
    CONTAINER,
    FakeLogger,
    FakeSwift,
    InternalClientShim,
    client_request,
)

HERE = 'http://here.example.com:8080'
LISTING = [
    {'name': 'o1', 'last_modified': '2026-01-02T03:04:05.000000'},
    {'name': 'o2', 'last_modified': '2026-03-02T03:04:05.000000'},
    {'name': 'o3', 'last_modified': '2026-02-02T03:04:05.000000'}]


def peer_of(here, there):
    """``there`` as ``here``'s reconciler reaches it."""
    cfg = here.app.cfg
    return PeerCluster(cfg.my_cluster, parse_site(there.url),
                       SiteDirectory(cfg), 1, 5, FakeLogger())


def local(swift):
    return LocalCluster(parse_site(HERE), InternalClientShim(swift))


class Failing(object):
    def make_request(self, *args, **kwargs):
        raise ConnectionRefusedError('no proxy here')


@pytest.fixture
def made(sites):
    """A and B holding a container made at A."""
    a, b = sites.url_style(2)
    client_request(CONTAINER).get_response(a.app)
    return a, b


# -- this site --

def test_acting_as_owner_makes_every_request_the_owners():
    swift = FakeSwift()
    client_request(CONTAINER, 'PUT', authorize=None).get_response(
        acting_as_owner(swift))
    assert swift.calls[-1][3]['swift_owner'] is True


def test_local_head_reads_backend_timestamps(swift):
    client_request(CONTAINER).get_response(swift)
    state = local(swift).head('AUTH_test', 'c')
    assert state.exists
    assert state.put_timestamp == swift.put_timestamps[CONTAINER]


def test_local_head_that_fails_is_unreachable_with_the_reason():
    state = LocalCluster(parse_site(HERE), Failing()).head('AUTH_test', 'c')
    assert not state.reachable
    assert state.detail == 'ConnectionRefusedError: no proxy here'


def test_local_apply_sets_autosync_records_as_sysmeta(swift):
    ok, _ = local(swift).apply('AUTH_test', 'c', Repair(
        HERE, 'PUT', 'missing', placement='a, b', placement_version='1',
        changed_at='2', sync_to='http://b/v1/AUTH_test/c', sync_key='k'))
    stored = swift.store[CONTAINER]
    assert ok
    assert stored['X-Container-Sysmeta-Autosync-Placement'] == 'a, b'
    assert stored['X-Container-Sysmeta-Autosync-Placement-Version'] == '1'
    assert stored['X-Container-Sysmeta-Autosync-Changed-At'] == '2'
    assert stored['X-Container-Sync-Key'] == 'k'


def test_local_apply_removes_metadata_and_acls(swift):
    client_request(CONTAINER).get_response(swift)
    local(swift).apply('AUTH_test', 'c', Repair(
        HERE, 'POST', 'metadata', remove=('x-container-meta-old',
                                          'x-container-read')))
    sent = swift.calls[-1][2]
    assert sent['X-Remove-Container-Meta-Old'] == 'x'
    assert sent['X-Container-Read'] == ''
    assert 'X-Container-Sync-To' not in sent


def test_local_apply_refused_says_what_swift_answered(swift):
    swift.forced[('POST', CONTAINER)] = 507
    ok, detail = local(swift).apply('AUTH_test', 'c',
                                    Repair(HERE, 'POST', 'ring'))
    assert (ok, detail) == (False, '507 Insufficient Storage')


def test_local_delete_of_a_container_already_gone_is_done(swift):
    ok, _ = local(swift).apply('AUTH_test', 'c',
                               Repair(HERE, 'DELETE', 'deleted'))
    assert ok


def test_local_newest_object_from_the_listing(swift):
    client_request(CONTAINER).get_response(swift)
    swift.listings[CONTAINER] = LISTING
    assert local(swift).newest_object('AUTH_test', 'c') == (
        '2026-03-02T03:04:05.000000', 3)


# -- another site --

def test_peer_head_reads_the_exposed_state(made):
    a, b = made
    state = peer_of(a, b).head('AUTH_test', 'c')
    assert state.exists
    assert state.put_timestamp == b.swift.put_timestamps[CONTAINER]
    assert state.placement == '%s, %s' % (a.url, b.url)
    assert state.sync_key == b.swift.store[CONTAINER]['X-Container-Sync-Key']


def test_peer_head_of_a_deleted_container_is_deleted(made):
    a, b = made
    client_request(CONTAINER, 'DELETE').get_response(a.app)
    state = peer_of(a, b).head('AUTH_test', 'c')
    assert state.deleted
    assert Timestamp(state.delete_timestamp) > 0


def test_peer_not_trusting_signatures_as_owner_is_unreachable(sites):
    a, b = sites.url_style(2, override_auth='false')
    state = peer_of(a, b).head('AUTH_test', 'c')
    assert not state.reachable
    assert state.detail.startswith('403 ')
    assert 'override_auth = true' in state.detail


def test_peer_down_is_unreachable(sites, dead_url):
    a, = sites.url_style(1, also=(dead_url,))
    peer = PeerCluster(a.app.cfg.my_cluster, parse_site(dead_url),
                       SiteDirectory(a.app.cfg), 1, 5, FakeLogger())
    state = peer.head('AUTH_test', 'c')
    assert (state.status, state.detail) == (None, 'connection refused')


def test_peer_whose_realm_endpoint_is_not_a_url_is_unreachable(
        realms_conf):
    """``cluster_b = 127.0.0.1:8080/v1/`` (no http://): say where the
    mistake is."""
    realms = realms_conf([('a', 'http://127.0.0.1:1'),
                          ('b', '127.0.0.1:2')]).load()
    cfg = config.parse({'autosync_my_cluster': '//r1/a',
                        'autosync_placement': '//r1/a, //r1/b'}, realms)
    peer = PeerCluster(cfg.my_cluster, parse_site('//r1/b'),
                       SiteDirectory(cfg, realms), 1, 5, FakeLogger())
    state = peer.head('AUTH_test', 'c')
    assert not state.reachable
    assert state.detail == (
        "the endpoint of //r1/b in container-sync-realms.conf, "
        "'127.0.0.1:2/v1/', is not an http(s):// URL")


def test_peer_apply_changes_that_site_only(sites):
    a, b, c = sites.url_style(3)
    client_request(CONTAINER).get_response(a.app)
    ok, _ = peer_of(a, b).apply('AUTH_test', 'c', Repair(
        b.url, 'POST', 'metadata',
        metadata={'x-container-meta-colour': 'red'}))
    assert ok
    assert b.swift.store[CONTAINER]['X-Container-Meta-Colour'] == 'red'
    assert 'X-Container-Meta-Colour' not in c.swift.store[CONTAINER]
    assert c.methods == ['PUT']


def test_peer_apply_records_placement_and_changed_at(sites):
    a, b = sites.url_style(2)
    ok, _ = peer_of(a, b).apply('AUTH_test', 'c', Repair(
        b.url, 'PUT', 'missing', placement='%s, %s' % (a.url, b.url),
        placement_version='0000001000.00000', changed_at='0000002000.00000',
        sync_to=a.url + CONTAINER, sync_key='k'))
    stored = b.swift.store[CONTAINER]
    assert ok
    assert stored['X-Container-Sysmeta-Autosync-Placement-Version'] == \
        '0000001000.00000'
    assert stored['X-Container-Sysmeta-Autosync-Changed-At'] == \
        '0000002000.00000'
    assert stored['X-Container-Sync-To'] == a.url + CONTAINER


def test_peer_delete_of_a_container_already_gone_is_done(sites):
    a, b = sites.url_style(2)
    ok, detail = peer_of(a, b).apply('AUTH_test', 'c',
                                     Repair(b.url, 'DELETE', 'deleted'))
    assert ok
    assert detail.startswith('404')


def test_peer_newest_object_from_a_signed_listing(made):
    a, b = made
    b.swift.listings[CONTAINER] = LISTING
    assert peer_of(a, b).newest_object('AUTH_test', 'c') == (
        '2026-03-02T03:04:05.000000', 3)
    assert b.swift.calls_for('GET')[-1][3]['swift_owner'] is True


def test_peer_newest_object_of_a_missing_container_is_none(sites):
    a, b = sites.url_style(2)
    assert peer_of(a, b).newest_object('AUTH_test', 'c') == (None, 0)
