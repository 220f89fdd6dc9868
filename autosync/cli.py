"""``autosync``: the operator's command.

    autosync status [ACCOUNT[/CONTAINER]] [--conf FILE] [--json]
    autosync wait ACCOUNT/CONTAINER [--timeout S] [--interval S]
    autosync resync SITE ACCOUNT[/CONTAINER] [--apply] [--rate N]
    autosync verify [--conf FILE]
    autosync adopt ACCOUNT[/CONTAINER] [--apply] [--conf FILE]

See ``status.py``, ``wait.py``, ``resync.py``, ``verify.py`` and
``adopt.py`` for
what they show and their exit status.
"""

import argparse
import configparser
import os
import sys
import time

from swift.common.utils import get_logger, readconf

from autosync import adopt, config, resync, status, verify, wait
from autosync.reconciler import SECTION, Setup, load_setup
from autosync.swiftdir import use_swift_dir

DEFAULT_CONF = '/etc/swift/autosync-reconciler.conf'


def targets(setup: Setup, where: str):
    """(account, container) pairs to show, of this node or one; an
    account's are listed at every site, by ``StatusReader.account``."""
    if not where:
        if not os.path.isdir(setup.walk.devices):
            # Swift's walk finds nothing there: "no containers" would
            # read as healthy.
            raise IOError('devices = %s is not a directory' %
                          setup.walk.devices)
        # Once each, though this node may hold several replicas of it.
        return list(dict.fromkeys(
            found[:2] for found in
            setup.walk.managed_containers(mine_only=False)))
    account, _, container = where.partition('/')
    return [(account, container)]


def setup_for(args, command: str):
    """(Setup, logger) from ``args.conf``; None after saying why, when
    it cannot be had (the command exits 2)."""
    try:
        conf = readconf(args.conf, SECTION)
    except (ValueError, IOError, configparser.Error) as err:
        print('autosync %s: %s' % (command, err), file=sys.stderr)
        return None
    conf['log_level'] = 'ERROR' if not args.verbose else 'DEBUG'
    logger = get_logger(conf, log_route='autosync-' + command,
                        log_to_console=True)
    try:
        use_swift_dir(conf.get('swift_dir', '/etc/swift'))
        # Counted nowhere but the logger: a command has no pass to sum.
        return load_setup(conf, logger, logger.increment,
                          quiet=not args.verbose), logger
    except config.ConfigError as err:
        print('autosync %s: %s: %s' % (command, args.conf, err),
              file=sys.stderr)
        return None


def cmd_status(args) -> int:
    loaded = setup_for(args, 'status')
    if loaded is None:
        return 2
    setup, logger = loaded
    try:
        found = targets(setup, args.where)
    except Exception as err:
        print('autosync status: cannot list %s: %s' % (
            args.where or 'the container DBs', err), file=sys.stderr)
        return 2
    progress = None if args.json else status.progress_bar()
    account, _, container = args.where.partition('/')
    try:
        reader = status.StatusReader(setup.inspector, progress, setup.walk)
        reports = reader.account(account) if account and not container \
            else reader.many(found)
        shown = status.output(reports, args.json)
    except Exception as err:
        # 2, not 1: a monitoring check must tell "could not look" from
        # "something is broken".
        logger.exception('autosync status failed')
        print('autosync status: failed: %s: %s' % (type(err).__name__, err),
              file=sys.stderr)
        return 2
    print(shown)
    return status.exit_status(reports)


def cmd_wait(args) -> int:
    account, _, container = args.where.partition('/')
    if not account or not container:
        print('autosync wait: %r: give ACCOUNT/CONTAINER' % args.where,
              file=sys.stderr)
        return 2
    if args.timeout < 0 or args.interval <= 0:
        print('autosync wait: --timeout must be 0 or more, --interval '
              'more than 0', file=sys.stderr)
        return 2
    loaded = setup_for(args, 'wait')
    if loaded is None:
        return 2
    setup, logger = loaded
    waiter = wait.Waiter(setup.inspector, lambda line: print(
        status.shown(line), flush=True))
    try:
        return waiter.wait(account, container, args.timeout, args.interval)
    except Exception as err:
        logger.exception('autosync wait failed')
        print('autosync wait: failed: %s: %s' % (type(err).__name__, err),
              file=sys.stderr)
        return 2


def cmd_resync(args) -> int:
    if args.rate is not None and args.rate <= 0:
        print('autosync resync: --rate %g: must be more than 0' % args.rate,
              file=sys.stderr)
        return 2
    loaded = setup_for(args, 'resync')
    if loaded is None:
        return 2
    setup, logger = loaded
    path = args.container_server_conf or os.path.join(
        setup.cfg.swift_dir, 'container-server.conf')
    resyncer = resync.Resyncer(setup.inspector, time.time)
    try:
        pace = resync.read_pace(path, args.rate)
        return resyncer.run(args.where, args.site, pace, args.apply,
                            lambda line: print(status.shown(line),
                                               flush=True))
    except resync.ResyncError as err:
        print('autosync resync: %s' % status.shown(str(err)),
              file=sys.stderr)
        return 2
    except Exception as err:
        logger.exception('autosync resync failed')
        print('autosync resync: failed: %s: %s' % (type(err).__name__, err),
              file=sys.stderr)
        return 2


