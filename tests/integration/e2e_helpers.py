"""What the end-to-end tests share: names, look-ups at both sites,
clean-up, raw HTTP for requests swiftclient will not send, the shape of
a correctly wired sync ring, the placement rules of the three-site
modules, an account ACL that lets a non-owner write, a pair of a
module's own, a cluster stopped for a while, ``autosync status`` and a
change made behind autosync's back.

Not called helpers.py: in a run of the whole tree, the unit tests'
helpers.py and this one would share one module name.
"""

import concurrent.futures
import contextlib
import glob
import http.client
import json
import os
import subprocess
import sys
import time
import uuid
from typing import Dict, List, Optional, Tuple
from urllib.parse import quote

import pytest
from swiftclient import client

from autosync.pair import process, render
from autosync.pair.cli import DEFAULT_USER
from autosync.placement import parse_site
from autosync.protocol import AUTH_HEADER, ORIG_CLUSTER_HEADER
from autosync.signing import sign, signed_fields

HERE = os.path.dirname(os.path.abspath(__file__))
ACCOUNT = 'AUTH_test'
SYNC_KEY_HEX_CHARS = 64  # autosync's keys are 256-bit, in hex
TIMEOUT = 10.0
# A user of ACCOUNT in no group: not its owner, so the proxy drops the
# headers only an owner may set.
NON_OWNER = 'test:tester3'
NON_OWNER_ACL = '{"read-write":["%s"]}' % NON_OWNER
# The placement filter of the three-site modules: logs-* containers on
# the ``logs`` sites only, the others on all three, and an owner's
# X-Autosync-Placement may name any of the three.
LOGS_RULES = """[filter:placement]
use = egg:swift-autosync#placement
sites = %(all)s
rules = logs
rule_logs_container_prefix = logs-
rule_logs_sites = %(logs)s
client_sites = %(all)s
"""


def unique(prefix: str = 'e2e') -> str:
    return '%s-%s' % (prefix, uuid.uuid4().hex)


def head_container(conn, container: str) -> Optional[Dict[str, str]]:
    """The container's headers, or None when it is not there."""
    try:
        return conn.head_container(container)
    except client.ClientException as err:
        if err.http_status == 404:
            return None
        raise


def head_object(conn, container: str, name: str
                ) -> Optional[Dict[str, str]]:
    """The object's headers, or None when it is not there (yet)."""
    try:
        return conn.head_object(container, name)
    except client.ClientException as err:
        if err.http_status == 404:
            return None
        raise


def _ignore_missing(call, *args) -> None:
    try:
        call(*args)
    except client.ClientException as err:
        if err.http_status not in (404, 409):
            raise


def purge(conns, container: str) -> None:
    """Remove ``container`` and its objects from every site of
    ``conns``; what is already gone is fine."""
    for _ in range(3):
        for conn in conns:
            try:
                _, listing = conn.get_container(container, full_listing=True)
            except client.ClientException as err:
                if err.http_status == 404:
                    continue
                raise
            for entry in listing:
                _ignore_missing(conn.delete_object, container, entry['name'])
        for conn in conns:
            _ignore_missing(conn.delete_container, container)
        if not any(head_container(conn, container) for conn in conns):
            return
    raise AssertionError('could not remove container %r' % container)


class Sites(object):
    """Both clusters of a pair as one user sees them; ``close()``
    removes every container the test named through ``container()``."""

    def __init__(self, pair, user: str = DEFAULT_USER):
        self.pair = pair
        self.user = user
        self.a = pair.a.connection(user)
        self.b = pair.b.connection(user)
        self.made = []

    @property
    def both(self):
        return self.a, self.b

    def container(self, name: Optional[str] = None,
                  prefix: str = 'e2e') -> str:
        """A container name of this test's own, removed at ``close()``."""
        name = name if name is not None else unique(prefix)
        self.made.append(name)
        return name

    def close(self) -> None:
        for name in self.made:
            purge(self.both, name)

    def __enter__(self) -> 'Sites':
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def assert_sync_to(headers: Dict[str, str], cluster: str, container: str,
                   account: str = ACCOUNT) -> None:
    """X-Container-Sync-To (as swiftclient unquotes it) points at
    ``cluster``'s copy; Swift upper-cases the realm and cluster."""
    value = headers.get('x-container-sync-to', '')
    site = render.realm_site(cluster) + '/'
    assert value[:len(site)].lower() == site, value
    assert value[len(site):] == '%s/%s' % (account, container), value


