"""``autosync-pair``: two (or more) Swift clusters with autosync on one
machine.

    autosync-pair up [--sites N] [--port-a N] [--port-b N] [--port-c N]...
                     [--style realm|url] [--no-autosync]
                     [--sync-interval SECONDS] [--placement-conf FILE]
                     [--site-down refuse|defer] [--read-fallback] [--s3]
                     [--auth tempauth|keystone]
    autosync-pair status
    autosync-pair env a|b|c... [--user ACCOUNT:USER]
    autosync-pair sync a|b|c...     one container-sync pass now
    autosync-pair reconcile a|b|c...  one autosync-reconciler pass now
    autosync-pair conf a|b|c... [FILE]  the path of a cluster's conf file
    autosync-pair down [--cluster a|b|c...] [--wipe]

Every command takes ``--data-dir`` (default: $AUTOSYNC_PAIR_DIR, else a
directory on /dev/shm, else ~/.local/state/autosync-pair).
"""

import argparse
import os
import shlex
import shutil
import sys
import time
from typing import List, Optional

from autosync.pair import control, keystone, render
from autosync.pair.layout import (
    AUTH_MODES,
    DEFAULT_PORTS,
    DEFAULT_SITES,
    DEFAULT_SYNC_INTERVAL,
    MAX_PROXIES,
    PORT_OFFSETS,
    REALM,
    REPLICA_CHOICES,
    SITE_DOWN_MODES,
    SITE_NAMES,
    STYLES,
    USERS,
    Layout,
    Settings,
    default_data_dir,
    device_name,
)

DEFAULT_USER = 'test:tester'
DEFAULT_SHARD_ROWS = 100


def user_key(user: str) -> str:
    for account, name, key, _ in USERS:
        if '%s:%s' % (account, name) == user:
            return key
    raise control.PairError('unknown user %r; the pair has: %s' % (
        user, ', '.join('%s:%s' % (a, n) for a, n, _, _ in USERS)))


def auth_url(settings, cluster: str) -> str:
    if settings.auth == 'keystone':
        return keystone.auth_url(settings)
    return render.proxy_url(settings, cluster) + '/auth/v1.0'


def describe_keystone_users() -> List[str]:
    return ['    %s:%s  password %s  (%s in project %s%s)' % (
        user.project, user.name, user.password, ', '.join(user.roles),
        user.project, '' if user.domain == keystone.DEFAULT_DOMAIN_NAME
        else ', domain ' + user.domain)
        for user in keystone.USERS]


def data_dir_option(layout: Layout) -> str:
    if layout.data_dir == default_data_dir():
        return ''
    return ' --data-dir %s' % shlex.quote(layout.data_dir)


def saved_settings(layout: Layout, cluster: Optional[str] = None
                   ) -> Settings:
    """The pair's settings; PairError when there is no pair, or when
    ``cluster`` is not one of its clusters."""
    settings = layout.load_settings()
    if settings is None:
        raise control.PairError('no pair in %s; run "autosync-pair up%s" '
                                'first' % (layout.data_dir,
                                           data_dir_option(layout)))
    if cluster is not None and cluster not in settings.clusters:
        raise control.PairError(
            'cluster %s is not in the pair in %s: it has %d sites (%s); '
            '"autosync-pair up --sites N" sets how many' % (
                cluster, layout.data_dir, settings.sites,
                ', '.join(settings.clusters)))
    return settings


def describe_users() -> List[str]:
    lines = []
    for account, name, key, groups in USERS:
        role = ('reseller admin' if '.reseller_admin' in groups
                else 'admin of AUTH_%s' % account if '.admin' in groups
                else 'service user of AUTH_%s' % account
                if 'service' in groups.split()
                else 'non-admin user of AUTH_%s' % account)
        lines.append('    %s:%s  key %s  (%s)' % (account, name, key, role))
    return lines


def describe_ring(settings: Settings) -> str:
    """The realm-style sync ring: a <-> b, or a -> b -> c -> a."""
    sites = ['//%s/%s' % (REALM, c) for c in settings.clusters]
    if len(sites) == 2:
        return ' <-> '.join(sites)
    return ' -> '.join(sites + sites[:1])


def describe_clusters(settings: Settings) -> List[str]:
    """A line per cluster (its proxy and auth), and one of its other
    proxies when it has more (--proxies)."""
    lines = []
    for cluster in settings.clusters:
        lines.append('  cluster %s: proxy %s  auth %s%s' % (
            cluster.upper(), render.proxy_url(settings, cluster),
            auth_url(settings, cluster),
            '  region %s' % cluster if settings.auth == 'keystone' else ''))
        others = render.proxy_urls(settings, cluster)[1:]
        if others:
            lines.append('             more proxies (one memcached): %s'
                         % '  '.join(others))
    return lines


