"""Bring the pair up, take it down, report on it: the Python API.

``autosync-pair`` (``cli``) and the integration tests' fixture both go
through these functions; the tests and benchmarks also hang a cluster's
proxy here (``proxy_hung``). Every process is started, stopped and
signalled through its PID file (``process``); nothing is ever signalled
by name.
"""

import contextlib
import dataclasses
import os
import re
import shutil
import signal
import subprocess
from typing import Dict, Iterable, Iterator, List, Optional, Tuple

from autosync.pair import (
    health,
    keystone,
    process,
    render,
    rings,
    services,
    sharding,
)
from autosync.pair.layout import PORT_OFFSETS, Layout, Settings

# Servers answer in seconds on a quiet machine; Keystone's took over a
# minute at a load average of 50. A server that dies fails at once.
START_TIMEOUT = 300.0
LOG_TAIL_LINES = 15


class PairError(Exception):
    """A problem for the operator; the message says what to do."""


@dataclasses.dataclass(frozen=True)
class ProcessStatus:
    cluster: str
    name: str
    pid: Optional[int]
    healthy: Optional[bool]  # None: not a server, or not running


def merge_settings(saved: Optional[Settings], ports: Dict[str, int],
                   **choices) -> Settings:
    """Saved settings (or new ones) with what the caller chose on top."""
    choices = {k: v for k, v in choices.items() if v is not None}
    if saved is None:
        return Settings.new(ports=ports, **choices)
    return dataclasses.replace(saved, ports=dict(saved.ports, **ports),
                               **choices).completed()


def running_processes(layout: Layout, clusters: Iterable[str]
                      ) -> Dict[Tuple[str, str], int]:
    """(cluster, process name) -> PID, for every process still running."""
    found = {}
    for cluster in clusters:
        for service in services.EVERY_SERVICE:
            started = process.running(layout.pid_file(cluster, service.name))
            if started:
                found[cluster, service.name] = started.pid
    return found


def log_tail(path: str, lines: int = LOG_TAIL_LINES) -> str:
    try:
        with open(path, errors='replace') as f:
            return ''.join(f.readlines()[-lines:])
    except OSError:
        return ''


def check_autosync_loads() -> None:
    """Fail early, with the reason, when the autosync filter cannot load."""
    from importlib.metadata import entry_points

    try:
        found = [ep for ep in entry_points(group='paste.filter_factory')
                 if ep.name == 'autosync']
        if not found:
            raise LookupError('no paste.filter_factory entry point '
                              '"autosync" (is swift-autosync installed?)')
        found[0].load()
    except Exception as e:
        raise PairError('the autosync filter cannot be loaded (%s: %s); '
                        'use --no-autosync for a pair without it'
                        % (type(e).__name__, e)) from e


def check_ports(settings: Settings, wanted: List[Tuple[str, str]]) -> None:
    for cluster, port_key in wanted:
        port = settings.port(cluster, port_key)
        if health.port_in_use(port):
            raise PairError(
                'port %d (cluster %s, %s) is already in use on 127.0.0.1; '
                'choose other ports with --port-%s (each cluster uses %d '
                'consecutive ports)' % (port, cluster, port_key, cluster,
                                        len(PORT_OFFSETS)))


def prepare(layout: Layout, settings: Settings) -> None:
    """Directories, settings, configuration files and rings."""
    for directory in layout.directories(settings.clusters,
                                        settings.replicas):
        os.makedirs(directory, exist_ok=True)
    layout.save_settings(settings)
    render.write(layout, settings)
    for cluster in settings.clusters:
        rings.build_rings(layout, settings, cluster)
    if settings.auth == 'keystone':
        try:
            keystone.set_up_once(layout, settings)
        except keystone.KeystoneError as e:
            raise PairError(str(e)) from e


def start_service(layout: Layout, settings: Settings, cluster: str,
                  service: services.Service) -> None:
    process.start(services.argv(layout, settings, cluster, service),
                  layout.pid_file(cluster, service.name),
                  layout.log(cluster, service.name))


