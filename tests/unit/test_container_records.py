"""The container server's batched records (container_records.py): each
container as Swift's own container server HEAD answers it, read from
real DBs in a devices dir, in one request for many."""

import json
import os
from urllib.parse import quote

import pytest
from paste.deploy import loadfilter
from swift.common.swob import Request, Response, str_to_wsgi
from swift.common.utils import Timestamp
from swift.container.server import ContainerController

from autosync import container_records
from autosync.protocol import RECORDS_HEADER

from helpers import ACCOUNT_NAME, SYNC_KEY, FakeLogger, container_db

RECORDS_PATH = '/sda/0/' + ACCOUNT_NAME
NON_ASCII = 'ünï, cöde'
# Metadata as the container server stores it (native strings).
HEADERS = {
    'X-Container-Meta-Colour': 'blue',
    'X-Container-Meta-Städt': 'Zürich',
    'X-Container-Read': '.r:*,.rlistings',
    'X-Container-Write': 'AUTH_test:writer',
    'X-Container-Sync-To': '//realm/b/AUTH_test/c',
    'X-Container-Sync-Key': SYNC_KEY,
    'X-Container-Sysmeta-Autosync-Placement': '//realm/a,//realm/b',
    # Removed metadata is kept as '': neither answer shows it.
    'X-Container-Meta-Removed': '',
    # Not a header the container server saves for a HEAD to show.
    'X-Container-Unsaved': 'kept but not shown',
}
# What Swift's HEAD adds that the proxy makes afresh for its client.
RESPONSE_ONLY = ('content-type', 'content-length', 'last-modified')


def make_db(devices, name, part=0, headers=None, device='sda'):
    """AUTH_test/<name>'s DB where the container server keeps it."""
    return container_db(devices, headers, device, name, part)


class NextApp(object):
    """The container server behind the filter: what reaches it."""

    def __init__(self):
        self.calls = []

    def __call__(self, env, start_response):
        self.calls.append((env['REQUEST_METHOD'], env['PATH_INFO'],
                           env['wsgi.input'].read()))
        return Response(status=202, body=b'the app')(env, start_response)


@pytest.fixture
def logger(monkeypatch):
    logger = FakeLogger()
    monkeypatch.setattr(container_records, 'get_logger',
                        lambda conf, log_route=None: logger)
    return logger


@pytest.fixture
def app():
    return NextApp()


@pytest.fixture
def records(tmp_path, app, logger):
    """The filter over ``app``, as paste builds it, its devices in
    tmp_path; sda is there."""
    os.makedirs(os.path.join(str(tmp_path), 'sda'))
    return container_records.filter_factory(
        {}, devices=str(tmp_path), mount_check='false')(app)


def ask(filt, asked, path=RECORDS_PATH, body=None):
    """POST the records request for ``asked`` ((partition, name) pairs,
    or ``body`` as is) to ``filt``."""
    if body is None:
        body = json.dumps(asked).encode('utf-8')
    return Request.blank(path, method='POST', body=body,
                         headers={RECORDS_HEADER: '1'}).get_response(filt)


def records_of(filt, asked):
    resp = ask(filt, asked)
    assert resp.status_int == 200
    assert resp.content_type == 'application/json'
    return json.loads(resp.body)


def swift_head(devices, part, name, **conf):
    """What Swift's own container server answers a HEAD of the
    container with, over the same devices."""
    server = ContainerController(dict(
        conf, devices=str(devices), mount_check='false',
        log_requests='false'))
    return Request.blank(
        '/sda/%d/%s/%s' % (part, ACCOUNT_NAME, quote(name)),
        method='HEAD').get_response(server)


def comparable(headers):
    return {name.lower(): value for name, value in headers.items()
            if name.lower() not in RESPONSE_ONLY}


# -- what a HEAD answers --