def assert_synced_both_ways(sites: Sites, container: str) -> str:
    """The container exists at A and B with one key, A syncing to B and
    B to A; return the key."""
    at_a = head_container(sites.a, container)
    at_b = head_container(sites.b, container)
    assert at_a is not None, 'missing at A'
    assert at_b is not None, 'missing at B'
    key = at_a.get('x-container-sync-key', '')
    assert len(key) == SYNC_KEY_HEX_CHARS, at_a
    assert at_b.get('x-container-sync-key') == key
    assert_sync_to(at_a, 'b', container)
    assert_sync_to(at_b, 'a', container)
    return key


def wait_for_objects(pair, wanted, timeout: float) -> list:
    """Wait (no forced pass) until every ``(conn, container, name)`` of
    ``wanted`` is readable; return, for each, its headers and the
    seconds it took to appear."""
    started = time.monotonic()
    found = [None] * len(wanted)

    def all_there():
        for i, (conn, container, name) in enumerate(wanted):
            if found[i] is None:
                headers = head_object(conn, container, name)
                if headers is not None:
                    found[i] = (headers, time.monotonic() - started)
        return all(found)

    pair.wait_until(all_there, timeout)
    return found


def raw(cluster, method: str, container: Optional[str] = None,
        headers: Optional[Dict[str, str]] = None, token: Optional[str] = '',
        query: str = '', account: str = ACCOUNT, body: bytes = b'',
        port: Optional[int] = None) -> Tuple[int, Dict[str, str], bytes]:
    """One request exactly as given (headers swiftclient would not
    send); ``container`` may go on with ``/<object>``; names are quoted
    here only. ``token=''`` logs in as test:tester, ``token=None`` sends
    none. ``port``: another proxy of the cluster than its first."""
    path = '/v1/' + quote(account)
    if container is not None:
        path += '/' + quote(container)
    if query:
        path += '?' + query
    headers = dict(headers or {})
    if token == '':
        token = cluster.get_auth()[1]
    if token is not None:
        headers['X-Auth-Token'] = token
    conn = http.client.HTTPConnection('127.0.0.1', port or cluster.port,
                                      timeout=TIMEOUT)
    try:
        conn.request(method, path, body=body or None, headers=headers)
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


def signed_put(pair, container: str, origin: str = '//autosync/a',
               destination: str = '//autosync/b'
               ) -> Tuple[Dict[str, str], float]:
    """(headers, signing time) of a container PUT as ``origin`` sends
    it to ``destination``, signed with the pair's realm key."""
    headers = {ORIG_CLUSTER_HEADER: origin}
    signed_at = time.time()
    headers[AUTH_HEADER] = sign(pair.settings.realm_key, signed_fields(
        'PUT', '/v1/%s/%s' % (ACCOUNT, quote(container)), '', origin,
        parse_site(destination).ident, headers), now=signed_at)
    return headers, signed_at


def sync_both_at_once(pair) -> None:
    """One forced container-sync pass at A and at B, side by side: each
    is a process that spends most of its time importing Swift."""
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        for done in [pool.submit(cluster.sync_once)
                     for cluster in pair.clusters]:
            done.result()


@contextlib.contextmanager
def sync_daemon_stopped(cluster):
    """Stop ``cluster``'s container-sync daemon for a while (objects
    written there stay there), and start it again whatever happens."""
    pair = cluster.pair
    process.stop([pair.layout.pid_file(cluster.name, 'container-sync')])
    try:
        yield
    finally:
        cluster.start()


@contextlib.contextmanager
def granting_non_owner_write(owner: client.Connection):
    """An account ACL, set through ``owner``'s connection, letting
    NON_OWNER create containers; removed the same way on the way out."""
    owner.post_account({'X-Account-Access-Control': NON_OWNER_ACL})
    try:
        yield
    finally:
        owner.post_account({'X-Account-Access-Control': ''})


def realm_sites(names: str) -> str:
    """'ac' -> '//autosync/a, //autosync/c'."""
    return ', '.join(render.realm_site(name) for name in names)


def logs_rules(names: str) -> str:
    """LOGS_RULES for three sites, logs-* on the sites ``names``."""
    return LOGS_RULES % {'all': realm_sites('abc'),
                         'logs': realm_sites(names)}


