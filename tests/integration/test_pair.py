"""Smoke tests of ``autosync-pair`` itself: the pair the other
end-to-end tests stand on comes up, answers, and goes away cleanly."""

import json
import os
import shutil
import subprocess
import sys
import uuid

from swiftclient import client

from autosync.pair import health, process


def swift_cli() -> str:
    bin_dir = os.path.dirname(sys.executable)
    return shutil.which('swift', path=bin_dir) or shutil.which('swift')


def remove_everywhere(a, b, container: str, name: str) -> None:
    """Delete the object at both sites, then the container (at A)."""
    for conn in (a, b):
        try:
            conn.delete_object(container, name)
        except client.ClientException:
            pass
    a.delete_container(container)


def test_both_proxies_answer_healthcheck(pair):
    for cluster in pair.clusters:
        status, _, body = health.request(cluster.port, 'GET', '/healthcheck')
        assert (status, body) == (200, b'OK'), cluster.name


def test_both_proxies_show_the_realm_in_info(pair):
    for cluster in pair.clusters:
        status, _, body = health.request(cluster.port, 'GET', '/info')
        assert status == 200, cluster.name
        info = json.loads(body)
        assert 'AUTOSYNC' in info['container_sync']['realms']
        assert 'autosync' in info, 'autosync missing from /info'


def test_status_shows_every_process_running(pair):
    lines = pair.run('status').splitlines()[1:]
    assert len(lines) == 16
    assert all(line.endswith(' running') for line in lines), lines


def test_env_output_works_with_the_swift_cli(pair):
    env = dict(os.environ, **pair.env('b', 'test2:tester2'))
    result = subprocess.run([swift_cli(), 'stat'], env=env,
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert 'Account: AUTH_test2' in result.stdout


def test_forced_sync_pass_moves_an_object_from_a_to_b(pair):
    container = 'smoke-%s' % uuid.uuid4().hex
    a, b = pair.a.connection(), pair.b.connection()
    a.put_container(container)
    try:
        a.put_object(container, 'hello.txt', b'hello')
        pair.a.sync_once()
        _, body = b.get_object(container, 'hello.txt')
        assert body == b'hello'
    finally:
        remove_everywhere(a, b, container, 'hello.txt')


def test_a_stopped_cluster_starts_again(pair):
    pair.b.stop()
    try:
        assert not health.answers(pair.b.port, 'proxy')
        assert health.answers(pair.a.port, 'proxy')
    finally:
        pair.b.start()
    assert health.answers(pair.b.port, 'proxy')
    url, token = pair.b.get_auth()
    assert client.head_account(url, token)


def test_up_twice_is_harmless(pair):
    assert 'already up' in pair.run('up')


def test_down_leaves_no_process_behind(pair_factory):
    spare = pair_factory(autosync=False)
    pids = []
    for cluster in spare.clusters:
        run_dir = spare.layout.run_dir(cluster.name)
        for name in os.listdir(run_dir):
            started = process.running(os.path.join(run_dir, name))
            pids.extend(process.group_members(started.pid))
    assert len(pids) >= 16
    spare.down()
    assert not any(process.start_time(pid) for pid in pids)
    assert not os.path.exists(spare.data_dir)


def test_url_style_pair_syncs_into_a_publicly_readable_container(url_pair):
    container = 'smoke-url-%s' % uuid.uuid4().hex
    a, b = url_pair.a.connection(), url_pair.b.connection()
    # Full-URL sync HEADs the remote object with only the sync key,
    # which tempauth refuses unless the container allows anonymous reads.
    a.put_container(container, headers={'X-Container-Read': '.r:*'})
    try:
        headers = b.head_container(container)
        assert headers['x-container-sync-to'].startswith(
            url_pair.a.proxy_url)
        a.put_object(container, 'hello.txt', b'hello')
        url_pair.a.sync_once()
        _, body = b.get_object(container, 'hello.txt')
        assert body == b'hello'
    finally:
        remove_everywhere(a, b, container, 'hello.txt')
