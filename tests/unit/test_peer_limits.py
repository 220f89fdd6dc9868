"""peer_limits: whether the request a change makes for another site fits
that site's proxy, and why not."""

import http.client

import eventlet.wsgi
import pytest
from swift.common import constraints

from autosync import peer_limits
from autosync.placement import parse_site, quoted_path
from autosync.plan import Change, SiteChange
from autosync.protocol import AUTH_HEADER, TRANS_ID_EXTRA_HEADER

from helpers import A, B, C

HERE, THERE, NEW = parse_site(A), parse_site(B), parse_site(C)


def url_of(site, account, container):
    return site.url + quoted_path(account, container)


def change(method='PUT', container='c', **kwargs):
    kwargs.setdefault('placement', (HERE, THERE))
    return Change(method, 'AUTH_test', container, HERE, **kwargs)


def meta(count, prefix='X-Container-Meta-'):
    return {'%sItem-%02d' % (prefix, i): 'v' for i in range(count)}


def filler(count):
    return {'X-Filler-%03d' % i: 'f' for i in range(count)}


def refusal(a_change, forwarded, metadata=None, client=None):
    return peer_limits.refusal(
        a_change, forwarded, metadata or {},
        forwarded if client is None else client, url_of, None)


# -- Swift's limits, as read --

def test_a_proxy_takes_200_header_lines_by_default():
    # 1.6 x (90 + 36) = 201.6 lines, the blank one that ends them included.
    assert http.client._MAXHEADERS == pytest.approx(201.6)
    assert peer_limits.max_header_lines() == 200


def test_the_header_line_limit_is_read_when_asked(monkeypatch):
    monkeypatch.setattr(http.client, '_MAXHEADERS', 100)
    assert peer_limits.max_header_lines() == 99


def test_line_and_total_limits_are_eventlets_as_swift_sets_them():
    assert eventlet.wsgi.MAX_HEADER_LINE == constraints.MAX_HEADER_SIZE
    assert peer_limits.max_line_bytes() == constraints.MAX_HEADER_SIZE - 1
    assert peer_limits.max_total_bytes() == 65536


# -- what a request carries on the wire --

@pytest.mark.parametrize('url, host', [
    ('http://b.example.com:8080/v1/a', 'b.example.com:8080'),
    ('http://b.example.com/v1/a', 'b.example.com'),
    ('http://b.example.com:80/v1/a', 'b.example.com'),
    ('https://b.example.com:443/v1/a', 'b.example.com'),
    ('https://b.example.com:80/v1/a', 'b.example.com:80'),
    ('http://[::1]:8080/v1/a', '[::1]:8080')])
def test_host_is_what_http_client_sends(url, host):
    assert peer_limits.host_value(url) == host


def test_signature_length_is_that_of_a_real_signature():
    # '<10-digit time> <32 hex nonce> <64 hex HMAC>'
    assert peer_limits.signature_length() == 10 + 1 + 32 + 1 + 64


def test_wire_lines_add_what_signing_sending_and_http_client_add():
    planned = SiteChange(THERE, 'PUT', {'X-Container-Meta-A': '1',
                                        TRANS_ID_EXTRA_HEADER: 'client'})
    lines = peer_limits.wire_lines(planned, HERE.name, B + '/v1/a/c',
                                   'tx-here')
    assert dict(lines) == {
        'X-Container-Meta-A': '1', 'X-Orig-Cluster': HERE.name,
        'Content-Length': '0', AUTH_HEADER: 'x' * 108,
        TRANS_ID_EXTRA_HEADER: 'tx-here', 'Host': 'b.example.com:8080',
        'Accept-Encoding': 'identity'}
    assert len(lines) == 7


def test_no_trans_id_line_without_a_txn_id():
    planned = SiteChange(THERE, 'PUT', {TRANS_ID_EXTRA_HEADER: 'client'})
    lines = peer_limits.wire_lines(planned, HERE.name, B, None)
    assert TRANS_ID_EXTRA_HEADER not in dict(lines)


# -- header count and size --

def lines_of(count, value='v'):
    return [('X-H%03d' % i, value) for i in range(count)]


def test_200_lines_fit_and_201_do_not():
    assert peer_limits.header_problem('b', lines_of(200)) == ''
    assert peer_limits.header_problem('b', lines_of(201)) == (
        'too many headers for b: it would get 201, 1 more than the 200 '
        'its proxy takes; send 1 fewer')


def test_a_line_of_8191_bytes_fits_and_8192_do_not():
    # 'X-L: ' + value + CRLF
    fits = [('X-L', 'v' * (8191 - 7))]
    assert peer_limits.header_problem('b', fits) == ''
    why = peer_limits.header_problem('b', [('X-L', 'v' * (8192 - 7))])
    assert why.startswith('header too long for b: X-L would be 8192 bytes')