def wait_for_servers(layout: Layout, settings: Settings,
                     servers: List[Tuple[str, services.Service]]) -> None:
    """Wait until every server answers; fail fast if one dies."""
    waiting = list(servers)

    def all_answer():
        for cluster, service in list(waiting):
            pid_file = layout.pid_file(cluster, service.name)
            if not process.running(pid_file):
                raise PairError(
                    'cluster %s: %s exited at start; the end of %s:\n%s'
                    % (cluster, service.name, layout.log(cluster,
                                                         service.name),
                       log_tail(layout.log(cluster, service.name))))
            if health.answers(settings.port(cluster, service.port),
                              service.port):
                waiting.remove((cluster, service))
        return not waiting

    if not health.wait_until(all_answer, START_TIMEOUT):
        cluster, service = waiting[0]
        raise PairError('cluster %s: %s did not answer within %ds; the end '
                        'of %s:\n%s' % (
                            cluster, service.name, START_TIMEOUT,
                            layout.log(cluster, service.name),
                            log_tail(layout.log(cluster, service.name))))


def up(layout: Layout, settings: Settings) -> List[str]:
    """Start whatever of the pair is not running; return what started.

    Harmless when everything already runs. On failure, the processes
    this call started are stopped again and PairError says why.
    """
    settings.check()
    running = running_processes(layout, layout.clusters_on_disk())
    saved = layout.load_settings()
    changes = saved.changes(settings) if running and saved else []
    if changes:
        raise PairError('the pair in %s runs with other settings (%s); run '
                        '"autosync-pair down" first'
                        % (layout.data_dir, '; '.join(changes)))
    missing = [(c, s) for c in settings.clusters
               for s in services.services_of(settings, c)
               if (c, s.name) not in running]
    if not missing:
        return []
    if settings.autosync:
        check_autosync_loads()
    services.memcached_binary()
    check_ports(settings, [(c, s.port) for c, s in missing if s.is_server])
    prepare(layout, settings)
    started = []
    try:
        servers = [(c, s) for c, s in missing if s.is_server]
        for cluster, service in servers:
            start_service(layout, settings, cluster, service)
            started.append((cluster, service))
        wait_for_servers(layout, settings, servers)
        for cluster, service in missing:
            if not service.is_server:
                start_service(layout, settings, cluster, service)
                started.append((cluster, service))
        create_accounts(settings)
    except BaseException:
        process.stop([layout.pid_file(c, s.name) for c, s in started])
        raise
    return ['%s %s' % (c, s.name) for c, s in started]


def create_accounts(settings: Settings) -> None:
    """Every test account, really there at every cluster; with
    Keystone, its projects, users and endpoints first."""
    if settings.auth != 'keystone':
        for cluster in settings.clusters:
            health.create_accounts(settings.port(cluster, 'proxy'))
        return
    try:
        keystone.populate(settings, {c: render.proxy_url(settings, c)
                                     for c in settings.clusters})
        keystone.create_accounts(settings, {
            c: settings.port(c, 'proxy') for c in settings.clusters})
    except keystone.KeystoneError as e:
        raise PairError(str(e)) from e


def down(layout: Layout, clusters: Optional[Iterable[str]] = None,
         wipe: bool = False) -> List[str]:
    """Stop the processes of ``clusters`` (default: every cluster found
    in the data directory); return the PID files stopped."""
    if clusters is None:
        clusters = layout.clusters_on_disk()
    pid_files = [layout.pid_file(c, s.name)
                 for c in clusters for s in services.EVERY_SERVICE]
    stopped = process.stop(pid_files)
    if wipe:
        if os.path.exists(layout.settings_file):
            shutil.rmtree(layout.data_dir)
        elif os.path.exists(layout.data_dir):
            raise PairError('%s has no %s: not wiping a directory the pair '
                            'did not make' % (layout.data_dir,
                                              os.path.basename(
                                                  layout.settings_file)))
    return stopped


