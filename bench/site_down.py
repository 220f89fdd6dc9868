"""Site down: what a user at A waits for while B is stopped or hung, and
how long the sites take to agree once B is back.

One pair per ``site_down`` mode (``refuse``, then ``defer``), with a
short ``error_suppression_interval`` (5 s) so that B is tried again soon;
``conn_timeout`` and ``node_timeout`` are the filter's defaults (0.5 s,
10 s). In each pair, conditions in turn: every site up (the baseline,
before the faults and again after them), B stopped (``autosync-pair
down --cluster b``) and B hung (its proxy server and workers
SIGSTOPped: the kernel still takes connections, nothing answers;
SIGCONT after). In each, 3 times (2 with --quick):

* a container PUT of a new container at A, plain HTTP, no retries (a
  swiftclient with its default retries would add 1+2+4+8+16 s of
  back-off to each 503);
* ``swift upload`` of a small file into an existing container, with the
  stock ``swift`` CLI and its default retries: what a user waits.

With B hung, the first PUT waits ``node_timeout`` for B and B is then
error-limited: the next PUT is answered at once. So each round is a
first PUT, a PUT while B is limited and an upload, then a wait until the
limit is over (no figure is taken during the wait).

Then, B back (or, for the baseline, the changes made): one reconciler
pass at A, one at B (``autosync-pair reconcile``), and ``autosync status
--json`` at A, run again and again until every container changed in that
condition is "in sync" (same wiring, key and object count at both sites:
the uploaded objects come by container-sync, every 5 s). That time is
the agreement figure; its resolution is one status run.

Figures: medians, each against the same pair's figure with every site
up (both times pooled); the figure's name gives the answers (HTTP
status, CLI exit code).

    python bench/site_down.py [--quick]
"""

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from typing import Dict, List, Optional, Tuple

from autosync.config import DEFAULT_CONN_TIMEOUT, DEFAULT_NODE_TIMEOUT
from autosync.pair import cli, control

from common import (
    ACCOUNT,
    KEY,
    USER,
    Client,
    Pair,
    Row,
    expect_2xx,
    main,
    median,
    pairs_up,
    say,
)

MODES = ('refuse', 'defer')
ROUNDS, QUICK_ROUNDS = 3, 2
SUPPRESSION_INTERVAL = 5.0
SYNC_INTERVAL = 5.0
AGREE_DEADLINE = 120.0  # past it, the figure is left out and said
CLI_TIMEOUT = 180.0  # five retries back off 31 s; a hung B adds 10 s
BIN = os.path.dirname(sys.executable)
SWIFT, AUTOSYNC = os.path.join(BIN, 'swift'), os.path.join(BIN, 'autosync')
KEPT = 'bench-site-down-kept'
BASELINE = 'every site up'

Sample = Tuple[float, object]  # (seconds, the answer)


@contextlib.contextmanager
def b_stopped(pair: Pair):
    control.down(pair.layout, ['b'])
    try:
        yield
    finally:
        started = time.monotonic()
        # Starts what is missing and waits until every server answers.
        control.up(pair.layout, pair.layout.load_settings())
        say('  B started again in %.1f s', time.monotonic() - started)


