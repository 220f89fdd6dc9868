"""autosync-reconciler: make the sites of every container agree again.

A site that was down or unreachable when a container was created,
changed or deleted misses that change, and container-sync stops for that
container. The reconciler finds such containers and repairs them by the
rules in ``repair.py``: a missing container is made again, a broken ring
rewired with one key, a delete decided by timestamps, metadata made the
newest write's.

It runs on every container server, as ``swift-container-sync`` does: each
node walks the container DBs on its own devices, and of the replicas of
a container only one node (chosen by the container's hash) checks it, so
adding nodes adds reconciler capacity and no process lists the whole
cluster. Every site runs it: a container missing at one site is found by
the others. Its own conf file::

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

import os
import sys
import time
from random import random

from eventlet import GreenPool, sleep
from swift.common.daemon import Daemon, run_daemon
from swift.common.ring import Ring
from swift.common.ring.utils import is_local_device
from swift.common.utils import (audit_location_generator, config_true_value,
                                get_logger, hash_path, parse_options,
                                whataremyips)
from swift.container.backend import DATADIR, ContainerBroker

from autosync import config
from autosync.clusters import LocalCluster, make_internal_client
from autosync.directory import SiteDirectory, load_realms
from autosync.inspect import Inspection, Inspector
from autosync.placement import PlacementError, parse_placement, parse_site
from autosync.state import PLACEMENT_SYSMETA, from_broker

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


class AutosyncReconciler(Daemon):

    def __init__(self, conf, logger=None, local=None, container_ring=None,
                 quiet=False):
        self.conf = conf
        self.logger = logger or get_logger(conf, log_route=SECTION)
        swift_dir = conf.get('swift_dir', '/etc/swift')
        realms = load_realms(swift_dir, self.logger)
        self.cfg = config.parse(conf, realms, section=SECTION)
        if not self.cfg.enabled:
            raise config.ConfigError('autosync_my_cluster', '',
                                     'must name this site', section=SECTION)
        self.interval = _positive(conf, 'interval', DEFAULT_INTERVAL)
        self.concurrency = _positive(conf, 'concurrency',
                                     DEFAULT_CONCURRENCY, int)
        self.devices = conf.get('devices', '/srv/node')
        self.mount_check = config_true_value(conf.get('mount_check', 'true'))
        self.ring = container_ring or Ring(swift_dir, ring_name='container')
        self.my_ips = whataremyips(conf.get('bind_ip', '0.0.0.0'))
        self.my_port = int(conf.get('bind_port', 6201))
        if local is None:
            local = LocalCluster(self.cfg.my_cluster, make_internal_client(
                conf.get('internal_client_conf_path',
                         swift_dir + '/internal-client.conf'),
                quiet=quiet))
        self.inspector = Inspector(self.cfg, SiteDirectory(self.cfg, realms),
                                   local, self.logger)
        self.stats = {}

    # -- which containers this node checks --

    def is_mine(self, account: str, container: str, device: str) -> bool:
        """One replica of the container checks it: the one at the index
        its hash picks. Its device is matched too: a node may hold two
        replicas, on two devices."""
        _, nodes = self.ring.get_nodes(account, container)
        for index, node in enumerate(nodes):
            if node['device'] == device and is_local_device(
                    self.my_ips, self.my_port, node['ip'], node['port']):
                return index == int(hash_path(account, container),
                                    16) % len(nodes)
        return False

    def managed_containers(self, mine_only: bool = True):
        """(account, container, recorded placement, state here) of every
        container
        autosync manages whose DB is on this node and is this node's to
        check. Deleted DBs have lost their metadata: the sites that still
        hold the container find the delete."""
        last_dir = None
        for path, device, _ in audit_location_generator(
                self.devices, DATADIR, '.db', mount_check=self.mount_check,
                logger=self.logger):
            # A container being sharded has two DBs in its directory,
            # listed one after the other: one container, checked once,
            # opened as the container server opens it.
            hash_dir = os.path.dirname(path)
            if hash_dir == last_dir:
                continue
            last_dir = hash_dir
            path = os.path.join(hash_dir, os.path.basename(hash_dir) + '.db')
            try:
                broker = ContainerBroker(path, logger=self.logger)
                info = broker.get_info()
                if broker.is_deleted() or info['account'].startswith('.'):
                    continue
                metadata = broker.metadata
                placement = metadata.get(PLACEMENT_SYSMETA, ('', 0))[0]
            except Exception as err:
                self.count('errors')
                self.logger.error('autosync-reconciler: cannot read %s: %s',
                                  path, err)
                continue
            if placement and (not mine_only or self.is_mine(
                    info['account'], info['container'], device)):
                yield (info['account'], info['container'], placement,
                       from_broker(self.cfg.my_cluster.name, info, metadata))

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
        for found in self.managed_containers():
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
