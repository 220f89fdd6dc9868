"""Swift's own functional tests on Keystone: cluster A of a pair with
autosync on a shared Keystone (``--auth keystone``), as upstream's
``test.conf`` for auth v3 sets them up (swift_sdist.keystone_users).

The files run are those with tests upstream runs only on Keystone v3:
the role matrix of test_access_control.py (member, a user with no
rights, another project, a user in another domain, ResellerAdmin,
service tokens on SERVICE_ accounts; at account, container and object
level), cross-project and cross-domain container ACLs in
test_container.py, a reseller's account POST in test_account.py.
tests.py and test_object.py pass on this pair too (README gives the
counts) but test nothing there that the tempauth run does not; they add
two minutes, so they run on tempauth only (test_swift_functional.py).
"""

import pytest

from e2e_helpers import pair_for_module
from swift_sdist import functional_tests_dir, write_test_conf
from upstream_run import (
    DESELECTED,
    assert_file_passes,
    empty_accounts,
    environment,
)

KEYSTONE_FILES = ('test_account.py', 'test_container.py',
                  'test_access_control.py')
IDLE_SYNC_INTERVAL = 86400.0  # as test_swift_functional.py, and why


# The accounts the upstream tests write to, as their owners.
OWNERS = ['test:tester', 'test2:tester2', 'test4:tester4']


@pytest.fixture(scope='module')
def keystone_pair(pair_factory):
    yield from pair_for_module(pair_factory, auth='keystone',
                               sync_interval=IDLE_SYNC_INTERVAL,
                               read_fallback=True)


@pytest.fixture(scope='module')
def keystone_upstream(keystone_pair, tmp_path_factory):
    """(directory holding test/, environment for the upstream run)."""
    conf = tmp_path_factory.mktemp('swift-functional') / 'test.conf'
    write_test_conf(str(conf), keystone_pair.a.auth_url, auth='keystone')
    return functional_tests_dir(), environment(str(conf))


@pytest.mark.parametrize('file_name', KEYSTONE_FILES)
def test_swift_functional_file_passes_on_keystone(
        keystone_pair, keystone_upstream, file_name, tmp_path):
    tree, env = keystone_upstream
    empty_accounts(keystone_pair, OWNERS)
    assert_file_passes(tree, env, file_name, str(tmp_path / 'junit.xml'),
                       DESELECTED)