def print_tour(layout: Layout, settings: Settings,
               elapsed: Optional[float]) -> None:
    option = data_dir_option(layout)
    what = ('The pair' if settings.sites == 2
            else 'The %d clusters' % settings.sites)
    if elapsed is None:
        print('%s %s already up (data in %s).' % (
            what, 'was' if settings.sites == 2 else 'were', layout.data_dir))
    else:
        print('%s %s up in %.1f s (data in %s).' % (
            what, 'is' if settings.sites == 2 else 'are', elapsed,
            layout.data_dir))
    print('\n'.join(describe_clusters(settings)))
    if not settings.autosync:
        print('  autosync: not in the pipeline (--no-autosync)')
    elif settings.style == 'realm':
        print('  autosync: realm style, %s' % describe_ring(settings))
    else:
        print('  autosync: full-URL style')
    if settings.autosync:
        print('  site_down = %s: %s' % (settings.site_down, {
            'defer': 'a change a site cannot take is answered here '
                     '(X-Autosync-Pending) and carried by the reconciler',
            'refuse': 'a change a site cannot take is an error naming '
                      'it'}[settings.site_down]))
        print('  read_fallback = %s' % (
            'true: an object not at a site yet is read from another'
            if settings.read_fallback else
            'false: an object is read only where it is (--read-fallback)'))
    if settings.placement_conf:
        print('  placement: [%s] before autosync (--placement-conf)'
              % render.PLACEMENT_SECTION)
    if settings.s3:
        print('  S3: s3api before tempauth in every proxy: the endpoint is '
              'the proxy, region %s,\n      access key ACCOUNT:USER, secret '
              'its key (autosync-pair env sets AWS_*)' % render.S3_REGION)
    if settings.replicas > 1:
        print('  %d replicas: a storage node each (devices %s), with '
              'replicators and rsync' % (settings.replicas, ', '.join(
                  device_name(n) for n in range(1, settings.replicas + 1))))
    print('  container-sync every %g s' % settings.sync_interval)
    print('  users (on %s):' % ('both clusters' if settings.sites == 2
                                else 'every cluster'))
    print('\n'.join(describe_keystone_users() if settings.auth == 'keystone'
                    else describe_users()))
    if settings.autosync and settings.style == 'url':
        print('\nFull-URL style: objects sync only into containers that '
              'allow anonymous reads\n(swift post -r .r:* CONTAINER), and '
              'the gatekeepers keep inbound X-Timestamp.')
    print_try_it(option, settings)


def venv_activation() -> Optional[str]:
    """The activate script of the venv this runs from, when the
    commands the banner shows are not on the PATH without it."""
    bin_dir = os.path.dirname(os.path.abspath(sys.executable))
    activate = os.path.join(bin_dir, 'activate')
    found = shutil.which('autosync-pair')
    if not os.path.exists(activate) or (
            found and os.path.dirname(os.path.abspath(found)) == bin_dir):
        return None
    return activate


def tester_account(settings: Settings) -> str:
    """test:tester's account: AUTH_<its project id> on Keystone."""
    if settings.auth != 'keystone':
        return 'AUTH_test'
    user = keystone.find_user('test', 'tester')
    try:
        return 'AUTH_' + keystone.login(settings, user.project, user.name,
                                        user.password)[1]
    except (keystone.KeystoneError, OSError):
        return 'AUTH_<project id of test>'


def print_try_it(option: str, settings: Settings) -> None:
    """The commands the banner ends with (``option``: --data-dir's,
    which goes after the command)."""
    print('\nTry it:')
    activate = venv_activation()
    if activate:
        print('  . %s   # a new shell finds autosync-pair, swift and '
              'autosync in this venv' % shlex.quote(activate))
    print('  eval "$(autosync-pair env a%s)"; echo hello > hello.txt; '
          'swift post demo; swift upload demo hello.txt' % option)
    for cluster in settings.clusters[1:]:
        print('  eval "$(autosync-pair env %s%s)"; swift stat demo   '
              '# on %s too, with Sync To/Key' % (cluster, option,
                                                 cluster.upper()))
    # An object takes one sync pass per hop to the last site of the ring.
    print('  sleep %d; swift list demo   # hello.txt came by container-sync'
          % (2 * (settings.sites - 1) * settings.sync_interval + 1))
    if settings.s3:
        print('  eval "$(autosync-pair env b%s)"; python3 -c \'import boto3; '
              'print([b["Name"] for b in boto3.client("s3").list_buckets()'
              '["Buckets"]])\'   # S3 at B' % option)
    print('  autosync status --conf "$(autosync-pair conf a%s)" %s'
          '   # each container at each site' % (option,
                                                 tester_account(settings)))
    print('  autosync-pair reconcile a%s   # one reconciler pass on A'
          % option)


