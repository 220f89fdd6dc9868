"""Run every benchmark and print one summary table.

Each benchmark runs in a process of its own (one's eventlet patching or
pairs cannot touch the next), its progress shown as it goes; at the end
come the machine (cores, load, Swift and Python versions) and the table
of every figure with its same-run baseline, the ratio and the target.
About 7 minutes on a 2-core machine (about 4 with --quick; pair_rates
and site_down take 3 each).

    python bench/run_all.py [--quick] [--only NAME ...]
"""

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version

from common import load_rows, print_table, say

HERE = os.path.dirname(os.path.abspath(__file__))
BENCHMARKS = ('hot_path', 'fanout', 'pair_rates', 'sync_delay',
              'site_down', 'read_fallback')


def swift_processes() -> int:
    """Processes whose command line mentions swift: how busy the
    machine is with other clusters."""
    count = 0
    for pid in os.listdir('/proc'):
        try:
            with open('/proc/%s/cmdline' % pid, 'rb') as f:
                count += b'swift' in f.read()
        except OSError:
            continue
    return count


def machine() -> str:
    load = ', '.join('%.1f' % n for n in os.getloadavg())
    return ('%d cores, load average %s, %d swift processes; Swift %s, '
            'Python %s' % (os.cpu_count(), load, swift_processes(),
                           version('swift'), platform.python_version()))


def run_one(name: str, quick: bool, json_path: str) -> bool:
    command = [sys.executable, os.path.join(HERE, name + '.py'),
               '--json', json_path] + (['--quick'] if quick else [])
    say('== %s', ' '.join(['bench/%s.py' % name] + command[3:]))
    started = time.monotonic()
    code = subprocess.call(command, stdin=subprocess.DEVNULL)
    say('== %s: %s in %.0f s', name, 'done' if code == 0 else
        'FAILED (exit %d)' % code, time.monotonic() - started)
    return code == 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--quick', action='store_true',
                        help='smaller counts in every benchmark')
    parser.add_argument('--only', nargs='+', choices=BENCHMARKS,
                        default=BENCHMARKS, help='run only these')
    args = parser.parse_args()
    before = machine()
    started = time.monotonic()
    rows, failed = [], []
    with tempfile.TemporaryDirectory(prefix='autosync-bench-') as tmp:
        for name in args.only:
            json_path = os.path.join(tmp, name + '.json')
            if run_one(name, args.quick, json_path):
                rows += load_rows(json_path)
            else:
                failed.append(name)
    print()
    print('bench/run_all.py%s: %.0f s' % (' --quick' if args.quick else '',
                                          time.monotonic() - started))
    print('machine at start: %s' % before)
    print('machine at end:   %s' % machine())
    print()
    print_table(rows)
    if failed:
        print('\nfailed: %s (see the output above)' % ', '.join(failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