@contextlib.contextmanager
def proxy_hung(layout: Layout, cluster: str) -> Iterator[None]:
    """``cluster``'s proxy server and its workers stopped (SIGSTOP) for
    the block, continued (SIGCONT) after: the kernel still takes
    connections into the listen backlog and nothing answers, which is
    what a hung host looks like to the other sites."""
    started = process.running(layout.pid_file(cluster, 'proxy-server'))
    if started is None:
        raise PairError('cluster %s: its proxy server is not running'
                        % cluster)
    # The server leads a process group of its own (process.start) that
    # holds it and every worker it forked: one signal reaches them all.
    os.killpg(started.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(started.pid, signal.SIGCONT)


def status(layout: Layout, settings: Settings) -> List[ProcessStatus]:
    found = []
    for cluster in settings.clusters:
        for service in services.services_of(settings, cluster):
            started = process.running(layout.pid_file(cluster, service.name))
            healthy = None
            if started and service.is_server:
                healthy = health.answers(
                    settings.port(cluster, service.port), service.port)
            found.append(ProcessStatus(cluster, service.name,
                                       started.pid if started else None,
                                       healthy))
    return found


def run_once(layout: Layout, cluster: str, what: str,
             argv: List[str]) -> str:
    """Run a daemon's ``once`` pass, however long it takes (a pass
    over many containers on a busy machine takes minutes); its output
    goes to its log, and is returned."""
    log_file = layout.log(cluster, what + '-once')
    with open(log_file, 'ab') as log:
        start = log.tell()
        result = subprocess.run(
            argv, stdin=subprocess.DEVNULL, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True, cwd='/')
    if result.returncode:
        raise PairError('cluster %s: %s once exited %d; the end of %s:\n%s'
                        % (cluster, what, result.returncode, log_file,
                           log_tail(log_file)))
    with open(log_file, errors='replace') as log:
        log.seek(start)
        return log.read()


# container-sync's own summary of a pass (swift/container/sync.py).
SYNC_SUMMARY = re.compile(r'Since [^:]*:\d+:\d+ \d+: (\d+) synced \[(\d+) '
                          r'deletes, (\d+) puts\], (\d+) skipped, (\d+) '
                          r'failed')
SYNC_FIGURES = ('containers synced', 'deletes', 'puts', 'skipped',
                'failed')
RECONCILER_SUMMARY = re.compile(r'pass done in (.*)$', re.M)


def sync_once(layout: Layout, cluster: str) -> Dict[str, int]:
    """Run one container-sync pass over every container of ``cluster``
    (on every storage node); what it did, added up over the nodes."""
    done = dict.fromkeys(SYNC_FIGURES, 0)
    for argv in services.sync_once_argvs(layout, layout.load_settings(),
                                         cluster):
        for found in SYNC_SUMMARY.finditer(
                run_once(layout, cluster, 'container-sync', argv)):
            for name, figure in zip(SYNC_FIGURES, found.groups()):
                done[name] += int(figure)
    return done


def reconcile_once(layout: Layout, cluster: str) -> List[str]:
    """Run one autosync-reconciler pass over ``cluster``'s containers
    (on every storage node); each node's summary of its pass."""
    return [summary
            for argv in services.reconcile_once_argvs(
                layout, layout.load_settings(), cluster)
            for summary in RECONCILER_SUMMARY.findall(run_once(
                layout, cluster, 'autosync-reconciler', argv))]


def shard(layout: Layout, cluster: str, account: str, container: str,
          rows_per_shard: int) -> None:
    """Shard ``account/container`` at ``cluster`` with Swift's tools
    (``sharding.py``); PairError unless it ends up sharded."""
    try:
        path = sharding.container_db(layout, cluster, account, container)
    except sharding.ShardingError as e:
        raise PairError(str(e)) from e
    run_once(layout, cluster, 'container-sharder',
             sharding.manage_argv(layout, cluster, path, rows_per_shard))
    for _ in range(sharding.SHARDER_PASSES):
        if sharding.db_state(path) == 'sharded':
            return
        run_once(layout, cluster, 'container-sharder',
                 sharding.sharder_argv(layout, cluster))
    if sharding.db_state(path) != 'sharded':
        raise PairError('cluster %s: %s/%s is still %s after %d sharder '
                        'passes; see %s' % (
                            cluster, account, container,
                            sharding.db_state(path), sharding.SHARDER_PASSES,
                            layout.log(cluster, 'container-sharder-once')))