def cmd_verify(args) -> int:
    try:
        loaded = setup_for(args, 'verify')
    except Exception as err:
        # A ring or internal-client conf it cannot read: a bad conf too.
        print('autosync verify: %s: %s: %s' % (args.conf, type(err).__name__,
                                               err), file=sys.stderr)
        return 2
    if loaded is None:
        return 2
    setup, logger = loaded
    verifier = verify.Verifier(setup.cfg, setup.inspector.directory, logger)
    try:
        checks = verifier.run()
    except Exception as err:
        logger.exception('autosync verify failed')
        print('autosync verify: failed: %s: %s' % (type(err).__name__, err),
              file=sys.stderr)
        return 2
    print(verify.output(checks))
    return verify.exit_status(checks)


def cmd_adopt(args) -> int:
    account, _, container = args.where.partition('/')
    if not account:
        print('autosync adopt: %r: give ACCOUNT or ACCOUNT/CONTAINER'
              % args.where, file=sys.stderr)
        return 2
    loaded = setup_for(args, 'adopt')
    if loaded is None:
        return 2
    setup, logger = loaded
    if len(setup.cfg.placement) < 2:
        print('autosync adopt: %s: autosync_placement names one site: '
              'nothing to sync with' % args.conf, file=sys.stderr)
        return 2
    adopter = adopt.Adopter(setup.inspector, setup.cfg.placement)
    try:
        names = [container] if container else list(
            adopter.container_names(account))
        return adopt.run(adopter, account, names, args.apply,
                         lambda line: print(status.shown(line), flush=True))
    except Exception as err:
        logger.exception('autosync adopt failed')
        print('autosync adopt: failed: %s: %s' % (type(err).__name__, err),
              file=sys.stderr)
        return 2


def takes_conf(command: argparse.ArgumentParser) -> None:
    """The options every command takes: it reads as the reconciler."""
    command.add_argument('--conf', default=DEFAULT_CONF,
                         help='the reconciler conf (default %(default)s)')
    command.add_argument('-v', '--verbose', action='store_true',
                         help='log requests and errors to the console')


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog='autosync', description='autosync for Swift operators.')
    commands = parser.add_subparsers(dest='command', required=True)
    show = commands.add_parser(
        'status', help='how each container stands at each of its sites')
    show.add_argument('where', nargs='?', default='',
                      metavar='ACCOUNT[/CONTAINER]',
                      help='an account (AUTH_test) or one container '
                      '(AUTH_test/photos); default: every container '
                      'autosync manages whose DB is on this node')
    show.add_argument('--json', action='store_true',
                      help='JSON for machines instead of a table')
    takes_conf(show)
    show.set_defaults(func=cmd_status)
    until = commands.add_parser(
        'wait', help='wait until every site of a container lists the same '
        'objects')
    until.add_argument('where', metavar='ACCOUNT/CONTAINER')
    until.add_argument('--timeout', type=float, default=300.0,
                       help='give up after this many seconds, exit 1 '
                       '(default %(default)g)')
    until.add_argument('--interval', type=float, default=2.0,
                       help='seconds between looks (default %(default)g)')
    takes_conf(until)
    until.set_defaults(func=cmd_wait)
    again = commands.add_parser(
        'resync', help='make container-sync send everything again to a '
        'rebuilt or emptied site (dry run unless --apply)')
    again.add_argument('site', metavar='SITE',
                       help='the rebuilt site: //realm/cluster, a proxy '
                       'URL, or a cluster of this realm (b)')
    again.add_argument('where', metavar='ACCOUNT[/CONTAINER]',
                       help='one container, or every container of the '
                       'account placed at SITE')
    again.add_argument('--apply', action='store_true',
                       help='reset the sync points; without it, only say '
                       'what would be done')
    again.add_argument('--rate', type=float, default=None,
                       help='objects a second container-sync sends, for '
                       'the ETA (default %g, measured on autosync-pair)'
                       % resync.DEFAULT_RATE)
    again.add_argument('--container-server-conf', default=None,
                       help="container_time, interval and reclaim_age "
                       "from here (default: swift_dir's "
                       "container-server.conf)")
    takes_conf(again)
    again.set_defaults(func=cmd_resync)
    check = commands.add_parser(
        'verify', help='check this site against every other: version, '
        'placement, keys, clocks, endpoints, pipeline')
    takes_conf(check)
    check.set_defaults(func=cmd_verify)
    take = commands.add_parser(
        'adopt', help='bring containers made before autosync under its '
        'management (dry run unless --apply)')
    take.add_argument('where', metavar='ACCOUNT[/CONTAINER]',
                      help='one container, or every container of the '
                      'account listed at a site of the placement')
    take.add_argument('--apply', action='store_true',
                      help='make the changes; without it, only say what '
                      'would be done')
    takes_conf(take)
    take.set_defaults(func=cmd_adopt)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == '__main__':
    sys.exit(main())