def read_placement_conf(path: Optional[str]) -> Optional[str]:
    """The --placement-conf file's text; '' for --placement-conf ''."""
    if not path:
        return path
    try:
        with open(path) as f:
            text = f.read()
    except OSError as e:
        raise control.PairError('--placement-conf %s: %s'
                                % (path, e.strerror)) from e
    try:
        render.check_placement_conf(text, path)
    except ValueError as e:
        raise control.PairError(str(e)) from e
    return text


def cmd_up(args) -> int:
    layout = Layout(args.data_dir)
    ports = {c: getattr(args, 'port_' + c) for c in SITE_NAMES
             if getattr(args, 'port_' + c) is not None}
    settings = control.merge_settings(
        layout.load_settings(), ports, style=args.style,
        autosync=args.autosync, sync_interval=args.sync_interval,
        sites=args.sites, site_down=args.site_down,
        error_suppression_interval=args.error_suppression_interval,
        read_fallback=args.read_fallback, s3=args.s3, auth=args.auth,
        proxies=args.proxies, replicas=args.replicas,
        placement_conf=read_placement_conf(args.placement_conf))
    beyond = sorted(set(ports) - set(settings.clusters))
    if beyond:
        raise control.PairError(
            '--port-%s: the pair has %d sites (%s); add --sites %d' % (
                beyond[-1], settings.sites, ', '.join(settings.clusters),
                SITE_NAMES.index(beyond[-1]) + 1))
    started_at = time.monotonic()
    try:
        started = control.up(layout, settings)
    except ValueError as e:
        raise control.PairError(str(e)) from e
    elapsed = time.monotonic() - started_at if started else None
    print_tour(layout, settings, elapsed)
    return 0


def cmd_down(args) -> int:
    layout = Layout(args.data_dir)
    if args.wipe and args.cluster:
        raise control.PairError('--wipe removes the whole pair; it cannot '
                                'go with --cluster')
    clusters = None
    if args.cluster:
        saved_settings(layout, args.cluster)
        clusters = [args.cluster]
    stopped = control.down(layout, clusters, wipe=args.wipe)
    print('stopped %d processes%s' % (
        len(stopped), '; removed %s' % layout.data_dir if args.wipe else ''))
    return 0


def cmd_status(args) -> int:
    layout = Layout(args.data_dir)
    settings = saved_settings(layout)
    all_good = True
    print('data dir %s' % layout.data_dir)
    for entry in control.status(layout, settings):
        if entry.pid is None:
            state = 'stopped'
        elif entry.healthy is False:
            state = 'running, not answering'
        else:
            state = 'running'
        all_good = all_good and state == 'running'
        print('  %s %-18s %-8s %s' % (entry.cluster.upper(), entry.name,
                                      entry.pid or '-', state))
    return 0 if all_good else 1


def keystone_env(settings: Settings, cluster: str, user: str) -> None:
    """What the swift CLI reads for Keystone v3, in ``cluster``'s
    region; ``user`` is PROJECT:USER."""
    project, _, name = user.partition(':')
    try:
        found = keystone.find_user(project, name)
    except keystone.KeystoneError as e:
        raise control.PairError(str(e)) from e
    password = found.password
    for variable, value in (
            ('OS_AUTH_URL', keystone.auth_url(settings)),
            ('OS_IDENTITY_API_VERSION', '3'), ('OS_AUTH_VERSION', '3'),
            ('OS_USERNAME', name), ('OS_PASSWORD', password),
            ('OS_PROJECT_NAME', project),
            ('OS_USER_DOMAIN_NAME', found.domain),
            ('OS_PROJECT_DOMAIN_NAME', found.domain),
            ('OS_REGION_NAME', cluster)):
        print('export %s=%s' % (variable, shlex.quote(value)))
    # An id would win over the name the swift CLI is given here.
    print('unset ST_AUTH ST_USER ST_KEY OS_USER_DOMAIN_ID '
          'OS_PROJECT_DOMAIN_ID')
    if settings.s3:
        # The user's EC2 keys (keystone.py): the user name, the password.
        s3_env(settings, cluster, name, password)


