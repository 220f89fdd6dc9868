"""What autosync refuses on a synced container, and that a refusal
changes nothing at either site: object versioning (container-sync does
not carry versions) and a client's own container-sync headers."""

import pytest

from e2e_helpers import head_container, raw

VERSIONING = [{'X-Versions-Enabled': 'true'},
              {'X-Versions-Location': 'old-versions'},
              {'X-History-Location': 'history'}]
OWN_SYNC = [{'X-Container-Sync-To': '//autosync/b/AUTH_test2/elsewhere'},
            {'X-Container-Sync-Key': 'mine'}]


def assert_bad_request(answer, *words: bytes) -> None:
    status, _, body = answer
    assert status == 400, (status, body)
    assert body.startswith(b'autosync: '), body
    for word in words:
        assert word in body, body


def headers_names(headers: dict) -> bytes:
    return ', '.join(headers).encode()


@pytest.mark.parametrize('headers', VERSIONING + OWN_SYNC,
                         ids=lambda headers: next(iter(headers)))
def test_put_is_refused_and_creates_nothing(sites, headers):
    container = sites.container()
    assert_bad_request(raw(sites.pair.a, 'PUT', container, headers),
                       headers_names(headers))
    assert head_container(sites.a, container) is None
    assert head_container(sites.b, container) is None


def test_versioning_refusal_says_why(sites):
    container = sites.container()
    assert_bad_request(
        raw(sites.pair.a, 'PUT', container, VERSIONING[0]),
        b'object versioning cannot be used on a container synced '
        b'between sites')


@pytest.mark.parametrize('headers', VERSIONING + OWN_SYNC,
                         ids=lambda headers: next(iter(headers)))
def test_post_is_refused_and_changes_nothing(sites, headers):
    container = sites.container()
    sites.a.put_container(container)
    before = [head_container(conn, container) for conn in sites.both]
    assert_bad_request(raw(sites.pair.a, 'POST', container, headers),
                       headers_names(headers))
    for conn, then in zip(sites.both, before):
        now = head_container(conn, container)
        for name in ('x-container-sync-to', 'x-container-sync-key'):
            assert now[name] == then[name]
        assert 'x-versions-enabled' not in now
        assert 'x-versions-location' not in now
        assert 'x-history-location' not in now
