"""Where a container create spends its CPU, with autosync and without.

The largest cost autosync adds is the container create (bench/
pair_rates.py). This brings up the same two pairs, drives container
creates through A of each (4 clients, 20 s; 8 s with --quick) and reads
the CPU time (user + system, from /proc, children included) of every
process of both clusters before and after: CPU ms per create, per
process, side by side. The daemons (updaters, container-sync) work in
passes over every container: their share depends on how many
containers exist and on when their passes fall, not on one create.

With ``--py-spy`` (``pip install py-spy``: a measuring tool, not a
dependency of autosync) it then samples the process that costs most in
the autosync pair while the same load runs again, and prints the
functions with the most samples of their own, and autosync's functions
with their callees (samples waiting in eventlet's hub are left out:
that is idle time). Work in green threads a request spawns (the
proxy's backend requests, autosync's peer requests) is counted under
those threads, not under the middleware that spawned them.

    python bench/profile_create.py [--quick] [--py-spy [--process NAME]]
"""

import argparse
import collections
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile

from autosync.pair import process, services
from autosync.pair.layout import CLUSTERS

from common import Pair, pairs_up, say
from pair_rates import Target, new_container

CLIENTS = 4
SECONDS, QUICK_SECONDS = 20.0, 8.0
TOP = 12
OURS = re.compile(r'\(autosync/(?!pair/)')  # 'func (autosync/x.py:N)'
TICKS = os.sysconf('SC_CLK_TCK')
LINE = re.compile(r':\d+\)$')  # one entry per function, not per line


def cpu_ticks(pid: int) -> int:
    """CPU of ``pid`` (with its children that exited) and of its live
    children (proxy workers, the updaters' per-pass forks)."""
    total = 0
    for each in [pid] + children(pid):
        try:
            with open('/proc/%d/stat' % each) as f:
                fields = f.read().rsplit(')', 1)[1].split()
        except OSError:
            continue
        # utime, stime; for the parent also cutime, cstime
        total += sum(int(n) for n in fields[11:15 if each == pid else 13])
    return total


def children(pid: int):
    found = []
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % entry) as f:
                if int(f.read().rsplit(')', 1)[1].split()[1]) == pid:
                    found.append(int(entry))
        except OSError:
            continue
    return found


def pids(pair: Pair):
    """{'A proxy-server': pid, ...} for every running process."""
    found = {}
    for cluster in CLUSTERS:
        for service in services.SERVICES:
            started = process.running(pair.layout.pid_file(cluster,
                                                           service.name))
            if started:
                found['%s %s' % (cluster.upper(), service.name)] = \
                    started.pid
    return found


def cpu_per_create(pair: Pair, seconds: float):
    """({process: CPU ms per create}, creates)."""
    target = Target(pair)
    before = {name: cpu_ticks(pid) for name, pid in pids(pair).items()}
    done, _ = target.load(new_container, CLIENTS, seconds)
    after = {name: cpu_ticks(pid) for name, pid in pids(pair).items()}
    return {name: (after[name] - before[name]) * 1000.0 / TICKS / done
            for name in before if name in after}, done


def print_breakdown(costs) -> None:
    names = sorted(set(costs['autosync'][0]) | set(costs['baseline'][0]),
                   key=lambda n: -costs['autosync'][0].get(n, 0))
    print('CPU ms per container create (%d creates with autosync, %d '
          'without)' % (costs['autosync'][1], costs['baseline'][1]))
    print('| process | with autosync | without |')
    print('|---|---|---|')
    for name in names + ['total']:
        cells = []
        for label in ('autosync', 'baseline'):
            per = costs[label][0]
            value = sum(per.values()) if name == 'total' else per.get(name)
            cells.append('%.2f' % value if value is not None else '-')
        print('| %s | %s | %s |' % (name, cells[0], cells[1]))


def py_spy_top(pair: Pair, name: str, seconds: float) -> None:
    """Sample ``name`` under load; print its heaviest functions."""
    py_spy = shutil.which('py-spy') or shutil.which(
        'py-spy', path=os.path.dirname(sys.executable))
    if not py_spy:
        say('py-spy not found: pip install py-spy')
        return
    pid = pids(pair)[name]
    with tempfile.NamedTemporaryFile(suffix='.txt') as out:
        sampler = subprocess.Popen(
            [py_spy, 'record', '--pid', str(pid), '--subprocesses',
             '--format', 'raw', '--nonblocking', '--output', out.name,
             '--duration', str(int(seconds) + 2)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            Target(pair).load(new_container, CLIENTS, seconds)
        finally:
            if sampler.wait(timeout=seconds + 30) is None:
                sampler.send_signal(signal.SIGINT)
        stacks = read_collapsed(out.name)
    print_top(name, stacks)


def read_collapsed(path: str):
    """[(frames, samples)] from py-spy's raw (collapsed) output."""
    stacks = []
    with open(path) as f:
        for line in f:
            frames, _, count = line.rstrip().rpartition(' ')
            if frames:
                stacks.append((frames.split(';'), int(count)))
    return stacks


def print_top(name: str, stacks) -> None:
    inclusive, own = collections.Counter(), collections.Counter()
    for frames, count in stacks:
        frames = [LINE.sub(')', f) for f in frames
                  if not f.startswith('process ')]
        if not frames or frames[-1].startswith('Hub.'):
            continue  # waiting in eventlet's hub: idle, not work
        for frame in set(frames):
            inclusive[frame] += count
        own[frames[-1]] += count
    total = sum(own.values()) or 1
    ours = collections.Counter({frame: count for frame, count
                                in inclusive.items() if OURS.search(frame)})
    for title, counter in (('self', own), ('inclusive, autosync only',
                                           ours)):
        print('\n%s: top %d functions by %s samples (of %d)'
              % (name, TOP, title, total))
        for frame, count in counter.most_common(TOP):
            print('  %5.1f%%  %s' % (100.0 * count / total, frame))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--quick', action='store_true')
    parser.add_argument('--py-spy', action='store_true',
                        help='also sample a process of the autosync pair')
    parser.add_argument('--process', metavar='NAME',
                        help='the process to sample, e.g. "A '
                        'proxy-server" (default: the costliest)')
    args = parser.parse_args()
    seconds = QUICK_SECONDS if args.quick else SECONDS
    with Pair(autosync=True) as with_autosync, \
            Pair(autosync=False) as baseline:
        pairs_up(with_autosync, baseline)
        costs = {'autosync': cpu_per_create(with_autosync, seconds),
                 'baseline': cpu_per_create(baseline, seconds)}
        print_breakdown(costs)
        if args.py_spy:
            per = costs['autosync'][0]
            py_spy_top(with_autosync, args.process or max(per, key=per.get),
                       seconds)


if __name__ == '__main__':
    main()
