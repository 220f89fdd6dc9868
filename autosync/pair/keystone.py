"""The pair's Keystone (``autosync-pair up --auth keystone``): one real
Keystone shared by every cluster, as a multi-region cloud has one, with
an object-store endpoint per cluster (region ``a``, ``b``...).

It runs in cluster A's directories (``a/etc/keystone.conf``, its sqlite
DB and key repositories in ``a/keystone/``, its log and PID file with
A's) on A's sixth port, served by ``keystone_server.py``. Set up once,
when its DB does not exist yet: ``keystone-manage db_sync``,
``fernet_setup``, ``credential_setup`` and ``bootstrap`` (the admin
user, region ``a``); then, once it answers, the projects, users, roles,
the service user the proxies' ``authtoken`` validates tokens with, and
the endpoints, over its own API.

Every proxy then runs ``authtoken`` and ``keystoneauth`` instead of
tempauth; ``member`` and ``admin`` are operator roles (account owners),
``reader`` may only read, ``ResellerAdmin`` is the reseller role.
"""

import contextlib
import json
import os
import subprocess
import sys
from typing import Dict, List, NamedTuple, Tuple

from autosync.pair import health
from autosync.pair.layout import Layout, Settings

DOMAIN = 'default'  # the id of the domain bootstrap makes ('Default')
DEFAULT_DOMAIN_NAME = 'Default'
# Swift's functional tests want one user in a domain of its own.
OTHER_DOMAIN = 'test-domain'


class User(NamedTuple):
    project: str
    name: str
    password: str
    roles: Tuple[str, ...]
    domain: str = DEFAULT_DOMAIN_NAME  # of the user and of the project


ADMIN = ('admin', 'admin', 'admin')  # project, user, password
SERVICE_USER = ('service', 'swift', 'swiftpass')
# The pair's users: those of Swift's functional tests for Keystone
# (test/functional/test_access_control.py lists them), and a reader.
USERS = (
    User('test', 'tester', 'testing', ('member',)),
    User('test2', 'tester2', 'testing2', ('member',)),
    # A role keystoneauth gives no rights: a user of the project who is
    # not its owner (tempauth's test:tester3 is the same).
    User('test', 'tester3', 'testing3', ('_member_',)),
    User('test4', 'tester4', 'testing4', ('member',), OTHER_DOMAIN),
    # Service tokens: SERVICE_<project> accounts need a token with this
    # role besides the user's (SERVICE_service_roles).
    User('test5', 'tester5', 'testing5', ('service',)),
    User('test', 'tester6', 'testing6', ('ResellerAdmin',)),
    # project_reader_roles: may read the project's account, not write.
    User('test', 'reader', 'reading', ('reader',)),
    User(*ADMIN, roles=('admin',)),
    User(*SERVICE_USER, roles=('admin', 'service')),
)
ROLES = ('member', 'reader', 'admin', 'service', 'ResellerAdmin',
         '_member_')
SETUP_TIMEOUT = 300
# A token costs Keystone a password hash: seconds at a load average of
# 50 on 2 cores.
API_TIMEOUT = 60.0


class KeystoneError(RuntimeError):
    pass


def data_dir(layout: Layout) -> str:
    return os.path.join(layout.cluster_dir('a'), 'keystone')


def auth_url(settings: Settings) -> str:
    return 'http://127.0.0.1:%d/v3' % settings.port('a', 'keystone')


def conf_text(layout: Layout) -> str:
    here = data_dir(layout)
    return '\n'.join((
        '# The pair\'s Keystone; written by autosync-pair.',
        '[DEFAULT]',
        'log_file = %s' % layout.log('a', 'keystone'),
        '[database]',
        'connection = sqlite:///%s' % os.path.join(here, 'keystone.db'),
        '[token]',
        'provider = fernet',
        'expiration = 86400',
        '[fernet_tokens]',
        'key_repository = %s' % os.path.join(here, 'fernet-keys'),
        '[credential]',
        'key_repository = %s' % os.path.join(here, 'credential-keys'),
        '[identity]',
        # The fewest bcrypt rounds: a test pair logs in often.
        'password_hash_rounds = 4',
        ''))


def service_auth(settings: Settings) -> tuple:
    """The service user's options, as authtoken and s3token take them."""
    return (
        'auth_url = %s' % auth_url(settings),
        'auth_type = password',
        # The pair's Keystone has a public endpoint only.
        'interface = public',
        'project_domain_id = %s' % DOMAIN,
        'user_domain_id = %s' % DOMAIN,
        'project_name = %s' % SERVICE_USER[0],
        'username = %s' % SERVICE_USER[1],
        'password = %s' % SERVICE_USER[2])


def s3token_filter(settings: Settings) -> str:
    """[filter:s3token]: s3api's signatures checked by Keystone."""
    return '\n'.join((
        '',
        '[filter:s3token]',
        'use = egg:swift#s3token',
        'auth_uri = %s' % auth_url(settings)) + service_auth(settings)
        + ('',))


