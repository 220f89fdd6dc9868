"""Only the other site may speak as the other site: a client request
that claims to come from a site (X-Orig-Cluster) without a valid, fresh,
unused signature for exactly that request is refused at A and at B and
changes nothing at either."""

import secrets
import time
from urllib.parse import quote

import pytest

from autosync.placement import parse_site
from autosync.protocol import AUTH_HEADER, ORIG_CLUSTER_HEADER
from autosync.signing import sign, signed_fields

from e2e_helpers import ACCOUNT, head_container, raw, unique

ORIGIN = '//autosync/a'


def realm_key(pair) -> str:
    return pair.settings.realm_key


def path_of(container: str) -> str:
    return '/v1/%s/%s' % (ACCOUNT, quote(container))


def signed(key: str, method: str, container: str, now=None) -> str:
    """Signed as A signs a request to B that carries no other header."""
    return sign(key, signed_fields(
        method, path_of(container), '', ORIGIN,
        parse_site('//autosync/b').ident, {ORIG_CLUSTER_HEADER: ORIGIN}),
        now=now)


def no_signature(pair, method, container):
    return {ORIG_CLUSTER_HEADER: ORIGIN}


def garbage_signature(pair, method, container):
    return {ORIG_CLUSTER_HEADER: ORIGIN, AUTH_HEADER: 'garbage'}


def signature_from_nowhere(pair, method, container):
    """Well formed and fresh, but under a key nobody has."""
    return {ORIG_CLUSTER_HEADER: ORIGIN,
            AUTH_HEADER: signed(secrets.token_hex(32), method, container)}


def signature_for_another_container(pair, method, container):
    return {ORIG_CLUSTER_HEADER: ORIGIN,
            AUTH_HEADER: signed(realm_key(pair), method, unique())}


def expired_signature(pair, method, container):
    return {ORIG_CLUSTER_HEADER: ORIGIN,
            AUTH_HEADER: signed(realm_key(pair), method, container,
                                now=time.time() - 3600)}


def signature_without_origin(pair, method, container):
    return {AUTH_HEADER: signed(realm_key(pair), method, container)}


FORGERIES = [no_signature, garbage_signature, signature_from_nowhere,
             signature_for_another_container, expired_signature,
             signature_without_origin]


def assert_refused(answer) -> None:
    status, _, body = answer
    assert status == 401, (status, body)
    assert b'autosync: request from another site refused' in body, body


@pytest.mark.parametrize('site', ['a', 'b'])
@pytest.mark.parametrize('forge', FORGERIES)
def test_forged_put_is_refused_and_creates_nothing(sites, site, forge):
    container = sites.container()
    cluster = getattr(sites.pair, site)
    assert_refused(raw(cluster, 'PUT', container,
                       forge(sites.pair, 'PUT', container)))
    assert head_container(sites.a, container) is None
    assert head_container(sites.b, container) is None


@pytest.mark.parametrize('site', ['a', 'b'])
def test_forged_put_without_a_token_is_refused(sites, site):
    container = sites.container()
    cluster = getattr(sites.pair, site)
    assert_refused(raw(cluster, 'PUT', container,
                       signature_from_nowhere(sites.pair, 'PUT', container),
                       token=None))
    assert head_container(sites.a, container) is None
    assert head_container(sites.b, container) is None


def test_forged_delete_is_refused_and_deletes_nothing(sites):
    container = sites.container()
    sites.a.put_container(container)
    for cluster in sites.pair.clusters:
        for forge in FORGERIES:
            assert_refused(raw(cluster, 'DELETE', container,
                               forge(sites.pair, 'DELETE', container)))
    assert head_container(sites.a, container) is not None
    assert head_container(sites.b, container) is not None


def test_forged_post_is_refused_and_changes_nothing(sites):
    container = sites.container()
    sites.a.put_container(container)
    before = [head_container(conn, container)['x-container-sync-key']
              for conn in sites.both]
    for cluster in sites.pair.clusters:
        for forge in FORGERIES:
            headers = forge(sites.pair, 'POST', container)
            headers['X-Container-Meta-Forged'] = 'yes'
            assert_refused(raw(cluster, 'POST', container, headers))
    for conn, key in zip(sites.both, before):
        after = head_container(conn, container)
        assert 'x-container-meta-forged' not in after
        assert after['x-container-sync-key'] == key


def test_signed_request_is_applied_once_and_only_where_sent(sites):
    """What the tests above forge, done right: B applies it, only at B,
    and refuses the very same request a second time (replay)."""
    container = sites.container()
    headers = {ORIG_CLUSTER_HEADER: ORIGIN,
               AUTH_HEADER: signed(realm_key(sites.pair), 'PUT', container)}
    status, _, body = raw(sites.pair.b, 'PUT', container, headers,
                          token=None)
    assert status == 201, body
    assert head_container(sites.b, container) is not None
    assert head_container(sites.a, container) is None
    sites.b.delete_container(container)
    assert_refused(raw(sites.pair.b, 'PUT', container, headers, token=None))
    assert head_container(sites.b, container) is None
