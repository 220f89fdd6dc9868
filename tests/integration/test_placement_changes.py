"""Placement after the fact, on three real clusters: a change of rules
leaves existing containers where they were made; an owner's change
unwires the site it drops and leaves it its copy, which the owner may
delete there; two owner changes at once may leave the sites differing,
which `autosync status` reports and one reconciler pass at every site
makes one whole ring again."""

import concurrent.futures
import configparser
import dataclasses
import hashlib
import json
import os
import struct
import subprocess
import sys
import threading
from typing import Dict, List, Optional, Tuple

import pytest
from swift.common import direct_client
from swift.common.utils import Timestamp

from autosync.pair.layout import REALM, device_name
from autosync.pair.rings import PART_POWER

from e2e_helpers import (
    ACCOUNT,
    TIMEOUT,
    connections,
    head_container,
    head_object,
    logs_rules,
    purge,
    raw,
    realm_sites,
    unique,
)

PLACEMENT = 'X-Autosync-Placement'
# What autosync records with a container at each site of it; clients
# never see sysmeta, the container servers do.
PLACEMENT_SYSMETA = 'x-container-sysmeta-autosync-placement'
VERSION_SYSMETA = 'x-container-sysmeta-autosync-placement-version'
def site_names(placement: str) -> str:
    """'//autosync/a, //autosync/c' -> 'ac'."""
    return ''.join(site.strip().rsplit('/', 1)[-1]
                   for site in placement.split(','))


# The trio starts with logs-* on A and C (conftest); a test here
# restarts it with these rules.
CHANGED_CONF = logs_rules('ab')


@pytest.fixture
def conns(trio):
    return connections(trio)


def sync_to(headers: Dict[str, str]) -> str:
    """Where a copy syncs to ('' for nowhere); Swift upper-cases the
    realm and cluster."""
    return headers.get('x-container-sync-to', '').lower()


def target(name: str, container: str) -> str:
    return '//%s/%s/%s/%s' % (REALM, name, ACCOUNT.lower(), container)


def listing(conn, container: str) -> List[str]:
    return [entry['name'] for entry in
            conn.get_container(container, full_listing=True)[1]]


def peer_requests(cluster, container: str) -> List[str]:
    """The lines of ``cluster``'s proxy log for requests another site
    made about ``container``."""
    path = ' /v1/%s/%s' % (ACCOUNT, container)  # a query may follow
    with open(cluster.pair.layout.log(cluster.name, 'proxy-server')) as f:
        return [line for line in f if path in line and 'as:peer' in line]


def deletes_logged(cluster, container: str) -> List[str]:
    """The lines of ``cluster``'s proxy log for a DELETE of
    ``container``, whoever sent it."""
    request = ' DELETE /v1/%s/%s' % (ACCOUNT, container)
    with open(cluster.pair.layout.log(cluster.name, 'proxy-server')) as f:
        return [line for line in f if request + ' ' in line
                or request + '?' in line]


# -- straight to the container servers: what the proxy never shows --

def backend(cluster, container: str) -> Optional[Dict[str, str]]:
    """HEAD ``container`` at ``cluster``'s container server: its
    headers with lower-case names, sysmeta included, or None when it is
    not there. The pair's rings have one device: only the partition
    needs computing, as Swift's hash_path does with this cluster's
    swift.conf."""
    hash_conf = configparser.ConfigParser()
    hash_conf.read(cluster.pair.layout.conf(cluster.name, 'swift.conf'))
    path = '%s/%s/%s%s' % (
        hash_conf.get('swift-hash', 'swift_hash_path_prefix'), ACCOUNT,
        container, hash_conf.get('swift-hash', 'swift_hash_path_suffix'))
    digest = hashlib.md5(path.encode('utf-8')).digest()
    part = struct.unpack_from('>I', digest)[0] >> (32 - PART_POWER)
    node = {'ip': '127.0.0.1', 'device': device_name(1),
            'port': cluster.service_port('container')}
    try:
        headers = direct_client.direct_head_container(node, part, ACCOUNT,
                                                      container)
    except direct_client.DirectClientException as err:
        if err.http_status == 404:
            return None
        raise
    return {name.lower(): value for name, value in headers.items()}


# -- 1. A change of rules does not move existing containers --

@pytest.fixture(scope='module')
def made_before_the_change(trio):
    """Two logs- containers made at A while logs-* went to A and C, with
    an object synced to C; then the pair restarted with logs-* on A and
    B. Yields their names."""
    before = connections(trio)
    made = [unique('logs') for _ in range(2)]
    for container in made:
        before['a'].put_container(container)
        before['a'].put_object(container, 'line', b'before')
    trio.a.sync_once()
    for container in made:
        assert before['c'].get_object(container, 'line')[1] == b'before'
    changed = os.path.join(trio.data_dir, 'placement-changed.conf')
    with open(changed, 'w') as f:
        f.write(CHANGED_CONF)
    trio.run('down')  # no --wipe: the data and the ports stay
    trio.run('up', '--placement-conf', changed)
    yield made
    for container in made:
        purge(connections(trio).values(), container)