class User(object):
    """test:tester at A: container PUTs over plain HTTP, uploads with
    the stock CLI; remembers what it changed until every site agrees."""

    def __init__(self, pair: Pair, workdir: str):
        self.pair = pair
        self.workdir = workdir
        self.client = Client(pair.a, pair.token('a'))
        settings = pair.layout.load_settings()
        self.env = dict(os.environ, ST_AUTH=cli.auth_url(settings, 'a'),
                        ST_USER=USER, ST_KEY=KEY)
        self.changed = []
        self.uploads = 0

    def put_container(self) -> Sample:
        name = 'bench-site-down-%s' % uuid.uuid4().hex
        self.changed.append(name)
        started = time.monotonic()
        status = self.client.request('PUT', '/v1/%s/%s' % (ACCOUNT, name))
        return time.monotonic() - started, status

    def upload(self) -> Sample:
        self.uploads += 1
        name = 'object-%03d.txt' % self.uploads
        with open(os.path.join(self.workdir, name), 'w') as f:
            f.write('upload %d\n' % self.uploads)
        if KEPT not in self.changed:
            self.changed.append(KEPT)
        started = time.monotonic()
        done = subprocess.run([SWIFT, 'upload', KEPT, name], env=self.env,
                              cwd=self.workdir, stdin=subprocess.DEVNULL,
                              capture_output=True, text=True,
                              timeout=CLI_TIMEOUT)
        elapsed = time.monotonic() - started
        if done.returncode:
            say('  swift upload exited %d: %s', done.returncode,
                (done.stdout + done.stderr).strip().splitlines()[-1:])
        return elapsed, 'exit %d' % done.returncode

    def verdicts(self) -> Dict[str, str]:
        """``autosync status --json`` of the account, at A."""
        conf = self.pair.layout.conf('a', 'autosync-reconciler.conf')
        done = subprocess.run([AUTOSYNC, 'status', ACCOUNT, '--conf', conf,
                               '--json'], stdin=subprocess.DEVNULL,
                              capture_output=True, text=True,
                              timeout=CLI_TIMEOUT)
        if done.returncode not in (0, 1):
            raise RuntimeError('autosync status exited %d: %s'
                               % (done.returncode, done.stderr.strip()))
        return {entry['container']: entry['verdict']
                for entry in json.loads(done.stdout)}

    def agree(self, since: float) -> Optional[float]:
        """One reconciler pass per site, then status until every changed
        container is in sync: seconds from ``since``, None past the
        deadline."""
        for cluster in ('a', 'b'):
            control.reconcile_once(self.pair.layout, cluster)
        passes = time.monotonic() - since
        runs = 0
        while True:
            verdicts = self.verdicts()
            runs += 1
            waiting = [name for name in self.changed
                       if verdicts.get(name) != 'in sync']
            elapsed = time.monotonic() - since
            if not waiting:
                say('  every site agrees after %.1f s (reconciler passes '
                    '%.1f s, %d status runs)', elapsed, passes, runs)
                self.changed = []
                return elapsed
            if elapsed > AGREE_DEADLINE:
                say('  not in sync after %g s: %s', AGREE_DEADLINE,
                    ', '.join('%s: %s' % (n, verdicts.get(n, 'not listed'))
                              for n in waiting))
                self.changed = []
                return None


def wait_until_b_is_tried_again(failed_at: float) -> None:
    """A's proxy limits B for the suppression interval after its last
    failure: the next condition must start with B tried again."""
    time.sleep(max(0.0, failed_at + SUPPRESSION_INTERVAL + 1
                   - time.monotonic()))


def with_b_up(user: User, rounds: int) -> dict:
    found = {'put': [], 'upload': []}
    for _ in range(rounds):
        found['put'].append(user.put_container())
        found['upload'].append(user.upload())
    found['agree'] = user.agree(time.monotonic())
    return found


def with_b_stopped(user: User, rounds: int) -> dict:
    found = {'put': [], 'upload': []}
    with b_stopped(user.pair):
        for _ in range(rounds):
            found['put'].append(user.put_container())
            found['upload'].append(user.upload())
        failed_at = time.monotonic()
    found['agree'] = user.agree(time.monotonic())
    wait_until_b_is_tried_again(failed_at)
    return found


def with_b_hung(user: User, rounds: int) -> dict:
    found = {'first put': [], 'limited put': [], 'upload': []}
    failed_at = 0.0
    with control.proxy_hung(user.pair.layout, 'b'):
        for _ in range(rounds):
            wait_until_b_is_tried_again(failed_at)
            found['first put'].append(user.put_container())
            failed_at = time.monotonic()
            found['limited put'].append(user.put_container())
            found['upload'].append(user.upload())
    found['agree'] = user.agree(time.monotonic())
    wait_until_b_is_tried_again(failed_at)
    return found