def proxy_filters(settings: Settings) -> str:
    """The [filter:authtoken] and [filter:keystoneauth] sections."""
    return '\n'.join((
        '',
        '[filter:authtoken]',
        'paste.filter_factory = keystonemiddleware.auth_token:'
        'filter_factory',
        'www_authenticate_uri = %s' % auth_url(settings)) +
        service_auth(settings) + (
        # keystoneauth decides, so that a request without a token (another
        # site's, signed) reaches autosync.
        'delay_auth_decision = true',
        # Swift's own memcache client (its cache filter), as Swift's
        # docs set it up.
        'cache = swift.cache',
        # Who may use a SERVICE_ account is keystoneauth's to decide
        # (SERVICE_service_roles). Swift's functional tests send a plain
        # user's token as X-Service-Token to an AUTH_ account and expect
        # it to count for nothing; with true, authtoken answers 401.
        'service_token_roles_required = false',
        '',
        '[filter:keystoneauth]',
        'use = egg:swift#keystoneauth',
        'operator_roles = admin, member',
        'reseller_admin_role = ResellerAdmin',
        # Service tokens, as tempauth's SERVICE_require_group: a
        # SERVICE_<project> account needs a user's token and a service's.
        'reseller_prefix = AUTH, SERVICE',
        'SERVICE_service_roles = service',
        # Readers of AUTH_ accounts only: Keystone's member role implies
        # reader, so a reader role for SERVICE_ too would let any member
        # read a SERVICE_ account without a service token.
        'AUTH_project_reader_roles = reader',
        ''))


def manage_argv(layout: Layout, *args: str) -> List[str]:
    return [sys.executable, '-c',
            'import sys; from keystone.cmd.manage import main; '
            'sys.exit(main())',
            '--config-file', layout.conf('a', 'keystone.conf')] + list(args)


def set_up_once(layout: Layout, settings: Settings) -> None:
    """Create the DB, the key repositories and the admin, unless done."""
    here = data_dir(layout)
    if os.path.exists(os.path.join(here, 'keystone.db')):
        return
    os.makedirs(here, exist_ok=True)
    user = str(os.getuid()), str(os.getgid())
    steps = (
        ('db_sync',),
        ('fernet_setup', '--keystone-user', user[0],
         '--keystone-group', user[1]),
        ('credential_setup', '--keystone-user', user[0],
         '--keystone-group', user[1]),
        ('bootstrap', '--bootstrap-password', ADMIN[2],
         '--bootstrap-username', ADMIN[1],
         '--bootstrap-project-name', ADMIN[0],
         '--bootstrap-public-url', auth_url(settings),
         '--bootstrap-region-id', 'a'),
    )
    for step in steps:
        result = subprocess.run(
            manage_argv(layout, *step), stdin=subprocess.DEVNULL,
            capture_output=True, text=True, timeout=SETUP_TIMEOUT)
        if result.returncode:
            # Set up again from the start next time; db_sync may have
            # failed before it made the DB.
            with contextlib.suppress(FileNotFoundError):
                os.remove(os.path.join(here, 'keystone.db'))
            raise KeystoneError('keystone-manage %s exited %d:\n%s' % (
                step[0], result.returncode, result.stderr[-2000:]))


def call(settings: Settings, method: str, path: str, body=None,
         token: str = '') -> Tuple[int, Dict[str, str], dict]:
    """One request to the Keystone API (``path`` under /v3)."""
    headers = {'Content-Type': 'application/json'}
    if token:
        headers['X-Auth-Token'] = token
    status, answer_headers, raw = health.request_with_body(
        settings.port('a', 'keystone'), method, '/v3' + path, headers,
        json.dumps(body).encode() if body is not None else None,
        API_TIMEOUT)
    return status, answer_headers, json.loads(raw) if raw else {}


def login(settings: Settings, project: str, user: str, password: str,
          domain: str = DEFAULT_DOMAIN_NAME) -> Tuple[str, str]:
    """(token, project id) of ``user`` scoped to ``project``, both of
    the domain named ``domain``."""
    status, headers, body = call(settings, 'POST', '/auth/tokens', {
        'auth': {'identity': {'methods': ['password'], 'password': {
            'user': {'name': user, 'domain': {'name': domain},
                     'password': password}}},
            'scope': {'project': {'name': project,
                                  'domain': {'name': domain}}}}})
    if status != 201:
        raise KeystoneError('login %s:%s: %d %s' % (project, user, status,
                                                    body))
    return headers['X-Subject-Token'], body['token']['project']['id']


def find_user(project: str, user: str) -> User:
    for found in USERS:
        if (found.project, found.name) == (project, user):
            return found
    raise KeystoneError('no keystone user %s:%s in the pair; it has: %s' % (
        project, user, ', '.join('%s:%s' % (u.project, u.name)
                                 for u in USERS)))


def user_password(project: str, user: str) -> str:
    return find_user(project, user).password