def test_rule_change_leaves_the_container_at_a_and_c(
        trio, conns, made_before_the_change):
    container = made_before_the_change[0]
    assert head_container(conns['b'], container) is None
    for name in 'ac':
        assert conns[name].get_object(container, 'line')[1] == b'before'
    assert sync_to(head_container(conns['a'], container)) == \
        target('c', container)
    assert sync_to(head_container(conns['c'], container)) == \
        target('a', container)


def test_owner_sees_the_placement_recorded_before_the_change(
        trio, conns, made_before_the_change):
    container = made_before_the_change[0]
    for name in 'ac':
        shown = head_container(conns[name], container)
        assert shown['x-autosync-placement'] == realm_sites('ac'), name


def test_post_after_rule_change_reaches_c_never_b(
        trio, conns, made_before_the_change):
    container = made_before_the_change[0]
    conns['a'].post_container(container, {'X-Container-Meta-Colour': 'red'})
    at_c = head_container(conns['c'], container)
    assert at_c['x-container-meta-colour'] == 'red'
    assert any(' POST ' in line for line in peer_requests(trio.c, container))
    assert head_container(conns['b'], container) is None
    assert peer_requests(trio.b, container) == []


def test_delete_after_rule_change_goes_to_a_and_c(
        trio, conns, made_before_the_change):
    container = made_before_the_change[1]
    conns['a'].delete_object(container, 'line')
    trio.a.sync_once()  # the delete reaches C, which is empty then too
    assert listing(conns['c'], container) == []
    conns['a'].delete_container(container)
    assert head_container(conns['a'], container) is None
    assert head_container(conns['c'], container) is None
    assert any(' DELETE ' in line
               for line in peer_requests(trio.c, container))
    assert peer_requests(trio.b, container) == []


def test_new_container_follows_the_new_rule(
        trio, conns, made_before_the_change):
    container = unique('logs')
    conns['a'].put_container(container)
    try:
        assert head_container(conns['c'], container) is None
        at_a = head_container(conns['a'], container)
        at_b = head_container(conns['b'], container)
        assert at_a['x-autosync-placement'] == realm_sites('ab')
        assert sync_to(at_a) == target('b', container)
        assert sync_to(at_b) == target('a', container)
    finally:
        purge(conns.values(), container)


# -- 2. A site the owner drops keeps its copy, unwired --

OBJECTS = ['from-a', 'from-b', 'from-c']


@pytest.fixture(scope='module')
def b_dropped(trio):
    """A container at A, B and C with an object written at each site and
    synced to all three; then its owner places it on A and C only.
    Yields (name, its sync key, the headers of the POST's answer)."""
    conns = connections(trio)
    container = unique('three')
    conns['a'].put_container(container)
    key = head_container(conns['a'], container)['x-container-sync-key']
    for name, conn in conns.items():
        conn.put_object(container, 'from-' + name, name.encode())
    trio.sync_once()  # A -> B, B -> C, C -> A, in turn
    trio.a.sync_once()  # what C sent A goes on to B
    for name, conn in conns.items():
        assert listing(conn, container) == OBJECTS, name
    answer = {}
    conns['a'].post_container(container, {PLACEMENT: realm_sites('ac')},
                              response_dict=answer)
    yield container, key, answer['headers']
    purge(connections(trio).values(), container)


def test_dropping_b_answers_that_b_is_unwired(b_dropped):
    _, _, answer = b_dropped
    assert answer['x-autosync-unwired'] == realm_sites('b')
    assert answer['x-autosync-placement'] == realm_sites('ac')


def test_dropped_site_keeps_its_copy_and_objects(conns, b_dropped):
    container, _, _ = b_dropped
    assert head_container(conns['b'], container) is not None
    assert listing(conns['b'], container) == OBJECTS
    assert conns['b'].get_object(container, 'from-a')[1] == b'a'


def test_dropped_site_syncs_nowhere(conns, b_dropped):
    container, _, _ = b_dropped
    at_b = head_container(conns['b'], container)
    # Swift shows no metadata whose value is empty: cleared is absent.
    assert 'x-container-sync-to' not in at_b, at_b
    assert 'x-container-sync-key' not in at_b, at_b
    # What the owner learns there: where the container lives now.
    assert at_b['x-autosync-placement'] == realm_sites('ac')


