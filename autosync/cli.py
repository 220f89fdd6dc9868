"""``autosync``: the operator's command.

    autosync status [ACCOUNT[/CONTAINER]] [--conf FILE] [--json]

See ``status.py`` for what it shows and its exit status.
"""

import argparse
import configparser
import os
import sys

from swift.common.utils import get_logger, readconf

from autosync import config, status
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


def cmd_status(args) -> int:
    try:
        conf = readconf(args.conf, SECTION)
    except (ValueError, IOError, configparser.Error) as err:
        print('autosync status: %s' % err, file=sys.stderr)
        return 2
    conf['log_level'] = 'ERROR' if not args.verbose else 'DEBUG'
    logger = get_logger(conf, log_route='autosync-status',
                        log_to_console=True)
    try:
        use_swift_dir(conf.get('swift_dir', '/etc/swift'))
        # Counted nowhere but the logger: status has no pass to sum.
        setup = load_setup(conf, logger, logger.increment,
                           quiet=not args.verbose)
        found = targets(setup, args.where)
    except config.ConfigError as err:
        print('autosync status: %s: %s' % (args.conf, err), file=sys.stderr)
        return 2
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
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == '__main__':
    sys.exit(main())