def test_65536_bytes_of_headers_fit_and_one_more_does_not():
    # 8 lines of 8000 bytes, one of 1534, and the blank one: 65536.
    lines = [('X-T%d' % i, 'v' * (8000 - 8)) for i in range(8)]
    assert sum(peer_limits.line_bytes(*line) for line in lines) == 64000
    fits = lines + [('X-T8', 'v' * (1534 - 8))]
    assert peer_limits.header_problem('b', fits) == ''
    over = lines + [('X-T8', 'v' * (1535 - 8))]
    assert peer_limits.header_problem('b', over) == (
        'headers too large for b: 65537 bytes, 1 more than the 65536 its '
        'proxy takes; send 1 bytes less')


# -- metadata, in Swift's words --

def test_metadata_swift_takes_is_no_problem():
    assert peer_limits.metadata_problem(meta(90), 'container') == ''


@pytest.mark.parametrize('headers, words', [
    (meta(91), 'Too many metadata items; max 90'),
    ({'X-Container-Meta-Big': 'v' * 257},
     'Metadata value longer than 256: x-container-meta-Big'),
    ({'X-Container-Meta-' + 'n' * 129: 'v'}, 'Metadata name too long'),
    (meta(20) | {'X-Container-Meta-Big%d' % i: 'v' * 250
                 for i in range(16)}, 'Total metadata too large; max 4096')])
def test_metadata_problem_is_swifts_own_answer(headers, words):
    assert peer_limits.metadata_problem(headers, 'container').startswith(
        words)


def test_metadata_of_the_other_level_is_not_counted():
    assert peer_limits.metadata_problem(
        meta(91, 'X-Account-Meta-'), 'container') == ''


# -- a change --

def test_a_change_that_fits_everywhere_goes_on():
    assert refusal(change(), meta(90) | filler(60)) == ''


def test_autosyncs_own_headers_push_a_full_request_over():
    # 190 client headers fit here; autosync's sync target, key,
    # placement, times, origin, length, signature and http.client's
    # two do not fit with them.
    a_change = change(ring={HERE: ('//r/a', 'k' * 64),
                            THERE: ('//r/b', 'k' * 64)},
                      changed_at='1', made_at='1')
    why = refusal(a_change, meta(90) | filler(100))
    assert why.startswith('too many headers for %s: it would get ' % B)
    assert why.endswith('; nothing was changed at any site')


def test_a_delete_with_too_many_headers_is_refused_too():
    why = refusal(change('DELETE'), filler(195))
    assert why.startswith('too many headers for ')


def test_an_account_change_is_checked_against_account_metadata():
    a_change = change('POST', container=None, changed_at='1', made_at='1')
    assert refusal(a_change, meta(90, 'X-Account-Meta-')) == ''
    assert refusal(a_change, meta(90, 'X-Account-Meta-') | filler(105)) \
        .startswith('too many headers for ')


def test_a_client_request_swift_refuses_here_is_left_to_swift():
    assert refusal(change(), meta(91) | filler(150)) == ''


def test_a_placement_change_whose_copied_metadata_would_not_fit():
    """90 items here, one emptied and one added: Swift here holds 90,
    but the new site's PUT carries 91 (the emptied one among them)."""
    a_change = change('POST', placement=(HERE, THERE, NEW),
                      previous=(HERE, THERE))
    why = refusal(a_change, {'X-Container-Meta-Item-00': '',
                             'X-Container-Meta-New': 'v'},
                  metadata=meta(90))
    assert why == ('metadata would not fit at %s: Too many metadata items; '
                   'max 90; nothing was changed at any site' % C)


def test_only_the_site_that_would_refuse_is_named():
    a_change = change('POST', placement=(HERE, THERE, NEW),
                      previous=(HERE, THERE))
    why = refusal(a_change, {}, metadata=meta(85) | filler(120))
    # THERE gets the client's (no) headers; NEW the container's too.
    assert why.startswith('too many headers for %s' % C)


def test_times_read_after_the_local_answer_are_counted():
    put = peer_limits.as_sent(change('PUT', made_at='1'))
    assert put.made_at == '1' and len(put.put_at) == 16
    post = peer_limits.as_sent(change('POST', made_at='1'))
    assert (post.made_at, post.put_at) == ('1', '')
    delete = peer_limits.as_sent(change('DELETE'))
    assert len(delete.made_at) == 16 and delete.put_at == ''
    for method in ('PUT', 'DELETE'):
        account = peer_limits.as_sent(change(method, container=None))
        assert (account.made_at, account.put_at) == ('', '')
