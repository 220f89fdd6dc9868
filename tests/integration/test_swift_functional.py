"""Swift's own functional tests, against cluster A of a pair with autosync.

Each test here runs one file of ``test/functional`` from the sdist of the
installed Swift (see swift_sdist.py and upstream_run.py) as the account
owner ``test:tester`` of cluster A with tempauth; the tests upstream
runs only on Keystone are test_swift_functional_keystone.py's.

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

import pytest

from e2e_helpers import pair_for_module
from swift_sdist import functional_tests_dir, write_test_conf
from upstream_run import (
    DESELECTED,
    assert_file_passes,
    empty_accounts,
    environment,
)

UPSTREAM_FILES = ('tests.py', 'test_account.py', 'test_container.py',
                  'test_object.py', 'test_access_control.py')
IDLE_SYNC_INTERVAL = 86400.0

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
    return functional_tests_dir(), environment(str(conf))


# The accounts the upstream tests write to, as their owners.
OWNERS = ['test:tester', 'test2:tester2']


def test_what_an_earlier_run_left_is_removed_before_a_file(
        functional_pair):
    for user in OWNERS:
        left = functional_pair.a.connection(user)
        left.put_container('left-behind')
        left.put_object('left-behind', 'obj', b'from a killed run')
    empty_accounts(functional_pair, OWNERS)
    for user in OWNERS:
        for cluster in functional_pair.clusters:
            assert cluster.connection(user).get_account()[1] == [], (
                user, cluster.name)


@pytest.mark.parametrize('file_name', UPSTREAM_FILES)
def test_swift_functional_file_passes(functional_pair, upstream, file_name,
                                      tmp_path):
    tree, env = upstream
    empty_accounts(functional_pair, OWNERS)
    assert_file_passes(tree, env, file_name, str(tmp_path / 'junit.xml'),
                       DESELECTED)