def test_live_container_has_the_headers_of_swifts_own_head(
        tmp_path, records):
    broker = make_db(tmp_path, 'c', part=3, headers=HEADERS)
    broker.put_object('o', Timestamp.now().internal, 12, 'text/plain',
                      'etag')
    entry = records_of(records, [[3, 'c']])['c']
    head = swift_head(tmp_path, 3, 'c')
    assert head.status_int == entry['status'] == 204
    assert comparable(entry['headers']) == comparable(head.headers)
    shown = entry['headers']
    assert shown['X-Container-Meta-Colour'] == 'blue'
    # Non-ASCII as HTTP carries it: UTF-8 bytes as Latin-1.
    assert shown[str_to_wsgi('X-Container-Meta-Städt')] == str_to_wsgi(
        'Zürich')
    assert shown['X-Container-Sync-Key'] == SYNC_KEY
    assert shown['X-Container-Sysmeta-Autosync-Placement'] == \
        '//realm/a,//realm/b'
    assert shown['X-Backend-PUT-Timestamp'] == \
        broker.get_info()['put_timestamp']
    assert (shown['X-Container-Object-Count'],
            shown['X-Container-Bytes-Used']) == ('1', '12')
    assert 'X-Container-Meta-Removed' not in shown
    assert 'X-Container-Unsaved' not in shown


def test_non_ascii_container_name_is_read_from_its_own_db(
        tmp_path, records):
    make_db(tmp_path, NON_ASCII, part=5,
            headers={'X-Container-Meta-Colour': 'grün'})
    entry = records_of(records, [[5, NON_ASCII]])[NON_ASCII]
    head = swift_head(tmp_path, 5, NON_ASCII)
    assert head.status_int == entry['status'] == 204
    assert comparable(entry['headers']) == comparable(head.headers)
    assert entry['headers']['X-Container-Meta-Colour'] == str_to_wsgi(
        'grün')


@pytest.mark.parametrize('allow_versions', ['true', 'false'])
def test_legacy_versions_location_is_shown_as_the_server_shows_it(
        tmp_path, app, monkeypatch, allow_versions):
    # allow_versions adds to the class's list: leave it as it was.
    monkeypatch.setattr(ContainerController, 'save_headers',
                        list(ContainerController.save_headers))
    os.makedirs(os.path.join(str(tmp_path), 'sda'))
    records = container_records.filter_factory(
        {}, devices=str(tmp_path), mount_check='false',
        allow_versions=allow_versions)(app)
    make_db(tmp_path, 'c', headers={'X-Versions-Location': 'old'})
    entry = records_of(records, [[0, 'c']])['c']
    head = swift_head(tmp_path, 0, 'c', allow_versions=allow_versions)
    assert comparable(entry['headers']) == comparable(head.headers)
    assert (entry['headers'].get('X-Versions-Location') == 'old') == (
        allow_versions == 'true')


def test_deleted_container_is_404_with_its_delete_timestamp(
        tmp_path, records):
    broker = make_db(tmp_path, 'gone', headers=HEADERS)
    deleted_at = Timestamp.now().internal
    broker.delete_db(deleted_at)
    entry = records_of(records, [[0, 'gone']])['gone']
    head = swift_head(tmp_path, 0, 'gone')
    assert head.status_int == entry['status'] == 404
    assert comparable(entry['headers']) == comparable(head.headers)
    assert entry['headers']['X-Backend-DELETE-Timestamp'] == deleted_at
    assert not any(name.startswith('X-Container-')
                   for name in entry['headers'])


def test_container_not_on_this_device_is_404_without_headers(records):
    assert records_of(records, [[0, 'never']]) == {
        'never': {'status': 404, 'headers': {}}}


def test_container_asked_in_another_partition_is_not_found(
        tmp_path, records):
    make_db(tmp_path, 'c', part=3)
    assert records_of(records, [[4, 'c']])['c']['status'] == 404


def test_one_request_answers_every_container_named(tmp_path, records, app):
    make_db(tmp_path, 'c', part=1)
    make_db(tmp_path, 'gone', part=2).delete_db(Timestamp.now().internal)
    answer = records_of(records, [[1, 'c'], [2, 'gone'], [3, 'never']])
    assert {name: entry['status'] for name, entry in answer.items()} == {
        'c': 204, 'gone': 404, 'never': 404}
    assert app.calls == []


