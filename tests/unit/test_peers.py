"""One request to each peer, all at once; never raises (peers.py)."""

import dataclasses

import eventlet

from autosync import peers
from autosync.peers import PeerRequest, fan_out, send
from autosync.placement import parse_site
from helpers import FakeLogger


def request_to(url, site='peer'):
    # The site as a placement names it; the URL is where it is.
    named = dataclasses.replace(parse_site(url), name=site)
    return PeerRequest(named, 'PUT', url + '/v1/AUTH_test/c',
                       {'Content-Length': '0'})


def answering(status, body):
    def app(env, start_response):
        start_response(status, [('Content-Length', str(len(body)))])
        return [body]
    return app


def test_answers_come_back_in_request_order(sites):
    slow, fast = sites.url_style(2)
    slow.delay = 0.1
    answers = fan_out([request_to(slow.url, 'slow'),
                       request_to(fast.url, 'fast')], 1, 1, FakeLogger())
    assert [a.site for a in answers] == ['slow', 'fast']


def test_no_requests_no_answers():
    assert fan_out([], 1, 1, FakeLogger()) == []


def test_html_error_page_is_summed_up_by_its_reason(sites):
    peer, = sites.url_style(1)
    peer.app = answering('507 Insufficient Storage',
                         b'<html><h1>Insufficient Storage</h1></html>')
    answer = send(request_to(peer.url), 1, 1, FakeLogger())
    assert (answer.status, answer.detail) == (507, 'Insufficient Storage')


def test_text_error_body_is_kept_on_one_line(sites):
    peer, = sites.url_style(1)
    peer.app = answering('409 Conflict', b'not\nempty')
    answer = send(request_to(peer.url), 1, 1, FakeLogger())
    assert answer.describe() == '409 Conflict: not empty'


def test_connect_timeout_is_an_answer(monkeypatch):
    def never_connects(*args, **kwargs):
        eventlet.sleep(1)
    monkeypatch.setattr(peers, 'http_connect_raw', never_connects)
    logger = FakeLogger()
    answer = send(request_to('http://127.0.0.1:9'), 0.05, 1, logger)
    assert (answer.status, answer.detail) == (
        None, 'connect timeout after 0.05s')
    assert logger.counters['peer.timeout'] == 1


def test_unexpected_error_is_an_answer(monkeypatch):
    def broken(*args, **kwargs):
        raise OSError('no route to host')
    monkeypatch.setattr(peers, 'http_connect_raw', broken)
    logger = FakeLogger()
    answer = send(request_to('http://127.0.0.1:9'), 1, 1, logger)
    assert answer.status is None
    assert 'no route to host' in answer.detail
    assert logger.counters['peer.errors'] == 1


def test_url_without_a_host_is_an_answer_not_an_exception():
    """A realm endpoint written without http:// must not kill the
    green thread that sends to it."""
    answer = send(PeerRequest(parse_site('http://peer'), 'HEAD',
                              '127.0.0.1:8080/v1/AUTH_test', {}),
                  1, 1, FakeLogger())
    assert not answer.ok
    assert answer.detail.startswith('error: ')
