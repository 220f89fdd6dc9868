"""autosync-reconciler: make the sites of every container agree again.

A site that was down or unreachable when a container was created,
changed or deleted misses that change, and container-sync stops for that
container. The reconciler finds such containers and repairs them by the
rules in ``repair.py``: a missing container is made again, a broken ring
rewired with one key, a delete decided by timestamps, metadata made the
newest write's.

It runs on every container server, as ``swift-container-sync`` does: each
node walks the container DBs on its own devices (``container_walk.py``),
and of the replicas of a container only one node (chosen by the
container's hash) checks it, so adding nodes adds reconciler capacity
and no process lists the whole cluster. Every site runs it: a container
missing at one site is found by the others. Its own conf file::

    [DEFAULT]
    swift_dir = /etc/swift
    devices = /srv/node
    mount_check = true
    # The container server's address: which devices are this node's.
    bind_ip = 0.0.0.0
    bind_port = 6201
    # log_statsd_host = localhost

    [autosync-reconciler]
    # The filter's options, with the same values as this site's proxy.
    autosync_my_cluster = //realm1/dc1
    autosync_placement = //realm1/dc1, //realm1/dc2
    # autosync_key =     (full-URL style only)
    conn_timeout = 0.5
    node_timeout = 10
    # Seconds between passes, and containers checked at once.
    interval = 300
    concurrency = 8
    internal_client_conf_path = /etc/swift/internal-client.conf

Run it with ``autosync-reconciler /etc/swift/autosync-reconciler.conf``
(``once`` for one pass, ``-v`` to log to the console). Every other site
must run autosync with ``override_auth = true``: the reconciler's requests
are signed, not authenticated by a user. Statsd counters (under
``autosync-reconciler.``): ``checked``, ``repaired``, ``conflicts``,
``unreachable``, ``errors``.
"""

import sys
import time
from dataclasses import dataclass
from random import random
from typing import Callable, Optional

from eventlet import GreenPool, sleep
from swift.common.daemon import Daemon, run_daemon
from swift.common.ring import Ring
from swift.common.utils import (
    config_true_value,
    get_logger,
    parse_options,
    whataremyips,
)

from autosync import config
from autosync.clusters import LocalCluster, make_internal_client
from autosync.config import AutosyncConfig
from autosync.container_walk import ContainerWalk
from autosync.directory import SiteDirectory, load_realms
from autosync.inspection import Inspection, Inspector
from autosync.placement import PlacementError, parse_placement, parse_site

SECTION = 'autosync-reconciler'
DEFAULT_INTERVAL = 300.0
DEFAULT_CONCURRENCY = 8


def _positive(conf: dict, option: str, default, kind=float):
    value = conf.get(option, default)
    try:
        number = kind(value)
    except (TypeError, ValueError):
        number = 0
    if number <= 0:
        raise config.ConfigError(option, value, 'expected a positive '
                                 'number', section=SECTION)
    return number


@dataclass(frozen=True)
class Setup:
    """What the reconciler's conf makes: for the daemon, and for
    ``autosync status``, which reads as the daemon reads."""
    cfg: AutosyncConfig
    inspector: Inspector
    walk: ContainerWalk
    interval: float
    concurrency: int


def _container_walk(conf: dict, ring, site_name: str, logger,
                    count: Callable[[str], None]) -> ContainerWalk:
    return ContainerWalk(
        conf.get('devices', '/srv/node'),
        config_true_value(conf.get('mount_check', 'true')), ring,
        whataremyips(conf.get('bind_ip', '0.0.0.0')),
        int(conf.get('bind_port', 6201)), site_name, logger, count)


def load_setup(conf: dict, logger, count: Callable[[str], None],
               local: Optional[LocalCluster] = None, ring=None,
               quiet: bool = False) -> Setup:
    """``count(metric)``: told of what the walk cannot read; ``local``
    and ``ring`` for tests; ``quiet``: no access log lines. A bad option
    raises ``ConfigError`` naming it, before anything is built."""
    swift_dir = conf.get('swift_dir', '/etc/swift')
    realms = load_realms(swift_dir, logger)
    cfg = config.parse(conf, realms, section=SECTION)
    if not cfg.enabled:
        raise config.ConfigError('autosync_my_cluster', '',
                                 'must name this site', section=SECTION)
    interval = _positive(conf, 'interval', DEFAULT_INTERVAL)
    concurrency = _positive(conf, 'concurrency', DEFAULT_CONCURRENCY, int)
    ring = ring or Ring(swift_dir, ring_name='container')
    walk = _container_walk(conf, ring, cfg.my_cluster.name, logger, count)
    if local is None:
        local = LocalCluster(cfg.my_cluster, make_internal_client(
            conf.get('internal_client_conf_path',
                     swift_dir + '/internal-client.conf'),
            quiet=quiet))
    inspector = Inspector(cfg, SiteDirectory(cfg, realms), local, logger)
    return Setup(cfg, inspector, walk, interval, concurrency)


