"""HMAC signatures on requests between sites (signing.py)."""

import dataclasses

import pytest

from autosync.signing import (
    SignatureError,
    Verified,
    sign,
    signed_fields,
    verify,
)

NOW = 1700000000.0
WINDOW = 60
HEADERS = {'X-Orig-Cluster': '//r1/dc1',
           'X-Container-Sync-To': '//R1/DC2/AUTH_x/c',
           'X-Container-Sync-Key': 'sync-key',
           'X-Container-Meta-Color': 'blue',
           'Content-Length': '0', 'X-Auth-Token': 'AUTH_tk1'}


def fields_of(headers, destination='//R1/DC2'):
    return signed_fields('PUT', '/v1/AUTH_x/c', 'a=1', '//r1/dc1',
                         destination, headers)


FIELDS = fields_of(HEADERS)


def refusal(keys, fields, auth, now=NOW):
    with pytest.raises(SignatureError) as caught:
        verify(keys, fields, auth, WINDOW, now=now)
    return caught.value.reason


def test_signature_verifies_with_the_same_key():
    auth = sign('k1', FIELDS, now=NOW)
    timestamp, nonce, _ = auth.split()
    assert verify(['k1'], FIELDS, auth, WINDOW, now=NOW) == \
        Verified(nonce, int(timestamp))


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
    ('query', 'a=2'), ('orig_cluster', '//r1/evil')])
def test_tampered_field_is_refused(field, value):
    auth = sign('k1', FIELDS, now=NOW)
    tampered = dataclasses.replace(FIELDS, **{field: value})
    assert refusal(['k1'], tampered, auth) == 'as:bad-sig'


def test_request_signed_for_another_site_is_refused():
    auth = sign('k1', fields_of(HEADERS, destination='//R1/DC3'), now=NOW)
    assert refusal(['k1'], FIELDS, auth) == 'as:bad-sig'


# Each changes a container or an account when a peer applies it as owner.
ADDED_IN_FLIGHT = [
    ('X-Container-Read', '.r:*,.rlistings'),
    ('X-Container-Write', 'evil:user'),
    ('X-Container-Meta-Temp-Url-Key', 'mitm'),
    ('X-Account-Access-Control', '{"admin":["evil:user"]}'),
    ('X-Account-Meta-Temp-Url-Key', 'mitm'),
    ('X-Account-Meta-Quota-Bytes', '1'),
    ('X-Remove-Container-Meta-Color', 'x'),
    ('X-Remove-Account-Meta-Quota-Bytes', 'x'),
    ('X-Versions-Location', 'old'), ('X-Versions-Enabled', 'true'),
    ('X-History-Location', 'old'), ('X-Storage-Policy', 'cold'),
    ('X-Autosync-Reseller-Request', 'true'),
    ('X-Autosync-Set-Placement', '1.0 //r1/evil'),
    ('X-Autosync-Changed-At', '9999999999.00000')]


@pytest.mark.parametrize('name, value', ADDED_IN_FLIGHT)
def test_state_header_added_in_flight_is_refused(name, value):
    auth = sign('k1', FIELDS, now=NOW)
    tampered = fields_of(dict(HEADERS, **{name: value}))
    assert refusal(['k1'], tampered, auth) == 'as:bad-sig'


@pytest.mark.parametrize('name, value', [
    ('X-Container-Sync-To', '//R1/EVIL/AUTH_x/c'),
    ('X-Container-Sync-Key', 'stolen'), ('X-Container-Meta-Color', 'red'),
    ('X-Orig-Cluster', '//r1/evil')])
def test_state_header_changed_in_flight_is_refused(name, value):
    auth = sign('k1', FIELDS, now=NOW)
    tampered = fields_of(dict(HEADERS, **{name: value}))
    assert refusal(['k1'], tampered, auth) == 'as:bad-sig'


def test_state_header_dropped_in_flight_is_refused():
    auth = sign('k1', FIELDS, now=NOW)
    dropped = {k: v for k, v in HEADERS.items()
               if k != 'X-Container-Meta-Color'}
    assert refusal(['k1'], fields_of(dropped), auth) == 'as:bad-sig'


def test_headers_that_change_no_state_are_not_signed():
    auth = sign('k1', FIELDS, now=NOW)
    received = dict(HEADERS, **{'X-Auth-Token': 'other', 'Host': 'b',
                                'X-Trans-Id': 'tx1', 'Content-Length': '3',
                                'X-Autosync-Auth': auth})
    assert verify(['k1'], fields_of(received), auth, WINDOW, now=NOW)


def test_headers_verify_however_spelled_ordered_or_padded():
    # HTTP drops the blanks around a value; names have no case.
    auth = sign('k1', fields_of({'x-container-meta-color': ' blue\t',
                                 'X-Orig-Cluster': '//r1/dc1'}), now=NOW)
    received = {'X-Orig-Cluster': '//r1/dc1',
                'X-Container-Meta-Color': 'blue'}
    assert verify(['k1'], fields_of(received), auth, WINDOW, now=NOW)


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


GOOD_TIMESTAMP, GOOD_NONCE, GOOD_SIGNATURE = \
    sign('k1', FIELDS, now=NOW).split()


@pytest.mark.parametrize('timestamp, nonce, signature', [
    ('9' * 400, GOOD_NONCE, GOOD_SIGNATURE),  # overflowed a float
    ('\u0661\u0667\u0660\u0660', GOOD_NONCE, GOOD_SIGNATURE),  # int() reads
    ('-1', GOOD_NONCE, GOOD_SIGNATURE),
    (GOOD_TIMESTAMP, 'n', GOOD_SIGNATURE),
    (GOOD_TIMESTAMP, 'z' * len(GOOD_NONCE), GOOD_SIGNATURE),
    (GOOD_TIMESTAMP, GOOD_NONCE, '\xe9'),  # compare_digest raised
    (GOOD_TIMESTAMP, GOOD_NONCE, '\xe9' * len(GOOD_SIGNATURE)),
    (GOOD_TIMESTAMP, GOOD_NONCE, GOOD_SIGNATURE[:-1]),
    (GOOD_TIMESTAMP, GOOD_NONCE, GOOD_SIGNATURE.upper())], ids=[
    'huge-timestamp', 'non-ascii-digits', 'negative-timestamp',
    'short-nonce', 'non-hex-nonce', 'non-ascii-signature',
    'non-ascii-signature-of-full-length', 'short-signature',
    'upper-case-signature'])
def test_part_of_another_shape_is_malformed(timestamp, nonce, signature):
    auth = ' '.join((timestamp, nonce, signature))
    assert refusal(['k1'], FIELDS, auth) == 'as:malformed'


def test_no_usable_key_refuses_everything():
    assert refusal([None, ''], FIELDS, sign('k1', FIELDS, now=NOW)) == \
        'as:no-key'


def test_each_signature_has_its_own_nonce():
    assert sign('k1', FIELDS).split()[1] != sign('k1', FIELDS).split()[1]
