"""``autosync``: the operator's command.

    autosync status [ACCOUNT[/CONTAINER]] [--conf FILE] [--json]
    autosync wait ACCOUNT/CONTAINER [--timeout S] [--interval S]

See ``status.py`` and ``wait.py`` for what they show and their exit
status.
"""

import argparse
import configparser
import os
import sys

from swift.common.utils import get_logger, readconf

from autosync import config, status, wait
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
        reader = status.StatusReader(setup.inspector, progress)
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
    show.add_argument('--conf', default=DEFAULT_CONF,
                      help='the reconciler conf (default %(default)s)')
    show.add_argument('--json', action='store_true',
                      help='JSON for machines instead of a table')
    show.add_argument('-v', '--verbose', action='store_true',
                      help='log requests and errors to the console')
    show.set_defaults(func=cmd_status)
    until = commands.add_parser(
        'wait', help='wait until every site of a container lists the same '
        'objects')
    until.add_argument('where', metavar='ACCOUNT/CONTAINER')
    until.add_argument('--conf', default=DEFAULT_CONF,
                       help='the reconciler conf (default %(default)s)')
    until.add_argument('--timeout', type=float, default=300.0,
                       help='give up after this many seconds, exit 1 '
                       '(default %(default)g)')
    until.add_argument('--interval', type=float, default=2.0,
                       help='seconds between looks (default %(default)g)')
    until.add_argument('-v', '--verbose', action='store_true',
                       help='log requests and errors to the console')
    until.set_defaults(func=cmd_wait)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == '__main__':
    sys.exit(main())