class AutosyncReconciler(Daemon):

    def __init__(self, conf, logger=None, local=None, container_ring=None,
                 quiet=False):
        self.conf = conf
        self.logger = logger or get_logger(conf, log_route=SECTION)
        self.stats = {}
        setup = load_setup(conf, self.logger, self.count, local=local,
                           ring=container_ring, quiet=quiet)
        self.cfg = setup.cfg
        self.inspector = setup.inspector
        self.walk = setup.walk
        self.interval = setup.interval
        self.concurrency = setup.concurrency

    # -- one container --

    def count(self, metric: str, n: int = 1) -> None:
        self.stats[metric] = self.stats.get(metric, 0) + n
        self.logger.increment(metric)

    def reconcile(self, account: str, container: str, placement: str,
                  here=None) -> Inspection:
        """Check one container and repair it; ``here``: its state at
        this site, read from the DB this node holds."""
        try:
            guess = parse_placement(placement)
        except PlacementError as err:
            self.count('errors')
            self.logger.error('autosync-reconciler: %s/%s: bad recorded '
                              'placement %r: %s', account, container,
                              placement, err)
            return None
        found = self.inspector.inspect(account, container, guess,
                                       [here] if here else ())
        self.count('checked')
        diagnosis = found.diagnosis
        where = '%s/%s' % (account, container)
        if diagnosis.unreachable:
            self.count('unreachable')
            self.logger.warning('autosync-reconciler: %s: skipped, %s',
                                where, diagnosis.verdict)
            return found
        for conflict in diagnosis.conflicts:
            self.count('conflicts')
            self.logger.warning('autosync-reconciler: %s: conflict: %s',
                                where, conflict)
        for repair in diagnosis.repairs:
            cluster = self.inspector.cluster(parse_site(repair.site))
            ok, detail = cluster.apply(account, container, repair)
            if ok:
                self.count('repaired')
                self.logger.info('autosync-reconciler: %s: %s at %s (%s)',
                                 where, repair.method, repair.site,
                                 repair.reason)
            else:
                self.count('errors')
                self.logger.error('autosync-reconciler: %s: %s at %s '
                                  'failed: %s (%s)', where, repair.method,
                                  repair.site, detail, repair.reason)
        return found

    def reconcile_or_log(self, account: str, container: str, *args):
        """``reconcile`` in a green thread of its own: what it raises
        would be lost there (``run_daemon`` hides hub exceptions), so it
        is logged and counted here."""
        try:
            self.reconcile(account, container, *args)
        except Exception:
            self.count('errors')
            self.logger.exception('autosync-reconciler: %s/%s: check failed',
                                  account, container)

    # -- passes --

    def run_pass(self) -> dict:
        self.stats = {}
        begin = time.time()
        pool = GreenPool(self.concurrency)
        for found in self.walk.managed_containers():
            pool.spawn_n(self.reconcile_or_log, *found)
        pool.waitall()
        elapsed = time.time() - begin
        self.logger.info(
            'autosync-reconciler: pass done in %.2fs: %d checked, %d '
            'repaired, %d conflicts, %d unreachable, %d errors', elapsed,
            *(self.stats.get(k, 0) for k in (
                'checked', 'repaired', 'conflicts', 'unreachable',
                'errors')))
        return dict(self.stats, elapsed=elapsed)

    def run_once(self, *args, **kwargs):
        self.run_pass()

    def run_forever(self, *args, **kwargs):
        sleep(random() * self.interval)
        while True:
            begin = time.time()
            try:
                self.run_pass()
            except Exception:
                self.logger.exception('autosync-reconciler: pass failed')
            elapsed = time.time() - begin
            if elapsed < self.interval:
                sleep(self.interval - elapsed)


def main():
    conf_file, options = parse_options(once=True)
    try:
        run_daemon(AutosyncReconciler, conf_file, section_name=SECTION,
                   **options)
    except config.ConfigError as err:
        sys.exit('autosync-reconciler: %s: %s' % (conf_file, err))
