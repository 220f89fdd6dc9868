"""Smoke tests of ``autosync-pair`` itself: the pair the other
end-to-end tests stand on comes up, answers, and goes away cleanly."""

import json
import os
import shutil
import subprocess
import sys
import uuid

import pytest
from swiftclient import client

from autosync.pair import health, process, render
from autosync.pair.layout import Layout, Settings

from e2e_helpers import (
    SYNC_KEY_HEX_CHARS,
    assert_sync_to,
    head_container,
    purge,
    unique,
)


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


PLACEMENT_CONF = '''[filter:placement]
use = egg:swift-autosync#placement
'''


def rendered_proxy_confs(tmp_path, **choices):
    """Each cluster's proxy-server.conf as ``up`` would write it."""
    layout, settings = Layout(str(tmp_path)), Settings.new(**choices)
    files = render.render(layout, settings)
    return {c: files[layout.conf(c, 'proxy-server.conf')]
            for c in settings.clusters}


def test_placement_conf_goes_into_every_proxy_before_autosync(tmp_path):
    confs = rendered_proxy_confs(tmp_path, sites=3,
                                 placement_conf=PLACEMENT_CONF)
    assert sorted(confs) == ['a', 'b', 'c']
    for cluster, conf in confs.items():
        assert PLACEMENT_CONF in conf, cluster
        assert ' tempauth placement autosync copy ' in conf, cluster


def test_no_placement_conf_no_placement_filter(tmp_path):
    for cluster, conf in rendered_proxy_confs(tmp_path).items():
        assert '[filter:placement]' not in conf, cluster
        assert ' tempauth autosync copy ' in conf, cluster


def test_a_placement_conf_with_another_section_is_refused():
    with pytest.raises(ValueError) as caught:
        render.check_placement_conf(
            PLACEMENT_CONF + '[filter:other]\nuse = egg:x#y\n', 'p.conf')
    assert 'p.conf' in str(caught.value)
    assert 'filter:other' in str(caught.value)


def test_every_cluster_lists_every_cluster_in_the_realm(tmp_path):
    layout = Layout(str(tmp_path))
    files = render.render(layout, Settings.new(sites=3))
    for cluster in 'abc':
        realms = files[layout.conf(cluster, 'container-sync-realms.conf')]
        assert [line.split(' = ')[0] for line in realms.splitlines()
                if line.startswith('cluster_')] == [
                    'cluster_a', 'cluster_b', 'cluster_c'], cluster


def test_three_proxies_answer_healthcheck(pair3):
    assert [c.name for c in pair3.clusters] == ['a', 'b', 'c']
    for cluster in pair3.clusters:
        status, _, body = health.request(cluster.port, 'GET', '/healthcheck')
        assert (status, body) == (200, b'OK'), cluster.name


def test_status_shows_every_process_of_three_clusters(pair3):
    lines = pair3.run('status').splitlines()[1:]
    assert len(lines) == 24
    assert {line.split()[0] for line in lines} == {'A', 'B', 'C'}
    assert all(line.endswith(' running') for line in lines), lines


def test_container_put_at_a_is_wired_in_a_ring_of_three(pair3):
    container = unique('ring3')
    conns = [cluster.connection() for cluster in pair3.clusters]
    conns[0].put_container(container)
    try:
        found = [head_container(conn, container) for conn in conns]
        assert all(found), found
        key = found[0]['x-container-sync-key']
        assert len(key) == SYNC_KEY_HEX_CHARS
        assert [f['x-container-sync-key'] for f in found] == [key] * 3
        for headers, next_site in zip(found, 'bca'):
            assert_sync_to(headers, next_site, container)
    finally:
        purge(conns, container)


def test_an_object_at_c_goes_round_the_ring_by_forced_passes(pair3):
    container = unique('ring3')
    a, b, c = [cluster.connection() for cluster in pair3.clusters]
    c.put_container(container)
    try:
        c.put_object(container, 'hello.txt', b'hello')
        pair3.c.sync_once()
        assert a.get_object(container, 'hello.txt')[1] == b'hello'
        pair3.a.sync_once()
        assert b.get_object(container, 'hello.txt')[1] == b'hello'
    finally:
        purge((a, b, c), container)


def test_up_with_another_number_of_sites_is_refused(pair3):
    with pytest.raises(AssertionError) as caught:
        pair3.run('up', '--sites', '2')
    assert 'runs with other settings (sites 3, not 2)' in str(caught.value)
