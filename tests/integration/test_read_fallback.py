"""``read_fallback`` on real clusters: an object written at one site can
be read at every other site of its container before container-sync has
carried it, and only read: nothing is copied, listed, brought back after
a delete, or given to a request that auth did not allow.

Every proxy of the pairs here has ``read_fallback = true`` and the
container-sync daemons run once a day, so an object stays where it was
written until a test forces a pass (``sync_once``). A read served from
another site says so in X-Autosync-Read-From; one served from the site's
own store does not. The two-site pair (A <-> B) holds most tests; the
three-site one (A -> B -> C -> A) is for the ring walked backwards, and
last, for C reading past a B that is down.
"""

import hashlib
import json

import pytest

from autosync.pair import render
from autosync.protocol import READ_FROM_HEADER

from e2e_helpers import (
    NON_OWNER,
    connections,
    head_object,
    pair_for_module,
    purge,
    raw,
    stopped,
    unique,
)

# Long enough that no daemon pass comes unasked during the module.
NO_NATURAL_SYNC = 86400
BODY = b''.join(b'%04d: read before sync\n' % i for i in range(200))
READ_FROM = READ_FROM_HEADER.lower()


@pytest.fixture(scope='module')
def duo(pair_factory):
    yield from pair_for_module(pair_factory, read_fallback=True,
                               sync_interval=NO_NATURAL_SYNC)


@pytest.fixture(scope='module')
def trio(pair_factory):
    yield from pair_for_module(pair_factory, read_fallback=True,
                               sync_interval=NO_NATURAL_SYNC, sites=3)


@pytest.fixture(scope='module')
def conns(duo):
    return connections(duo)


@pytest.fixture(scope='module')
def conns3(trio):
    return connections(trio)


def made_at_a(conns):
    """A container of the test's own, created at A (and so at every
    site), holding ``obj`` written at A only."""
    container = unique('fallback')
    conns['a'].put_container(container)
    conns['a'].put_object(container, 'obj', BODY,
                          content_type='text/x-e2e')
    return container


@pytest.fixture
def container(conns):
    name = made_at_a(conns)
    yield name
    purge(conns.values(), name)


@pytest.fixture
def container3(conns3):
    name = made_at_a(conns3)
    yield name
    purge(conns3.values(), name)


@pytest.fixture(scope='module')
def synced(duo, conns):
    """A container whose objects ``kept`` and ``deleted``, written at
    A, one forced container-sync pass at A has copied to B."""
    name = unique('fallback')
    conns['a'].put_container(name)
    for obj in ('kept', 'deleted'):
        conns['a'].put_object(name, obj, BODY)
    duo.a.sync_once()
    yield name
    purge(conns.values(), name)


def site(cluster: str) -> str:
    return render.realm_site(cluster)


def lowered(headers: dict) -> dict:
    return {name.lower(): value for name, value in headers.items()}


def listed(conn, container: str) -> list:
    return [entry['name']
            for entry in conn.get_container(container, full_listing=True)[1]]


def test_get_at_b_is_a_copy_read_from_a(conns, container):
    at_a = conns['a'].head_object(container, 'obj')
    headers, body = conns['b'].get_object(container, 'obj')
    assert body == BODY
    assert headers[READ_FROM] == site('a')
    for name in ('etag', 'x-timestamp', 'content-type', 'content-length'):
        assert headers.get(name) == at_a[name], name


def test_head_at_b_is_read_from_a(conns, container):
    at_a = conns['a'].head_object(container, 'obj')
    headers = conns['b'].head_object(container, 'obj')
    assert headers[READ_FROM] == site('a')
    for name in ('etag', 'x-timestamp', 'content-length'):
        assert headers.get(name) == at_a[name], name


def test_read_at_a_itself_does_not_say_read_from(conns, container):
    assert READ_FROM not in conns['a'].get_object(container, 'obj')[0]


def test_listing_at_b_does_not_show_the_object_before_sync(conns,
                                                           container):
    conns['b'].get_object(container, 'obj')  # a fallback read first
    assert listed(conns['b'], container) == []
    assert conns['b'].head_container(
        container)['x-container-object-count'] == '0'
    assert listed(conns['a'], container) == ['obj']


def test_range_get_at_b_is_206_with_those_bytes(duo, container):
    status, headers, body = raw(duo.b, 'GET', container + '/obj',
                                headers={'Range': 'bytes=10-29'})
    headers = lowered(headers)
    assert status == 206, body
    assert body == BODY[10:30]
    assert headers['content-range'] == 'bytes 10-29/%d' % len(BODY)
    assert headers[READ_FROM] == site('a')


def test_if_none_match_the_etag_at_b_is_304(duo, conns, container):
    etag = conns['a'].head_object(container, 'obj')['etag']
    status, headers, body = raw(duo.b, 'GET', container + '/obj',
                                headers={'If-None-Match': '"%s"' % etag})
    assert status == 304, body
    assert body == b''
    assert lowered(headers)[READ_FROM] == site('a')