def test_unreadable_db_is_500_for_the_asker_to_read_itself(
        tmp_path, records, logger):
    broker = make_db(tmp_path, 'c')
    with open(broker.db_file, 'wb') as f:
        f.write(b'not a database' * 100)
    make_db(tmp_path, 'fine')
    answer = records_of(records, [[0, 'c'], [0, 'fine']])
    assert answer['c'] == {'status': 500, 'headers': {}}
    assert answer['fine']['status'] == 204
    # The broker logs its quarantine; the filter, what it could not read.
    assert any(line.startswith('autosync_records: cannot read ' +
                               broker.db_file)
               for line in logger.lines['error'])


# -- what is not the filter's --

@pytest.mark.parametrize('method, headers', [
    ('POST', {}),
    ('POST', {RECORDS_HEADER: '0'}),
    ('HEAD', {RECORDS_HEADER: '1'}),
    ('PUT', {RECORDS_HEADER: '1'}),
])
def test_other_requests_reach_the_container_server_untouched(
        records, app, method, headers):
    body = b'[[0, "c"]]'
    resp = Request.blank('/sda/0/AUTH_test/c', method=method, body=body,
                         headers=headers).get_response(records)
    assert resp.status_int == 202
    assert app.calls == [(method, '/sda/0/AUTH_test/c', body)]


# -- refused --

@pytest.mark.parametrize('body', [
    b'',
    b'not json',
    b'[[0, "c"]',
    b'\xff',
    b'{"0": "c"}',
    b'"c"',
    b'[0]',
    b'[[0, "c", 1]]',
    b'[["zero", "c"]]',
    b'[[null, "c"]]',
])
def test_bad_body_is_400_and_reads_nothing(records, app, logger, body):
    resp = ask(records, None, body=body)
    assert resp.status_int == 400
    assert resp.body  # says what is wrong
    assert b'Traceback' not in resp.body
    assert app.calls == []
    assert logger.all_lines() == []


def test_too_many_containers_is_400(records):
    most = container_records.MAX_CONTAINERS
    asked = [[0, 'c%d' % i] for i in range(most + 1)]
    resp = ask(records, asked)
    assert resp.status_int == 400
    assert str(most).encode('ascii') in resp.body
    assert len(records_of(records, asked[:most])) == most


def test_missing_drive_is_507(records):
    resp = ask(records, [[0, 'c']], path='/sdz/0/' + ACCOUNT_NAME)
    assert resp.status_int == 507


def test_unmounted_drive_is_507_under_mount_check(tmp_path, app):
    os.makedirs(os.path.join(str(tmp_path), 'sda'))
    make_db(tmp_path, 'c')
    filt = container_records.filter_factory(
        {}, devices=str(tmp_path), mount_check='true')(app)
    assert ask(filt, [[0, 'c']]).status_int == 507


@pytest.mark.parametrize('path', [
    '/../0/' + ACCOUNT_NAME,  # not a device name
    '/sda/0',  # no account
    '/sda/0/%s/c' % ACCOUNT_NAME,  # a container
])
def test_bad_path_is_400(records, app, path):
    resp = ask(records, [[0, 'c']], path=path)
    assert resp.status_int == 400
    assert app.calls == []


# -- loading --

def test_filter_loads_by_egg_name_with_the_servers_devices(tmp_path, app):
    """devices and mount_check come from the container server's
    [DEFAULT], as the module docstring has it."""
    make_db(tmp_path, 'c', headers={'X-Container-Meta-Colour': 'blue'})
    conf = tmp_path / 'container-server.conf'
    conf.write_text(
        '[DEFAULT]\ndevices = %s\nmount_check = false\n\n'
        '[filter:autosync_records]\n'
        'use = egg:swift-autosync#container_records\n' % tmp_path)
    filt = loadfilter('config:%s' % conf, name='autosync_records')(app)
    assert records_of(filt, [[0, 'c']])['c']['headers'][
        'X-Container-Meta-Colour'] == 'blue'