def cmd_env(args) -> int:
    settings = saved_settings(Layout(args.data_dir), args.cluster)
    if settings.auth == 'keystone':
        keystone_env(settings, args.cluster, args.user)
        return 0
    print('export ST_AUTH=%s' % shlex.quote(auth_url(settings,
                                                     args.cluster)))
    print('export ST_USER=%s' % shlex.quote(args.user))
    print('export ST_KEY=%s' % shlex.quote(user_key(args.user)))
    if settings.s3:
        s3_env(settings, args.cluster, args.user, user_key(args.user))
    return 0


def s3_env(settings: Settings, cluster: str, access: str,
           secret: str) -> None:
    """What boto3 and the aws CLI read (AWS_ENDPOINT_URL: botocore
    1.31 and later)."""
    for variable, value in (
            ('AWS_ENDPOINT_URL', render.proxy_url(settings, cluster)),
            ('AWS_ACCESS_KEY_ID', access), ('AWS_SECRET_ACCESS_KEY', secret),
            ('AWS_DEFAULT_REGION', render.S3_REGION)):
        print('export %s=%s' % (variable, shlex.quote(value)))


def cluster_layout(args) -> Layout:
    """The pair's layout, once ``args.cluster`` is known to be one of
    its clusters (PairError otherwise)."""
    layout = Layout(args.data_dir)
    saved_settings(layout, args.cluster)
    return layout


def cmd_sync(args) -> int:
    done = control.sync_once(cluster_layout(args), args.cluster)
    print('container-sync pass at %s: %s' % (args.cluster.upper(), ', '.join(
        '%d %s' % (done[name], name) for name in control.SYNC_FIGURES)))
    return 0


def cmd_shard(args) -> int:
    account, _, container = args.path.partition('/')
    if not account or not container or '/' in container:
        raise control.PairError('%r: give ACCOUNT/CONTAINER' % args.path)
    if args.rows < 1:
        raise control.PairError('--rows %d: must be at least 1' % args.rows)
    control.shard(cluster_layout(args), args.cluster, account, container,
                  args.rows)
    print('%s at %s is sharded' % (args.path, args.cluster.upper()))
    return 0


def cmd_conf(args) -> int:
    print(cluster_layout(args).conf(args.cluster, args.name))
    return 0


