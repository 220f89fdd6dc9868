"""Swift's own test tree, from the sdist of the installed Swift.

Swift's tests are not copied into this repository. The first call of
``functional_tests_dir()`` downloads the sdist of the installed Swift
(``pip download``), keeps only its ``test/`` directory in a cache and
returns the directory holding it. Only ``test/`` is kept so that the
tests import the installed ``swift``, not the sdist's.

AUTOSYNC_SWIFT_TESTS: a directory that already holds ``test/`` (no
download). AUTOSYNC_CACHE: the cache (default ``~/.cache/autosync``).
"""

import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from importlib import metadata

TESTS_ENV = 'AUTOSYNC_SWIFT_TESTS'
CACHE_ENV = 'AUTOSYNC_CACHE'
DOWNLOAD_TIMEOUT = 300

# Where the tests run: rootdir for pytest, so that no pytest.ini or
# conftest.py of a parent directory applies.
PYTEST_INI = '[pytest]\n'


def swift_version() -> str:
    return metadata.version('swift')


def cache_dir() -> str:
    return os.environ.get(CACHE_ENV) or os.path.join(
        os.path.expanduser('~'), '.cache', 'autosync')


def functional_tests_dir() -> str:
    """A directory with ``test/`` of the installed Swift's sdist."""
    given = os.environ.get(TESTS_ENV)
    if given:
        if not os.path.isdir(os.path.join(given, 'test', 'functional')):
            raise RuntimeError('%s=%s has no test/functional'
                               % (TESTS_ENV, given))
        return given
    version = swift_version()
    tree = os.path.join(cache_dir(), 'swift-tests-%s' % version)
    if not os.path.isdir(os.path.join(tree, 'test', 'functional')):
        unpack_tests(download_sdist(version), version, tree)
    return tree


def download_sdist(version: str) -> str:
    """Path of swift-VERSION.tar.gz, downloaded by pip if not cached.
    pip downloads into a scratch directory, renamed into place: a
    parallel session never reads half a tarball."""
    downloads = os.path.join(cache_dir(), 'downloads')
    tarball = os.path.join(downloads, 'swift-%s.tar.gz' % version)
    if os.path.exists(tarball):
        return tarball
    os.makedirs(downloads, exist_ok=True)
    scratch = tempfile.mkdtemp(prefix='.download-', dir=downloads)
    try:
        # --no-binary for swift only: its build requirements (pbr) may
        # come as wheels, which is much faster than building them too.
        result = subprocess.run(
            [sys.executable, '-m', 'pip', 'download', '--no-deps',
             '--no-binary', 'swift', '--dest', scratch,
             'swift==%s' % version],
            stdin=subprocess.DEVNULL, capture_output=True, text=True,
            timeout=DOWNLOAD_TIMEOUT)
        fetched = os.path.join(scratch, os.path.basename(tarball))
        if result.returncode or not os.path.exists(fetched):
            raise RuntimeError('pip download swift==%s failed (%d):\n%s%s'
                               % (version, result.returncode,
                                  result.stdout, result.stderr))
        os.replace(fetched, tarball)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return tarball


def unpack_tests(tarball: str, version: str, tree: str) -> None:
    """Extract only ``swift-VERSION/test/`` into ``tree``, atomically,
    so that parallel sessions never see half a tree."""
    prefix = 'swift-%s/test/' % version
    parent = os.path.dirname(tree)
    os.makedirs(parent, exist_ok=True)
    scratch = tempfile.mkdtemp(prefix='.unpack-', dir=parent)
    try:
        with tarfile.open(tarball) as tar:
            members = [m for m in tar.getmembers()
                       if m.name.startswith(prefix)
                       and '..' not in m.name.split('/')
                       and (m.isfile() or m.isdir())]
            if not members:
                raise RuntimeError('%s has no %s' % (tarball, prefix))
            for member in members:
                member.name = member.name[len('swift-%s/' % version):]
            tar.extractall(scratch, members=members)
        with open(os.path.join(scratch, 'pytest.ini'), 'w') as f:
            f.write(PYTEST_INI)
        try:
            os.rename(scratch, tree)
        except OSError:
            if not os.path.isdir(os.path.join(tree, 'test', 'functional')):
                raise
            # another session unpacked it first
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def write_test_conf(path: str, auth_url: str, auth: str = 'tempauth'
                    ) -> None:
    """test.conf for ``test/functional`` against a pair cluster: the
    pair's tempauth users (see autosync.pair.layout.USERS), or with
    ``auth='keystone'`` its Keystone users, for auth v3 (the upstream
    tests that need Keystone run then)."""
    users = keystone_users if auth == 'keystone' else tempauth_users
    with open(path, 'w') as f:
        f.write('\n'.join(users(auth_url) + (
            'collate = C',
            'insecure = no',
            '')))


def tempauth_users(auth_url: str) -> tuple:
    return (
        '[func_test]',
        'auth_uri = %s' % auth_url,
        # owner of the primary account
        'account = test', 'username = tester', 'password = testing',
        # owner of a second account
        'account2 = test2', 'username2 = tester2',
        'password2 = testing2',
        # a non-admin user of the primary account
        'username3 = tester3', 'password3 = testing3',
        # a user in group "service", for service tokens
        'account5 = test5', 'username5 = tester5',
        'password5 = testing5', 'service_prefix = SERVICE',
        # reseller admin
        'account6 = admin', 'username6 = admin', 'password6 = admin')


# Upstream's numbered users (test/functional/test_access_control.py
# tabulates them) -> the pair's Keystone user (project, name).
KEYSTONE_NUMBERED = (
    ('', ('test', 'tester')),      # owner of the primary account
    ('2', ('test2', 'tester2')),   # owner of a second account
    ('3', ('test', 'tester3')),    # in the primary project, no rights
    ('4', ('test4', 'tester4')),   # owner, in a non-default domain
    ('5', ('test5', 'tester5')),   # has the service role
    ('6', ('test', 'tester6')),    # ResellerAdmin
)


def keystone_users(auth_url: str) -> tuple:
    from autosync.pair import keystone

    lines = ['[func_test]', 'auth_version = 3', 'auth_uri = %s' % auth_url,
             'service_prefix = SERVICE']
    for number, (project, name) in KEYSTONE_NUMBERED:
        user = keystone.find_user(project, name)
        if number != '3':  # upstream takes user 3's project from user 1
            lines.append('account%s = %s' % (number, user.project))
        lines += ['username%s = %s' % (number, user.name),
                  'password%s = %s' % (number, user.password),
                  'domain%s = %s' % (number, user.domain)]
    return tuple(lines)