def put_slo_at_a(conn, container: str) -> bytes:
    """Three segments and their manifest, ``big``, at A; the whole
    object's body."""
    parts = [(b'%d' % i) * 1000 for i in range(3)]
    manifest = []
    for i, part in enumerate(parts):
        name = 'big-segments/%02d' % i
        conn.put_object(container, name, part)
        manifest.append({'path': '/%s/%s' % (container, name),
                         'etag': hashlib.md5(part).hexdigest(),
                         'size_bytes': len(part)})
    conn.put_object(container, 'big', json.dumps(manifest),
                    query_string='multipart-manifest=put')
    return b''.join(parts)


def test_slo_read_at_b_is_assembled_at_a(conns, container):
    whole = put_slo_at_a(conns['a'], container)
    headers, body = conns['b'].get_object(container, 'big')
    assert body == whole
    assert headers['x-static-large-object'] == 'True'
    assert headers[READ_FROM] == site('a')


def test_slo_manifest_itself_is_read_at_b_with_its_query(conns, container):
    put_slo_at_a(conns['a'], container)
    headers, body = conns['b'].get_object(
        container, 'big', query_string='multipart-manifest=get')
    assert headers[READ_FROM] == site('a')
    segments = [each['name'] for each in json.loads(body)]
    assert segments == ['/%s/big-segments/%02d' % (container, i)
                        for i in range(3)]


def test_after_sync_b_serves_its_own_copy(conns, synced):
    """Container-sync HEADs each object at B before copying it: had B
    answered that HEAD from A, the timestamps would match and nothing
    would have been copied."""
    headers, body = conns['b'].get_object(synced, 'kept')
    assert body == BODY
    assert READ_FROM not in headers
    assert headers['x-timestamp'] == \
        conns['a'].head_object(synced, 'kept')['x-timestamp']
    assert 'kept' in listed(conns['b'], synced)


def test_delete_at_a_is_not_undone_by_bs_copy(duo, conns, synced):
    conns['a'].delete_object(synced, 'deleted')
    status, headers, _ = raw(duo.a, 'GET', synced + '/deleted')
    assert status == 404
    assert READ_FROM not in lowered(headers)
    # B still has its copy, to be deleted by the next pass from A.
    headers, body = conns['b'].get_object(synced, 'deleted')
    assert body == BODY
    assert READ_FROM not in headers


def test_no_token_at_b_is_401_not_read_from_a(duo, container):
    status, headers, body = raw(duo.b, 'GET', container + '/obj',
                                token=None)
    assert status == 401
    assert READ_FROM not in lowered(headers)
    assert BODY not in body


def test_user_auth_refuses_at_b_is_403_not_read_from_a(duo, container):
    token = duo.b.get_auth(NON_OWNER)[1]
    status, headers, body = raw(duo.b, 'GET', container + '/obj',
                                token=token)
    assert status == 403
    assert READ_FROM not in lowered(headers)
    assert BODY not in body


def test_missing_everywhere_is_bs_own_404(duo, container):
    status, headers, _ = raw(duo.b, 'GET', container + '/nowhere')
    assert status == 404
    assert READ_FROM not in lowered(headers)


@pytest.mark.parametrize('reader', ['b', 'c'])
def test_three_sites_each_reads_from_a(conns3, container3, reader):
    headers, body = conns3[reader].get_object(container3, 'obj')
    assert body == BODY
    assert headers[READ_FROM] == site('a')
    assert head_object(conns3[reader], container3, 'obj')[READ_FROM] == \
        site('a')


def test_a_delete_at_the_site_asked_first_hides_an_older_copy(
        trio, conns3, container3):
    """A asks C (which syncs to A) first, then B. Written at B, carried
    to C by a pass at B, then deleted at C: A must not serve B's copy,
    though C's gatekeeper hides the delete's backend timestamp."""
    conns3['b'].put_object(container3, 'gone', BODY)
    trio.b.sync_once()
    headers, body = conns3['c'].get_object(container3, 'gone')
    assert body == BODY and READ_FROM not in headers  # C's own copy
    conns3['c'].delete_object(container3, 'gone')
    status, headers, _ = raw(trio.a, 'GET', container3 + '/gone')
    assert status == 404
    assert READ_FROM not in lowered(headers)
    assert conns3['b'].get_object(container3, 'gone')[1] == BODY


def test_c_reads_past_b_down_from_a(trio, conns3, container3):
    """Last in the module: B is stopped, then started again."""
    with stopped(trio.b):
        headers, body = conns3['c'].get_object(container3, 'obj')
        assert body == BODY
        assert headers[READ_FROM] == site('a')