def cmd_reconcile(args) -> int:
    for node, summary in enumerate(control.reconcile_once(
            cluster_layout(args), args.cluster), 1):
        print('reconciler pass at %s (storage node %d): %s' % (
            args.cluster.upper(), node, summary))
    return 0


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument('--data-dir', default=default_data_dir(),
                        help='where the pair lives (default: %(default)s)')
    parser = argparse.ArgumentParser(
        prog='autosync-pair',
        description='Two (or more) Swift clusters with autosync on '
        '127.0.0.1.')
    commands = parser.add_subparsers(dest='command', required=True)

    up = commands.add_parser('up', parents=[common],
                             help='build and start the pair')
    up.add_argument('--sites', type=int, metavar='N',
                    choices=range(DEFAULT_SITES, len(SITE_NAMES) + 1),
                    help='how many clusters: a, b, c... in one '
                    'container-sync realm, synced in a ring a -> b -> ... '
                    '-> a (default %d, at most %d)'
                    % (DEFAULT_SITES, len(SITE_NAMES)))
    up.add_argument('--proxies', type=int, metavar='N',
                    choices=range(1, MAX_PROXIES + 1),
                    help='proxy servers per cluster, sharing its memcached, '
                    'each on its own port (default 1, at most %d); the '
                    "realm's endpoint is the first" % MAX_PROXIES)
    up.add_argument('--replicas', type=int, metavar='N',
                    choices=REPLICA_CHOICES,
                    help='replicas of every ring: 1 (default) or 3, one '
                    'storage node each (account, container and object '
                    'servers on a device of their own) with Swift\'s '
                    'replicators and an rsync daemon')
    for cluster in SITE_NAMES:
        up.add_argument('--port-' + cluster, type=int, metavar='PORT',
                        help='first of the %d ports of cluster %s (%s; '
                        'default %d)' % (
                            len(PORT_OFFSETS), cluster.upper(),
                            ', '.join(sorted(PORT_OFFSETS,
                                             key=PORT_OFFSETS.get)),
                            DEFAULT_PORTS[cluster]))
    up.add_argument('--style', choices=STYLES,
                    help='autosync sites as container-sync realm names '
                    '(default) or full proxy URLs')
    up.add_argument('--no-autosync', dest='autosync', action='store_false',
                    default=None, help='the same pair without autosync')
    up.add_argument('--autosync', dest='autosync', action='store_true',
                    help='put autosync back after --no-autosync')
    up.add_argument('--sync-interval', type=float, metavar='SECONDS',
                    help='container-sync interval (default %g)'
                    % DEFAULT_SYNC_INTERVAL)
    up.add_argument('--site-down', choices=SITE_DOWN_MODES,
                    help='what a change does when another site cannot '
                    'take it: defer (default: answered here, carried by '
                    'the reconciler) or refuse (an error naming the site)')
    up.add_argument('--error-suppression-interval', type=float,
                    metavar='SECONDS', help='how long a failing site '
                    'stays error-limited (default 60, as Swift)')
    up.add_argument('--read-fallback', dest='read_fallback',
                    action='store_true', default=None,
                    help='an object GET or HEAD that a site answers 404 '
                    'reads the object from another site of its placement '
                    '(read_fallback = true in every proxy)')
    up.add_argument('--no-read-fallback', dest='read_fallback',
                    action='store_false',
                    help='back to reads where the object is (the default)')
    up.add_argument('--auth', choices=AUTH_MODES, default=None,
                    help='tempauth in every proxy (the default), or one '
                    'Keystone for every cluster (authtoken and '
                    'keystoneauth in every proxy, a region each)')
    up.add_argument('--s3', dest='s3', action='store_true', default=None,
                    help="Swift's s3api in every proxy, before tempauth: "
                    'S3 clients sign with ACCOUNT:USER and its key')
    up.add_argument('--no-s3', dest='s3', action='store_false',
                    help='back to the Swift API only (the default)')
    up.add_argument('--placement-conf', metavar='FILE',
                    help='a file holding one [filter:placement] section '
                    '(with its "use = egg:..." line): it goes into every '
                    "proxy's conf as it is, and placement into the "
                    'pipeline right before autosync; kept for later '
                    "\"up\"s, --placement-conf '' removes it")
    up.set_defaults(func=cmd_up)

    down = commands.add_parser('down', parents=[common],
                               help='stop what up started')
    down.add_argument('--cluster', choices=SITE_NAMES,
                      help='stop only this cluster')
    down.add_argument('--wipe', action='store_true',
                      help='also remove the data directory')
    down.set_defaults(func=cmd_down)

    status = commands.add_parser('status', parents=[common],
                                 help='each process and its health')
    status.set_defaults(func=cmd_status)

    env = commands.add_parser('env', parents=[common],
                              help='ST_AUTH/ST_USER/ST_KEY for swift')
    env.add_argument('cluster', choices=SITE_NAMES)
    env.add_argument('--user', default=DEFAULT_USER,
                     help='ACCOUNT:USER (default %(default)s)')
    env.set_defaults(func=cmd_env)

    sync = commands.add_parser('sync', parents=[common],
                               help='one container-sync pass now')
    sync.add_argument('cluster', choices=SITE_NAMES)
    sync.set_defaults(func=cmd_sync)

    reconcile = commands.add_parser(
        'reconcile', parents=[common],
        help='one autosync-reconciler pass now (its log: '
        'CLUSTER/log/autosync-reconciler-once.log)')
    reconcile.add_argument('cluster', choices=SITE_NAMES)
    reconcile.set_defaults(func=cmd_reconcile)

    shard = commands.add_parser(
        'shard', parents=[common],
        help="shard a container with Swift's own tools "
        '(swift-manage-shard-ranges, then the sharder once until sharded)')
    shard.add_argument('cluster', choices=SITE_NAMES)
    shard.add_argument('path', metavar='ACCOUNT/CONTAINER')
    shard.add_argument('--rows', type=int, default=DEFAULT_SHARD_ROWS,
                       help='object rows per shard (default %(default)s)')
    shard.set_defaults(func=cmd_shard)

    conf = commands.add_parser(
        'conf', parents=[common],
        help="the path of a cluster's configuration file")
    conf.add_argument('cluster', choices=SITE_NAMES)
    conf.add_argument('name', nargs='?', default='autosync-reconciler.conf',
                      choices=render.CONF_FILES,
                      help='which file (default %(default)s)')
    conf.set_defaults(func=cmd_conf)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except control.PairError as e:
        print('autosync-pair: %s' % e, file=sys.stderr)
        return 1
    except BrokenPipeError:
        # Its output went to a reader that stopped (| head): as a shell
        # tool does, end without a traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == '__main__':
    sys.exit(main())
