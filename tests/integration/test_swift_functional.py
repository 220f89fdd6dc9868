"""Swift's own functional tests, against cluster A of a pair with autosync.

Each test here runs one file of ``test/functional`` from the sdist of the
installed Swift (see swift_sdist.py) in a subprocess, as the account
owner ``test:tester`` of cluster A, and fails listing the upstream tests
that failed. Upstream skips (keystone only, one storage policy, filters
not in the pipeline) stay skips.

The pair has its own data: the upstream tests empty the test accounts.
Its container-sync daemons idle (a day-long interval): the upstream tests
think of one cluster and delete a container right after its objects, and
when container-sync has already copied them to B autosync answers 409
(not empty at B) on purpose; which tests meet a sync pass is a matter of
timing, so they cannot be named below. Objects syncing is tested in
test_objects_sync.py.

Both proxies run with ``read_fallback`` on: every object the upstream
tests expect to be missing (deleted, never written, expired) is then
asked for at B too, and must still be missing.
AUTOSYNC_FUNCTIONAL_READ_FALLBACK=off runs them with it off, and
AUTOSYNC_FUNCTIONAL_PLAIN=1 on a pair without autosync, to compare.
"""

import os
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ElementTree
from typing import Dict, List

import pytest

from e2e_helpers import pair_for_module
from swift_sdist import functional_tests_dir, write_test_conf

UPSTREAM_FILES = ('tests.py', 'test_account.py', 'test_container.py',
                  'test_object.py', 'test_access_control.py')
RUN_TIMEOUT = 480  # tests.py takes 1.5 min; 4 on a busy machine
IDLE_SYNC_INTERVAL = 86400.0

# Behaviour autosync changes on purpose (README.md, "Swift's functional
# tests", lists the same): upstream node id -> why.
CHANGED_ON_PURPOSE = {
    'test/functional/test_container.py::TestContainer::'
    'test_protected_container_sync':
        'the client sets X-Container-Sync-Key; autosync owns the sync '
        'headers of containers it syncs and answers 400',
}

# autosync bugs, reported: upstream node id -> the bug. Remove an entry
# when its bug is fixed (none open now).
KNOWN_BUGS = {}

DESELECTED = dict(CHANGED_ON_PURPOSE, **KNOWN_BUGS)


@pytest.fixture(scope='module')
def functional_pair(pair_factory):
    plain = bool(os.environ.get('AUTOSYNC_FUNCTIONAL_PLAIN'))
    read_fallback = os.environ.get(
        'AUTOSYNC_FUNCTIONAL_READ_FALLBACK', 'on') != 'off'
    yield from pair_for_module(pair_factory, autosync=not plain,
                               sync_interval=IDLE_SYNC_INTERVAL,
                               read_fallback=read_fallback and not plain)


@pytest.fixture(scope='module')
def upstream(functional_pair, tmp_path_factory):
    """(directory holding test/, environment for the upstream run)."""
    conf = tmp_path_factory.mktemp('swift-functional') / 'test.conf'
    write_test_conf(str(conf), functional_pair.a.auth_url)
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(('SWIFT_TEST_', 'PYTEST_'))}
    env['SWIFT_TEST_CONFIG_FILE'] = str(conf)
    return functional_tests_dir(), env


def node_id(file_name: str, case: ElementTree.Element) -> str:
    test_class = case.get('classname', '').rsplit('.', 1)[-1]
    return 'test/functional/%s::%s::%s' % (file_name, test_class,
                                           case.get('name'))


def outcomes(junit_xml: str, file_name: str) -> Dict[str, str]:
    """node id -> passed/failed/skipped; a failed teardown fails it."""
    found: Dict[str, str] = {}
    for case in ElementTree.parse(junit_xml).iter('testcase'):
        if case.find('failure') is not None or \
                case.find('error') is not None:
            outcome = 'failed'
        elif case.find('skipped') is not None:
            outcome = 'skipped'
        else:
            outcome = 'passed'
        name = node_id(file_name, case)
        if found.get(name) != 'failed':
            found[name] = outcome
    return found


def deselected_in(file_name: str) -> List[str]:
    return [name for name in DESELECTED
            if name.startswith('test/functional/%s::' % file_name)]


def run_upstream(tree: str, env: Dict[str, str], file_name: str,
                 junit_xml: str) -> subprocess.CompletedProcess:
    path = 'test/functional/' + file_name
    deselect: List[str] = []
    for name in deselected_in(file_name):
        deselect += ['--deselect', name]
    return subprocess.run(
        [sys.executable, '-m', 'pytest', path, '-p', 'no:cacheprovider',
         '-q', '-rfE', '--junitxml', junit_xml] + deselect,
        cwd=tree, env=env, stdin=subprocess.DEVNULL, capture_output=True,
        text=True, timeout=RUN_TIMEOUT)


@pytest.mark.parametrize('file_name', UPSTREAM_FILES)
def test_swift_functional_file_passes(upstream, file_name, tmp_path):
    tree, env = upstream
    junit_xml = str(tmp_path / 'junit.xml')
    started = time.monotonic()
    result = run_upstream(tree, env, file_name, junit_xml)
    elapsed = time.monotonic() - started
    assert os.path.exists(junit_xml), (
        'upstream pytest exited %d without a report:\n%s%s'
        % (result.returncode, result.stdout[-3000:], result.stderr[-3000:]))
    found = outcomes(junit_xml, file_name)
    assert found, 'no upstream test ran:\n' + result.stdout[-3000:]
    counts = {outcome: sum(1 for o in found.values() if o == outcome)
              for outcome in ('passed', 'failed', 'skipped')}
    print('%s: %d passed, %d failed, %d skipped in %.1f s' % (
        file_name, counts['passed'], counts['failed'], counts['skipped'],
        elapsed))
    failed = sorted(name for name, o in found.items() if o == 'failed')
    assert not failed, (
        '%d upstream tests failed through autosync:\n  %s\n\n%s'
        % (len(failed), '\n  '.join(failed), result.stdout[-6000:]))
    # A renamed upstream test would silently stop being deselected.
    summary = re.search(r'(\d+) deselected', result.stdout)
    assert int(summary.group(1) if summary else 0) == len(
        deselected_in(file_name)), (
        'not every deselected test exists upstream: %s'
        % deselected_in(file_name))
