"""The sync.lag timing (sync_lag.py): container-sync's object writes,
once they succeed here, are timed from the X-Timestamp they carry."""

import time

import pytest
from swift.common.swob import Request
from swift.common.utils import Timestamp

from helpers import A, B, FakeLogger, make_filter


class Answering(object):
    """The rest of the pipeline: answers ``status``."""

    def __init__(self, status='201 Created'):
        self.status = status

    def __call__(self, env, start_response):
        start_response(self.status, [])
        return [b'']


def lags(status='201 Created', method='PUT', age=30.0, path='/v1/a/c/o',
         **headers):
    logger = FakeLogger()
    filt = make_filter(Answering(status), logger=logger,
                       autosync_my_cluster=A,
                       autosync_placement='%s, %s' % (A, B),
                       autosync_key='k')
    if age is not None:
        headers.setdefault('X-Timestamp',
                           Timestamp(time.time() - age).internal)
    req = Request.blank(path, method=method, headers=headers)
    req.get_response(filt)
    return logger.timings['sync.lag']


SYNC_AUTH = {'X-Container-Sync-Auth': 'realm nonce sig'}
SYNC_KEY = {'X-Container-Sync-Key': 'key'}


@pytest.mark.parametrize('method', ['PUT', 'DELETE'])
@pytest.mark.parametrize('credentials', [SYNC_AUTH, SYNC_KEY])
def test_a_synced_write_is_timed_from_its_origin(method, credentials):
    found = lags(method=method, **credentials)
    assert len(found) == 1
    assert 30000 <= found[0] < 40000  # ms, 30 s after its write


def test_a_failed_sync_write_is_not_timed():
    assert lags(status='401 Unauthorized', **SYNC_AUTH) == []


def test_a_clients_write_is_not_timed():
    assert lags() == []


@pytest.mark.parametrize('method', ['GET', 'HEAD', 'POST'])
def test_only_writes_are_timed(method):
    assert lags(method=method, **SYNC_AUTH) == []


def test_no_or_bad_timestamp_is_not_timed():
    assert lags(age=None, **SYNC_AUTH) == []
    assert lags(age=None, **dict(SYNC_AUTH, **{'X-Timestamp': 'soon'})) \
        == []


def test_a_write_from_a_clock_ahead_is_timed_zero():
    assert lags(age=-5, **SYNC_AUTH) == [0.0]


def test_container_requests_are_not_timed():
    assert lags(path='/v1/a/c', **SYNC_AUTH) == []
