"""Run one file of Swift's functional tests and judge its outcome.

Shared by test_swift_functional.py (tempauth) and
test_swift_functional_keystone.py: each runs upstream files from the
sdist's ``test/functional`` (swift_sdist.py) in a subprocess against
cluster A of a pair of its own, and fails listing the upstream tests
that failed. Upstream skips (one storage policy, filters not in the
pipeline) stay skips.
"""

import os
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ElementTree
from typing import Dict, List

from e2e_helpers import purge

# tests.py, the longest, takes 1.5 min on a quiet 2-core machine and 4
# at a load average of 40: five times that, so that only a hang ends it.
RUN_TIMEOUT = 1200

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
KNOWN_BUGS: Dict[str, str] = {}

DESELECTED = dict(CHANGED_ON_PURPOSE, **KNOWN_BUGS)


def environment(conf_path: str) -> Dict[str, str]:
    """This process's environment, less any SWIFT_TEST_/PYTEST_
    setting, with the test.conf at ``conf_path``."""
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(('SWIFT_TEST_', 'PYTEST_'))}
    env['SWIFT_TEST_CONFIG_FILE'] = conf_path
    return env


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


def deselected_in(file_name: str, deselected: Dict[str, str]) -> List[str]:
    return [name for name in deselected
            if name.startswith('test/functional/%s::' % file_name)]


def run_upstream(tree: str, env: Dict[str, str], file_name: str,
                 junit_xml: str, deselect: List[str]
                 ) -> subprocess.CompletedProcess:
    """The upstream run; a run past RUN_TIMEOUT fails the test saying
    so, with the machine's load and the end of what it printed."""
    path = 'test/functional/' + file_name
    args: List[str] = []
    for name in deselect:
        args += ['--deselect', name]
    try:
        return subprocess.run(
            [sys.executable, '-m', 'pytest', path, '-p', 'no:cacheprovider',
             '-q', '-rfE', '--junitxml', junit_xml] + args,
            cwd=tree, env=env, stdin=subprocess.DEVNULL, capture_output=True,
            text=True, timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired as expired:
        printed = expired.stdout or b''
        if isinstance(printed, bytes):
            printed = printed.decode('utf-8', 'replace')
        raise AssertionError(
            'upstream %s did not finish within %d s (load average now '
            '%.1f, %.1f, %.1f); the end of its output:\n%s' % (
                file_name, RUN_TIMEOUT, *os.getloadavg(),
                printed[-3000:])) from None


def empty_accounts(pair, users: List[str]) -> None:
    """Remove every container (and its objects) of ``users``' own
    accounts at every site: each upstream file starts from nothing an
    earlier one left (a run killed midway leaves containers, and the
    next file's empty-account checks would fail for it)."""
    for user in users:
        conns = [cluster.connection(user) for cluster in pair.clusters]
        names = sorted({entry['name'] for conn in conns
                        for entry in conn.get_account(full_listing=True)[1]})
        try:
            for name in names:
                purge(conns, name)
        except AssertionError as err:
            raise AssertionError('%s left by an earlier run in the account '
                                 'of %s: %s' % (name, user, err)) from None


def assert_file_passes(tree: str, env: Dict[str, str], file_name: str,
                       junit_xml: str, deselected: Dict[str, str]) -> None:
    """Run ``file_name`` less ``deselected`` (node id -> why); fail
    naming every upstream test that failed. Prints the counts."""
    deselect = deselected_in(file_name, deselected)
    started = time.monotonic()
    result = run_upstream(tree, env, file_name, junit_xml, deselect)
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
    assert int(summary.group(1) if summary else 0) == len(deselect), (
        'not every deselected test exists upstream: %s' % deselect)