def require_unpatched_ssl() -> None:
    """Skip unless boto3 can work here: once eventlet has patched ssl
    after its import (tests/unit/conftest.py patches sockets, and a
    plain ``pytest`` loads it after this package's imports), making an
    SSL context recurses without end."""
    eventlet = sys.modules.get('eventlet')
    if eventlet is not None and eventlet.patcher.is_monkey_patched('socket'):
        pytest.skip('eventlet patched ssl in this process (the unit tests '
                    'do): run tests/integration in a pytest of its own, '
                    'as make test does')


def connections(pair) -> Dict[str, client.Connection]:
    """A swiftclient connection to each cluster of ``pair``, by name."""
    return {cluster.name: cluster.connection() for cluster in pair.clusters}


def pair_for_module(pair_factory, **kwargs):
    """A pair for one test module, taken down when the module is done:
    every pair left up runs its daemons and slows all that follows."""
    made = pair_factory(**kwargs)
    yield made
    if not getattr(made, 'is_down', False) and \
            not os.environ.get('AUTOSYNC_PAIR_KEEP'):
        made.down()


def pair_of_its_own(**choices):
    """``duo = pair_of_its_own()`` in a test module: a module fixture, a
    pair for that module alone (its tests stop and start its clusters),
    taken down when the module is done; ``choices`` are
    ``pair_factory``'s (``proxies=2``, ``sync_interval=86400``...)."""
    @pytest.fixture(scope='module')
    def duo(pair_factory):
        yield from pair_for_module(pair_factory, **choices)
    return duo


@contextlib.contextmanager
def stopped(cluster):
    """``cluster`` stopped for the block (its data stays), and started
    again whatever happens."""
    cluster.stop()
    try:
        yield
    finally:
        cluster.start()


def fails_with(status: int, call, *args, **kwargs
               ) -> client.ClientException:
    """``call(*args, **kwargs)`` must fail with HTTP ``status``."""
    with pytest.raises(client.ClientException) as caught:
        call(*args, **kwargs)
    assert caught.value.http_status == status, caught.value
    return caught.value


def autosync_status(pair, *args: str, cluster: str = 'a'
                    ) -> Tuple[int, str]:
    """``autosync status ARGS`` with ``cluster``'s reconciler conf:
    (exit status, stdout); a status that cannot run fails the test."""
    conf = pair.layout.conf(cluster, 'autosync-reconciler.conf')
    result = subprocess.run(
        [sys.executable, '-m', 'autosync.cli', 'status', '--conf', conf,
         *args], capture_output=True, text=True, timeout=120)
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, result.stdout


def status_reports(pair, where: str, cluster: str = 'a'
                   ) -> Tuple[int, list]:
    """``autosync status --json WHERE`` at ``cluster``: (exit status,
    the reports)."""
    code, shown = autosync_status(pair, '--json', where, cluster=cluster)
    return code, json.loads(shown)


def log_lines(cluster, server: str, *words: str) -> List[str]:
    """The lines of ``cluster``'s ``server`` logs (every node's, every
    proxy's) that hold all of ``words``."""
    found = []
    for path in sorted(glob.glob(os.path.join(cluster.log_dir,
                                              server + '*.log'))):
        with open(path, errors='replace') as log:
            found.extend(line for line in log
                         if all(word in line for word in words))
    return found


def batch_reads(cluster) -> Tuple[int, int, int]:
    """What ``cluster`` has answered of other sites' batched reads so
    far: (batched reads its proxies answered, batches its container
    servers answered, container HEADs other sites signed)."""
    return (len(log_lines(cluster, 'proxy-server', 'as:peer-batch')),
            len(log_lines(cluster, 'container-server', '"POST /',
                          '/0/%s HTTP' % ACCOUNT, '" 200 ')),
            len(log_lines(cluster, 'proxy-server', 'HEAD /v1/%s/' % ACCOUNT,
                          ' as:peer')))


def behind_autosync(pair, cluster: str, name: str, *change: str) -> None:
    """POST NAME=VALUE pairs to, or DELETE, container ``name`` of
    ACCOUNT at ``cluster`` only, through its internal client
    (break_container.py): autosync sees none of it."""
    subprocess.run(
        [sys.executable, '-m', 'autosync.pair.launcher',
         pair.layout.swift_dir(cluster), 'break_container:main',
         pair.layout.conf(cluster, 'internal-client.conf'), ACCOUNT, name,
         *change],
        check=True, cwd=HERE, env=dict(os.environ, PYTHONPATH=HERE),
        timeout=60)