def answers(samples: List[Sample]) -> str:
    """'503', or '201 x2, 503' when they differ."""
    counted = Counter(str(answer) for _, answer in samples)
    if len(counted) == 1:
        return next(iter(counted))
    return ', '.join('%s x%d' % item if item[1] > 1 else item[0]
                     for item in sorted(counted.items()))


def measure(mode: str, rounds: int, workdir: str) -> Dict[str, dict]:
    with Pair(sync_interval=SYNC_INTERVAL, site_down=mode,
              error_suppression_interval=SUPPRESSION_INTERVAL) as pair:
        pairs_up(pair)
        user = User(pair, workdir)
        # The container the uploads go to, made and wired while B is
        # up; then one of each, unmeasured, to warm A's caches.
        expect_2xx(user.client, 'PUT', '/v1/%s/%s' % (ACCOUNT, KEPT))
        user.put_container()
        user.upload()
        user.changed = []
        found = {}
        # Every site up before the faults and again after them: the
        # baseline is both, so that the machine's load drifting during
        # the run weighs on it as on the faults.
        for condition, run in (('up', with_b_up),
                               ('stopped', with_b_stopped),
                               ('hung', with_b_hung),
                               ('up again', with_b_up)):
            say('%s: B %s', mode, condition)
            found[condition] = run(user, rounds)
            for what, samples in found[condition].items():
                if what != 'agree':
                    say('  %s: %s s (%s)', what, ', '.join(
                        '%.2f' % s for s, _ in samples), answers(samples))
        return found


def rows_for(mode: str, found: Dict[str, dict]) -> List[Row]:
    ups = (found['up'], found['up again'])
    agreed = [up['agree'] for up in ups if up['agree'] is not None]
    base = {'put': median([s for up in ups for s, _ in up['put']]),
            'upload': median([s for up in ups for s, _ in up['upload']]),
            'agree': median(agreed) if agreed else None}
    figures = (
        ('stopped', 'put', 'container PUT, B stopped', 'put', '~1'),
        ('hung', 'first put', 'container PUT, B hung', 'put',
         '+node_timeout'),
        ('hung', 'limited put', 'container PUT, B hung, error-limited',
         'put', '~1'),
        ('stopped', 'upload', 'swift upload, B stopped', 'upload', '~1'),
        ('hung', 'upload', 'swift upload, B hung', 'upload', '~1'),
    )
    rows = []
    for condition, what, label, against, target in figures:
        samples = found[condition][what]
        rows.append(Row('site down', '%s: %s -> %s' % (
            mode, label, answers(samples)), median([s for s, _ in samples]),
            's', base[against], BASELINE, target))
    for condition in ('stopped', 'hung'):
        agreed = found[condition]['agree']
        if agreed is None or base['agree'] is None:
            continue  # said when it happened
        rows.append(Row('site down', '%s: B %s, back -> every site in '
                        'sync' % (mode, condition), agreed, 's',
                        base['agree'], BASELINE + ', same changes'))
    return rows


def run(quick: bool) -> List[Row]:
    rounds = QUICK_ROUNDS if quick else ROUNDS
    print('site_down: error_suppression_interval %g s, conn_timeout %g s, '
          'node_timeout %g s, container-sync every %g s, %d rounds; '
          'container PUT without retries, swift upload with its default '
          'retries' % (SUPPRESSION_INTERVAL, DEFAULT_CONN_TIMEOUT,
                       DEFAULT_NODE_TIMEOUT, SYNC_INTERVAL, rounds))
    rows = []
    with tempfile.TemporaryDirectory(prefix='autosync-bench-') as workdir:
        for mode in MODES:
            rows += rows_for(mode, measure(mode, rounds, workdir))
    return rows


if __name__ == '__main__':
    main(run, __doc__)