def test_ring_closes_over_a_and_c_with_the_same_key(conns, b_dropped):
    container, key, _ = b_dropped
    at_a = head_container(conns['a'], container)
    at_c = head_container(conns['c'], container)
    assert sync_to(at_a) == target('c', container)
    assert sync_to(at_c) == target('a', container)
    assert at_a['x-container-sync-key'] == key
    assert at_c['x-container-sync-key'] == key


def test_object_written_after_the_drop_reaches_c_never_b(
        trio, conns, b_dropped):
    container, _, _ = b_dropped
    conns['a'].put_object(container, 'after', b'after')
    trio.a.sync_once()
    assert conns['c'].get_object(container, 'after')[1] == b'after'
    trio.sync_once()  # every site once more: none hands it to B
    assert head_object(conns['b'], container, 'after') is None


def test_owner_can_delete_the_unwired_copy(trio, conns):
    container = unique('three')
    conns['a'].put_container(container)
    try:
        conns['a'].post_container(container, {PLACEMENT: realm_sites('ac')})
        answer = {}
        conns['b'].delete_container(container, response_dict=answer)
        assert 200 <= answer['status'] < 300, answer
        assert head_container(conns['b'], container) is None
        # Deleted there only: the container lives on at A and C.
        for name in 'ac':
            assert head_container(conns[name], container) is not None, name
            assert deletes_logged(getattr(trio, name), container) == [], \
                name
    finally:
        purge(conns.values(), container)


# -- 3. Concurrent changes end in one ring --

# Two owner changes sent at once, each at a site that stays in its own
# placement (elsewhere it is a 409 and no race). Swift cannot make two
# crossing writes atomic, so the sites may differ until the reconciler
# repairs them: `autosync status` must say so, and one reconciler pass
# at every site must leave one ring over the newest placement.
CONFLICTS = {
    # A drops C while C drops A; B gets both.
    'each-drops-the-other': (('a', 'ab'), ('c', 'bc')),
    # A drops C while B drops A; C is told to join one ring and leave.
    'one-drops-the-other': (('a', 'ab'), ('b', 'bc')),
}
# A round races each pattern once per rotation (a -> b -> c), on a
# container of its own, then reconciles at every site: a pass costs
# seconds, whatever it has to check.
ROUNDS = 2
STATUS_TIMEOUT = 60


def rotated(names: str, by: int) -> str:
    return ''.join(sorted('abc'[('abc'.index(n) + by) % 3] for n in names))


def post_at_once(pair, container: str, changes, tokens) -> List[str]:
    """Send each (site, wanted sites) POST at the same moment; return
    each answer as 'site: status body'."""
    ready = threading.Barrier(len(changes))

    def post(at, wanted):
        ready.wait(TIMEOUT)
        status, _, body = raw(getattr(pair, at), 'POST', container,
                              headers={PLACEMENT: realm_sites(wanted)},
                              token=tokens[at])
        return '%s: %d %s' % (at, status, body.decode(errors='replace'))

    with concurrent.futures.ThreadPoolExecutor(len(changes)) as pool:
        return [done.result() for done in
                [pool.submit(post, *change) for change in changes]]


def copies(pair, container: str) -> Dict[str, Dict[str, str]]:
    """Site name -> the container server's headers, where it is."""
    held = {c.name: backend(c, container) for c in pair.clusters}
    return {name: headers for name, headers in held.items() if headers}


def newest_placement(held: Dict[str, Dict[str, str]]) -> str:
    """The placement recorded with the newest version at any site."""
    return max(held.values(), key=lambda headers: Timestamp(
        headers[VERSION_SYSMETA]))[PLACEMENT_SYSMETA]


def ring_faults(held: Dict[str, Dict[str, str]], container: str,
                key: str) -> List[str]:
    """What keeps the copies ``held`` from being one ring over the
    newest placement recorded (nothing when they are)."""
    placement = newest_placement(held)
    members = site_names(placement)
    faults = []
    for i, name in enumerate(members):
        headers = held.get(name)
        if headers is None:
            faults.append('%s: no copy' % name)
            continue
        if headers[PLACEMENT_SYSMETA] != placement:
            faults.append('%s: records %s' % (name,
                                              headers[PLACEMENT_SYSMETA]))
        following = members[(i + 1) % len(members)]
        if sync_to(headers) != target(following, container):
            faults.append('%s: syncs to %r, not to %s' % (
                name, sync_to(headers), following))
        if headers.get('x-container-sync-key') != key:
            faults.append('%s: another sync key' % name)
    for name, headers in held.items():
        if name not in members and (sync_to(headers) or headers.get(
                'x-container-sync-key')):
            faults.append('%s: outside %s, still syncs to %r' % (
                name, placement, sync_to(headers)))
    return faults


def describe(held: Dict[str, Dict[str, str]]) -> str:
    return '; '.join('%s: %s @%s -> %r' % (
        name, headers.get(PLACEMENT_SYSMETA), headers.get(VERSION_SYSMETA),
        sync_to(headers)) for name, headers in sorted(held.items()))