class Admin(object):
    """The admin's calls that fill Keystone, each finding what exists."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.token = login(settings, *ADMIN)[0]

    def ensure(self, collection: str, wanted: dict, key: str = 'name',
               query: str = '') -> str:
        """The id of the entry of ``collection`` with ``wanted[key]``,
        made when missing."""
        singular = collection[:-1]
        status, _, found = call(self.settings, 'GET', '/%s?%s=%s%s' % (
            collection, key, wanted[key], query), token=self.token)
        entries = found.get(collection, [])
        if entries:
            return entries[0]['id']
        status, _, made = call(self.settings, 'POST', '/' + collection,
                               {singular: wanted}, token=self.token)
        if status != 201:
            raise KeystoneError('making %s %s: %d %s' % (
                singular, wanted.get(key), status, made))
        return made[singular]['id']

    def ensure_region(self, region: str) -> None:
        status, _, _ = call(self.settings, 'GET', '/regions/' + region,
                            token=self.token)
        if status == 200:
            return
        status, _, made = call(self.settings, 'POST', '/regions',
                               {'region': {'id': region}}, token=self.token)
        if status != 201:
            raise KeystoneError('making region %s: %d %s' % (region, status,
                                                            made))

    def ensure_s3_keys(self, user_id: str, project_id: str, project: str,
                       user: str, password: str) -> None:
        """An EC2 credential for s3token: access key the user name,
        secret the password (s3token reads ACCESS:PROJECT as a project
        forced on the key, so a tempauth-style PROJECT:USER cannot
        be one)."""
        status, _, found = call(
            self.settings, 'GET', '/credentials?type=ec2&user_id=' + user_id,
            token=self.token)
        if found.get('credentials'):
            return
        status, _, made = call(self.settings, 'POST', '/credentials', {
            'credential': {'type': 'ec2', 'user_id': user_id,
                           'project_id': project_id,
                           'blob': json.dumps({
                               'access': user,
                               'secret': password})}}, token=self.token)
        if status != 201:
            raise KeystoneError('making the S3 keys of %s:%s: %d %s' % (
                project, user, status, made))

    def grant(self, project_id: str, user_id: str, role_id: str) -> None:
        status, _, body = call(self.settings, 'PUT',
                               '/projects/%s/users/%s/roles/%s' % (
                                   project_id, user_id, role_id),
                               token=self.token)
        if status not in (200, 201, 204):
            raise KeystoneError('granting a role: %d %s' % (status, body))


def populate(settings: Settings, proxy_urls: Dict[str, str]) -> None:
    """Domains, projects, users, roles and one object-store endpoint per
    cluster (its region); harmless when done before."""
    admin = Admin(settings)
    roles = {name: admin.ensure('roles', {'name': name}) for name in ROLES}
    domains: Dict[str, str] = {}
    projects: Dict[Tuple[str, str], str] = {}
    for user in USERS:
        if user.domain not in domains:
            domains[user.domain] = admin.ensure('domains',
                                                {'name': user.domain})
        domain_id = domains[user.domain]
        scope = '&domain_id=' + domain_id
        if (user.domain, user.project) not in projects:
            projects[user.domain, user.project] = admin.ensure(
                'projects', {'name': user.project, 'domain_id': domain_id},
                query=scope)
        project_id = projects[user.domain, user.project]
        user_id = admin.ensure('users', {
            'name': user.name, 'password': user.password,
            'domain_id': domain_id}, query=scope)
        for role in user.roles:
            admin.grant(project_id, user_id, roles[role])
        admin.ensure_s3_keys(user_id, project_id, user.project, user.name,
                             user.password)
    service = admin.ensure('services', {'name': 'swift',
                                        'type': 'object-store'},
                           key='type')
    for cluster, url in proxy_urls.items():
        admin.ensure_region(cluster)
        admin.ensure('endpoints', {
            'service_id': service, 'interface': 'public',
            'region_id': cluster,
            'url': url + '/v1/AUTH_$(project_id)s'}, key='region_id',
            query='&service_id=%s&interface=public' % service)


def create_accounts(settings: Settings, proxy_ports: Dict[str, int]) -> None:
    """POST each project's account at every cluster once, as its
    member, so that it really exists (a HEAD of an account never written
    answers a made-up 200)."""
    for user in USERS:
        if 'member' not in user.roles:
            continue
        token, project_id = login(settings, user.project, user.name,
                                  user.password, user.domain)
        for cluster, port in proxy_ports.items():
            # The proxy checks the token with Keystone first: together
            # more than 5 s at a load average of 50.
            status, _, body = health.request_with_body(
                port, 'POST', '/v1/AUTH_%s' % project_id,
                {'X-Auth-Token': token}, None, health.FIRST_WRITE_TIMEOUT)
            if status // 100 != 2:
                raise KeystoneError('POST AUTH_%s at %s: %d %s' % (
                    project_id, cluster, status, body[:300]))
