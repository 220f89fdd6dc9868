"""One request to each peer, all at once; never raises (peers.py)."""

import dataclasses
import logging

import eventlet
import pytest
from swift.common.utils import get_logger
from swift.common.utils.logs import SwiftLogFormatter

from autosync import peers
from autosync.peers import PeerRequest, fan_out, send
from autosync.placement import parse_site

from helpers import FakeLogger

# What catch_errors made for the client's request at this site.
ORIGIN_TXN = 'tx0123456789abcdef01234-0065f0a1b2'


def request_to(url, site='peer'):
    # The site as a placement names it; the URL is where it is.
    named = dataclasses.replace(parse_site(url), name=site)
    return PeerRequest(named, 'PUT', url + '/v1/AUTH_test/c',
                       {'Content-Length': '0'})


class Captured(logging.Handler):
    """The records a logger emits, and each as the proxy log shows it."""

    def __init__(self):
        super().__init__()
        self.setFormatter(SwiftLogFormatter())
        self.records = []

    def emit(self, record):
        self.records.append(record)

    def lines(self):
        return [self.format(record) for record in self.records]


@pytest.fixture
def swift_logger():
    """Swift's own logger (its txn id is green-thread local, as in the
    proxy), with a handler that keeps what it emits instead of syslog.
    Its thread locals are shared by every such logger: cleared after."""
    logger = get_logger({}, log_route='autosync-test-peers')
    captured = Captured()
    for handler in list(logger.logger.handlers):
        logger.logger.removeHandler(handler)
    logger.logger.addHandler(captured)
    logger.captured = captured
    yield logger
    logger.thread_locals = (None, None)
    logger.logger.removeHandler(captured)


def plain_peer(sites):
    """A loopback peer that answers 201 to anything (what it received is
    what matters)."""
    peer, = sites.url_style(1)
    peer.app = answering('201 Created', b'')
    return peer


def with_clients_trans_id_extra(request):
    """The request as the middleware forwards it: with the client's own
    X-Trans-Id-Extra among the headers it copied."""
    return dataclasses.replace(request, headers=dict(
        request.headers, **{'X-Trans-Id-Extra': 'the-clients-own'}))


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


def test_peer_request_carries_the_txn_id_that_fanned_it_out(
        sites, swift_logger):
    peer = plain_peer(sites)
    swift_logger.txn_id = ORIGIN_TXN
    answer, = fan_out([request_to(peer.url)], 1, 1, swift_logger)
    assert answer.status == 201
    assert peer.received[-1].get('x-trans-id-extra') == ORIGIN_TXN


def test_origin_txn_id_replaces_the_clients_trans_id_extra(
        sites, swift_logger):
    peer = plain_peer(sites)
    swift_logger.txn_id = ORIGIN_TXN
    fan_out([with_clients_trans_id_extra(request_to(peer.url))], 1, 1,
            swift_logger)
    assert peer.received[-1].get('x-trans-id-extra') == ORIGIN_TXN


@pytest.mark.parametrize('kind', ['daemon-logger', 'test-double',
                                  'no-logger'])
def test_no_trans_id_extra_without_a_txn_id(sites, swift_logger, kind):
    """The reconciler's logger has no txn id; test doubles (and
    bench/fanout.py's None) have no txn id attribute at all."""
    logger = {'daemon-logger': swift_logger, 'test-double': FakeLogger(),
              'no-logger': None}[kind]
    peer = plain_peer(sites)
    answer, = fan_out([with_clients_trans_id_extra(request_to(peer.url))],
                      1, 1, logger)
    assert answer.status == 201
    assert 'x-trans-id-extra' not in peer.received[-1]


def test_send_outside_a_fan_out_carries_the_current_txn_id(
        sites, swift_logger):
    """As the reconciler's PeerCluster calls it, in the caller's own
    green thread."""
    peer = plain_peer(sites)
    swift_logger.txn_id = ORIGIN_TXN
    send(request_to(peer.url), 1, 1, swift_logger)
    assert peer.received[-1].get('x-trans-id-extra') == ORIGIN_TXN


def test_warning_from_a_peer_thread_carries_the_origin_txn_id(
        sites, swift_logger):
    peer = plain_peer(sites)
    peer.delay = 1
    swift_logger.thread_locals = (ORIGIN_TXN, '192.0.2.7')
    answer, = fan_out([request_to(peer.url)], 1, 0.05, swift_logger)
    assert answer.detail == 'no answer within 0.05s'
    record, = swift_logger.captured.records
    assert (record.levelno, record.txn_id, record.client_ip) == (
        logging.WARNING, ORIGIN_TXN, '192.0.2.7')
    assert swift_logger.captured.lines() == [
        'autosync: PUT %s/v1/AUTH_test/c: no answer within 0.05s '
        '(txn: %s) (client_ip: 192.0.2.7)' % (peer.url, ORIGIN_TXN)]