@dataclasses.dataclass
class Race:
    """A container and the two owner changes sent to it at once."""

    container: str
    changes: Tuple[Tuple[str, str], ...]
    key: str
    answers: List[str]
    before: Dict[str, Dict[str, str]]  # the copies just after

    def context(self, after=None) -> str:
        lines = ['%s, sites: %s' % (self.container, describe(self.before)),
                 'answers:'] + self.answers
        if after is not None:
            lines.append('after reconciling: %s' % describe(after))
        return '\n'.join(lines)


def race(pair, conns, changes, tokens, made: List[str]) -> Race:
    """Make a container at A (so at every site: no rule places race-*)
    and send it ``changes`` at once; its name goes in ``made``."""
    container = unique('race')
    made.append(container)
    conns['a'].put_container(container)
    key = head_container(conns['a'], container)['x-container-sync-key']
    answers = post_at_once(pair, container, changes, tokens)
    return Race(container, tuple(changes), key, answers,
                copies(pair, container))


def status(pair, container: str) -> Tuple[int, dict]:
    """`autosync status --json` at A for ``container``: its exit status
    and its report on the container."""
    result = subprocess.run(
        [sys.executable, '-m', 'autosync.cli', 'status', '--conf',
         pair.layout.conf('a', 'autosync-reconciler.conf'), '--json',
         '%s/%s' % (ACCOUNT, container)],
        stdin=subprocess.DEVNULL, capture_output=True, text=True,
        timeout=STATUS_TIMEOUT)
    assert result.returncode in (0, 1), result.stderr
    [report] = [entry for entry in json.loads(result.stdout)
                if entry['container'] == container]
    return result.returncode, report


def reconcile_everywhere(pair) -> None:
    for cluster in pair.clusters:
        pair.run('reconcile', cluster.name)


def reconciler_log(pair, container: str) -> str:
    """What the reconciler passes logged about ``container``."""
    lines = []
    for cluster in pair.clusters:
        path = pair.layout.log(cluster.name, 'autosync-reconciler-once')
        with open(path) as f:
            lines += ['%s| %s' % (cluster.name, line.rstrip())
                      for line in f if container in line]
    return '\n'.join(lines)


def assert_status_reports_the_difference(pair, raced: Race) -> None:
    faults = ring_faults(raced.before, raced.container, raced.key)
    if not faults:
        return
    code, report = status(pair, raced.container)
    assert code != 0 and not report['ok'], '%s\n%s\nstatus: %s' % (
        '; '.join(faults), raced.context(), json.dumps(report, indent=1))


def reconciled_faults(pair, conns, raced: Race) -> List[str]:
    """What keeps ``raced``'s copies from one ring over the newest
    placement its changes recorded, after the reconciler passes."""
    after = copies(pair, raced.container)
    placement = newest_placement(after)
    faults = ring_faults(after, raced.container, raced.key)
    if placement != newest_placement(raced.before):
        faults.append('placement %s, not the newest recorded (%s)' % (
            placement, newest_placement(raced.before)))
    if site_names(placement) not in [w for _, w in raced.changes]:
        faults.append('placement %s was asked by no change' % placement)
    if set(after) != set(raced.before):
        faults.append('copies at %s, were at %s' % (
            ''.join(sorted(after)), ''.join(sorted(raced.before))))
    for name in sorted(after):
        shown = head_container(conns[name], raced.container)
        if shown['x-autosync-placement'] != placement:
            faults.append('%s: HEAD shows %s' % (
                name, shown['x-autosync-placement']))
    if not faults:
        return []
    _, report = status(pair, raced.container)
    return ['%s\n%s\nreconciler:\n%s\nstatus: %s' % (
        '; '.join(faults), raced.context(after),
        reconciler_log(pair, raced.container), json.dumps(report, indent=1))]


@pytest.mark.parametrize('conflict', sorted(CONFLICTS))
def test_concurrent_changes_end_in_one_ring(trio, conns, conflict):
    tokens = {c.name: c.get_auth()[1] for c in trio.clusters}
    made = []
    try:
        for round_ in range(ROUNDS):
            races = []
            for by in range(3):
                changes = [(rotated(at, by), rotated(wanted, by))
                           for at, wanted in CONFLICTS[conflict]]
                races.append(race(trio, conns, changes, tokens, made))
            for each in races:
                assert_status_reports_the_difference(trio, each)
            reconcile_everywhere(trio)
            unfixed = [fault for each in races
                       for fault in reconciled_faults(trio, conns, each)]
            assert not unfixed, 'round %d:\n%s' % (
                round_, '\n\n'.join(unfixed))
    finally:
        for container in made:
            purge(conns.values(), container)
