"""HMAC signatures on requests between sites (signing.py)."""

import dataclasses

import pytest

from autosync.signing import SignatureError, SignedFields, sign, verify

NOW = 1700000000.0
WINDOW = 60
FIELDS = SignedFields('PUT', '/v1/AUTH_x/c', 'a=1', '//r1/dc1',
                      '//R1/DC2/AUTH_x/c', 'sync-key')


def refusal(keys, fields, auth, now=NOW):
    with pytest.raises(SignatureError) as caught:
        verify(keys, fields, auth, WINDOW, now=now)
    return caught.value.reason


def test_signature_verifies_with_the_same_key():
    auth = sign('k1', FIELDS, now=NOW)
    assert verify(['k1'], FIELDS, auth, WINDOW, now=NOW) == \
        auth.split()[1]


def test_signature_made_with_key2_is_accepted():
    auth = sign('new', FIELDS, now=NOW)
    assert verify(['old', 'new'], FIELDS, auth, WINDOW, now=NOW)


def test_unset_key2_is_ignored():
    auth = sign('k1', FIELDS, now=NOW)
    assert verify(['k1', None], FIELDS, auth, WINDOW, now=NOW)


def test_signature_with_another_key_is_refused():
    assert refusal(['k1'], FIELDS, sign('k2', FIELDS, now=NOW)) == \
        'as:bad-sig'


@pytest.mark.parametrize('field, value', [
    ('method', 'DELETE'), ('path', '/v1/AUTH_x/other'),
    ('query', 'a=2'), ('orig_cluster', '//r1/evil'),
    ('sync_to', '//R1/EVIL/AUTH_x/c'), ('sync_key', 'stolen'),
    ('reseller', 'true'), ('placement', '1.0 //r1/evil')])
def test_tampered_field_is_refused(field, value):
    auth = sign('k1', FIELDS, now=NOW)
    tampered = dataclasses.replace(FIELDS, **{field: value})
    assert refusal(['k1'], tampered, auth) == 'as:bad-sig'


def test_tampered_nonce_is_refused():
    timestamp, nonce, digest = sign('k1', FIELDS, now=NOW).split()
    auth = ' '.join((timestamp, 'f' * len(nonce), digest))
    assert refusal(['k1'], FIELDS, auth) == 'as:bad-sig'


def test_signature_older_than_the_window_is_refused():
    auth = sign('k1', FIELDS, now=NOW - WINDOW - 1)
    assert refusal(['k1'], FIELDS, auth) == 'as:expired'


def test_signature_from_the_future_is_refused():
    auth = sign('k1', FIELDS, now=NOW + WINDOW + 1)
    assert refusal(['k1'], FIELDS, auth) == 'as:expired'


def test_signature_at_the_edge_of_the_window_is_accepted():
    auth = sign('k1', FIELDS, now=NOW - WINDOW)
    assert verify(['k1'], FIELDS, auth, WINDOW, now=NOW)


@pytest.mark.parametrize('auth', [
    None, '', 'garbage', 'a b', 'a b c d', 'soon nonce digest'])
def test_malformed_header_is_refused(auth):
    assert refusal(['k1'], FIELDS, auth) == 'as:malformed'


def test_no_usable_key_refuses_everything():
    assert refusal([None, ''], FIELDS, sign('k1', FIELDS, now=NOW)) == \
        'as:no-key'


def test_each_signature_has_its_own_nonce():
    assert sign('k1', FIELDS).split()[1] != sign('k1', FIELDS).split()[1]
