"""autosync-reconciler: make the sites of every container and account
agree again.

A site that was down or unreachable when a container was created,
changed or deleted misses that change, and container-sync stops for that
container. The reconciler finds such containers and repairs them by the
rules in ``repair.py``: a missing container is made again, a broken ring
rewired with one key, a delete decided by timestamps, metadata made the
newest write's. It does the same for accounts (``account_repair.py``):
account metadata (temp-URL keys and quotas included) and the account ACL
are made the newest write's at every configured site, and once they
agree the record of a deferred account change is cleared at the site
that deferred it.

It runs on every container and account server, as
``swift-container-sync`` does on container servers: each node walks
the container DBs on its own devices (``container_walk.py``),
and of the replicas of a container only one node (chosen by the
container's hash) checks it, so adding nodes adds reconciler capacity
and no process lists the whole cluster. Every site runs it: a container
missing at one site is found by the others. Accounts are divided the
same way: each node walks the account DBs on its own devices
(``account_walk.py``) and checks, of the replicas of an account, the one
the account's hash picks in the account ring, so the reconciler must run
on the account servers too (with ``account_bind_port``; a node with no
account DBs finds none to check). An account is
checked only where somebody set something on it (metadata, an ACL,
autosync's records); one that autocreate made at a site and nobody
changed is no difference. An account starting with a dot is Swift's
own, a deleted one the reaper's: neither is touched. Its own conf
file::

    [DEFAULT]
    swift_dir = /etc/swift
    devices = /srv/node
    mount_check = true
    # The container and account servers' address: which devices, and
    # which replicas, are this node's.
    bind_ip = 0.0.0.0
    bind_port = 6201
    account_bind_port = 6202
    # log_statsd_host = localhost

    [autosync-reconciler]
    # The filter's options, with the same values as this site's proxy.
    autosync_my_cluster = //realm1/dc1
    autosync_placement = //realm1/dc1, //realm1/dc2
    # autosync_key =     (full-URL style only)
    conn_timeout = 0.5
    node_timeout = 10
    # Seconds between passes, and containers (accounts) checked at once.
    interval = 300
    concurrency = 8
    internal_client_conf_path = /etc/swift/internal-client.conf

Other sites are read in batches first (``batch_read.py``): one signed
request per account and up to ``batch_read.BATCH_NAMES`` containers at
each site, which reads them from its container DBs in one request to
each container server (its container servers need autosync's
``container_records`` filter, ``container_records.py``; without it, a
HEAD per container as before); a container the batch shows with
anything to do is read again with a signed HEAD at every site before
anything is decided.

Run it with ``autosync-reconciler /etc/swift/autosync-reconciler.conf``
(``once`` for one pass, ``-v`` to log to the console). Every other site
must run autosync with ``override_auth = true``: the reconciler's requests
are signed, not authenticated by a user. Statsd counters (under
``autosync-reconciler.``): ``checked`` (of which ``batched``: found in
order by a batched read, no HEAD needed), ``repaired``, ``conflicts``,
``unreachable``, ``errors`` for containers; ``accounts.checked``,
``accounts.repaired``, ``accounts.unreachable``, ``accounts.errors`` for
accounts. A pass ends with one log line of both sets of figures.
"""

import sys
import time
from dataclasses import dataclass
from random import random
from typing import Callable, Optional

from eventlet import GreenPile, GreenPool, sleep
from swift.common.daemon import Daemon, run_daemon
from swift.common.ring import Ring
from swift.common.utils import (
    config_true_value,
    get_logger,
    parse_options,
    whataremyips,
)

from autosync import batch_read, config
from autosync.account_inspection import AccountInspection, inspect_account
from autosync.account_repair import AccountRepair
from autosync.account_state import AccountState
from autosync.account_walk import AccountWalk
from autosync.batch_read import Batches
from autosync.clusters import LocalCluster, make_internal_client
from autosync.config import AutosyncConfig
from autosync.container_walk import ContainerWalk
from autosync.directory import SiteDirectory, load_realms
from autosync.inspection import Inspection, Inspector
from autosync.placement import PlacementError, parse_placement, parse_site

SECTION = 'autosync-reconciler'
DEFAULT_INTERVAL = 300.0
DEFAULT_CONCURRENCY = 8
DEFAULT_ACCOUNT_PORT = 6202  # Swift's account server's
ACCOUNT_COUNTERS = ('accounts.checked', 'accounts.repaired',
                    'accounts.unreachable', 'accounts.errors')


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


def load_account_walk(conf: dict, site_name: str, logger,
                      count: Callable[[str], None],
                      ring=None) -> AccountWalk:
    """The account walk; ``ring`` for tests. A bad ``account_bind_port``
    raises ``ConfigError`` naming it, before the ring is read."""
    port = config.positive(conf, 'account_bind_port', DEFAULT_ACCOUNT_PORT,
                           int, SECTION)
    if port > 65535:
        raise config.ConfigError('account_bind_port',
                                 conf['account_bind_port'],
                                 'expected a port number', section=SECTION)
    ring = ring or Ring(conf.get('swift_dir', '/etc/swift'),
                        ring_name='account')
    return AccountWalk(
        conf.get('devices', '/srv/node'),
        config_true_value(conf.get('mount_check', 'true')), ring,
        whataremyips(conf.get('bind_ip', '0.0.0.0')), port, site_name,
        logger, count)


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
    interval = config.positive(conf, 'interval', DEFAULT_INTERVAL,
                               section=SECTION)
    concurrency = config.positive(conf, 'concurrency', DEFAULT_CONCURRENCY,
                                  int, SECTION)
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
                 quiet=False, account_ring=None):
        self.conf = conf
        self.logger = logger or get_logger(conf, log_route=SECTION)
        self.stats = {}
        self.unbatched = set()  # sites that do not know the batched read
        setup = load_setup(conf, self.logger, self.count, local=local,
                           ring=container_ring, quiet=quiet)
        self.cfg = setup.cfg
        self.inspector = setup.inspector
        self.walk = setup.walk
        self.interval = setup.interval
        self.concurrency = setup.concurrency
        self.account_walk = load_account_walk(
            conf, self.cfg.my_cluster.name, self.logger, self.count,
            ring=account_ring)

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
        self.warn_sharded(where, found)
        results = [self.repair(account, container, repair)
                   for repair in diagnosis.repairs]
        if all(results) and not diagnosis.conflicts:
            self.settle_container_pending(account, container, found)
        return found

    def warn_sharded(self, where: str, found: Inspection) -> None:
        """Count and log each site where the container is sharded: no
        repair helps, the operator must act (README)."""
        for name, state in sorted(found.states.items()):
            if state.sharded:
                self.count('sharded')
                self.logger.warning(
                    'autosync-reconciler: %s: %s at %s: container-sync '
                    'does not carry objects written to it since',
                    where, state.sharding_state, name)

    def repair(self, account: str, container: str, repair) -> bool:
        where = '%s/%s' % (account, container)
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
        return ok

    def settle_container_pending(self, account: str, container: str,
                                 found: Inspection) -> None:
        """Every site agrees now: clear this site's pending record of
        the container (see ``settle_pending``)."""
        local = self.inspector.local
        where = '%s/%s' % (account, container)
        for name in found.diagnosis.settled:
            if parse_site(name) != self.cfg.my_cluster:
                continue
            seen = found.states[name].pending
            if local.head(account, container).pending != seen:
                continue
            ok, detail = local.clear_pending(account, container)
            if ok:
                self.logger.info('autosync-reconciler: %s: every site '
                                 'agrees, pending record (%s) cleared',
                                 where, seen)
            else:
                self.count('errors')
                self.logger.error('autosync-reconciler: %s: clearing the '
                                  'pending record failed: %s', where, detail)

    def reconcile_or_log(self, account: str, container: str, *args,
                         batched=None):
        """``reconcile`` in a green thread of its own: what it raises
        would be lost there (``run_daemon`` hides hub exceptions), so it
        is logged and counted here. ``batched``: the other sites' states
        by a batched read; a container they show in order is done
        (``clean_in_batch``), any other is read again."""
        try:
            if batched and self.clean_in_batch(account, container, *args,
                                               batched):
                return
            self.reconcile(account, container, *args)
        except Exception:
            self.count('errors')
            self.logger.exception('autosync-reconciler: %s/%s: check failed',
                                  account, container)

    # -- containers in batches --

    def batch_key(self, account: str, placement: str):
        """The group a container is read with (``batch_read.py``): its
        account and the sites to read; None to check it alone (its
        placement does not parse, or a site does not know the batched
        read)."""
        try:
            guess = parse_placement(placement)
        except PlacementError:
            return None  # reconcile() says why
        mine = self.cfg.my_cluster
        sites = tuple(dict.fromkeys(
            site for site in guess + self.cfg.placement if site != mine))
        if not sites or any(site in self.unbatched for site in sites):
            return None
        return account, sites

    def check_batch(self, key, items) -> None:
        """Read ``items`` (walked containers of one group) at each of
        its sites with one batched read, then check each: one the
        answers show with nothing to do is done; any other, or all if a
        site gave no batch, is checked by ``reconcile``, which reads
        every site again."""
        account, sites = key
        names = [item[1] for item in items]
        pile = GreenPile(len(sites))
        for site in sites:
            pile.spawn(self.inspector.cluster(site).read_batch, account,
                       names)
        answers = list(pile)
        for site, answer in zip(sites, answers):
            if not answer.understood:
                self.unbatched.add(site)
        batched = all(answer.states is not None for answer in answers)
        for item in items:
            self.reconcile_or_log(*item, batched=[
                answer.states[item[1]] for answer in answers]
                if batched else None)

    def clean_in_batch(self, account: str, container: str,
                       placement: str, here, states) -> bool:
        """Whether a container is in order by its batched states (and
        then counted as checked)."""
        found = self.inspector.inspect(account, container,
                                       parse_placement(placement),
                                       [here, *states])
        if not batch_read.clean(found.diagnosis):
            self.logger.debug('autosync-reconciler: %s/%s: %s by the '
                              'batched read; reading it again', account,
                              container, found.diagnosis.verdict)
            return False
        self.count('checked')
        self.count('batched')
        return True

    def check_batch_or_log(self, key, items) -> None:
        """``check_batch`` in a green thread of its own (see
        ``reconcile_or_log``)."""
        try:
            self.check_batch(key, items)
        except Exception:
            self.count('errors')
            self.logger.exception('autosync-reconciler: %s: batched check '
                                  'of %d containers failed', key[0],
                                  len(items))

    # -- one account --

    def reconcile_account(self, account: str,
                          here: Optional[AccountState] = None
                          ) -> AccountInspection:
        """Check one account's settings at every site and repair them;
        ``here``: its state at this site, read from the DB here."""
        found = inspect_account(self.inspector, account,
                                [here] if here else ())
        self.count('accounts.checked')
        diagnosis = found.diagnosis
        if diagnosis.unreachable:
            self.count('accounts.unreachable')
            self.logger.warning('autosync-reconciler: account %s: '
                                'skipped, %s', account, diagnosis.verdict)
            return found
        results = [self.repair_account(account, repair)
                   for repair in diagnosis.repairs]
        if all(results):
            self.settle_pending(account, found)
        return found

    def repair_account(self, account: str, repair: AccountRepair) -> bool:
        cluster = self.inspector.cluster(parse_site(repair.site))
        ok, detail = cluster.apply_account(account, repair)
        if ok:
            self.count('accounts.repaired')
            self.logger.info('autosync-reconciler: account %s: POST at %s '
                             '(%s)', account, repair.site, repair.reason)
        else:
            self.count('accounts.errors')
            self.logger.error('autosync-reconciler: account %s: POST at %s '
                              'failed: %s (%s)', account, repair.site,
                              detail, repair.reason)
        return ok

    def settle_pending(self, account: str,
                       found: AccountInspection) -> None:
        """Every site agrees now: clear this site's pending record. The
        gatekeeper lets no site clear another's sysmeta; each site's
        reconciler clears its own. Read again first: a change deferred
        since the pass read it is pending still."""
        for name in found.diagnosis.settled:
            if parse_site(name) != self.cfg.my_cluster:
                continue
            seen = found.states[name].pending
            if self.inspector.local.head_account(account).pending != seen:
                continue
            ok, detail = self.inspector.local.clear_account_pending(account)
            if ok:
                self.logger.info('autosync-reconciler: account %s: every '
                                 'site agrees, pending record (%s) cleared',
                                 account, seen)
            else:
                self.count('accounts.errors')
                self.logger.error('autosync-reconciler: account %s: '
                                  'clearing the pending record failed: %s',
                                  account, detail)

    def reconcile_account_or_log(self, account: str,
                                 here: AccountState) -> None:
        """``reconcile_account`` in a green thread of its own (see
        ``reconcile_or_log``)."""
        try:
            self.reconcile_account(account, here)
        except Exception:
            self.count('accounts.errors')
            self.logger.exception('autosync-reconciler: account %s: check '
                                  'failed', account)

    # -- passes --

    def run_pass(self) -> dict:
        self.stats = {}
        begin = time.time()
        pool = GreenPool(self.concurrency)
        self.unbatched = set()
        batches = Batches()
        for found in self.walk.managed_containers():
            key = self.batch_key(found[0], found[2])
            if key is None:
                pool.spawn_n(self.reconcile_or_log, *found)
                continue
            for group in batches.add(key, found[1], found):
                pool.spawn_n(self.check_batch_or_log, *group)
        for group in batches.rest():
            pool.spawn_n(self.check_batch_or_log, *group)
        for account, here in self.account_walk.managed_accounts():
            pool.spawn_n(self.reconcile_account_or_log, account, here)
        pool.waitall()
        elapsed = time.time() - begin
        self.logger.info(
            'autosync-reconciler: pass done in %.2fs: %d checked (%d in '
            'order by batched reads), %d repaired, %d conflicts, %d '
            'unreachable, %d sharded, %d errors; accounts: %d checked, %d '
            'repaired, %d unreachable, %d errors',
            elapsed, *(self.stats.get(k, 0) for k in (
                'checked', 'batched', 'repaired', 'conflicts', 'unreachable',
                'sharded', 'errors') + ACCOUNT_COUNTERS))
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
