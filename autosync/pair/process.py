"""Start and stop processes through PID files, never by name.

Swift servers and daemons call ``os.killpg(0, SIGTERM)`` when they stop,
so each process is started in a session (and process group) of its own:
stopping one then cannot take its siblings, or the caller, with it. A
PID file holds the PID and the process's start time (from /proc), so a
PID reused by an unrelated process is never signalled.
"""

import dataclasses
import os
import signal
import subprocess
import time
from typing import Iterable, List, Optional


@dataclasses.dataclass(frozen=True)
class Started:
    """A process as recorded in its PID file."""

    pid: int
    start_time: str


def start_time(pid: int) -> Optional[str]:
    """The kernel's start time of ``pid``, or None if it does not exist."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            stat = f.read()
    except OSError:
        return None
    # Field 22; the command name (field 2) may hold spaces, so count
    # from the closing parenthesis.
    fields = stat[stat.rindex(')') + 2:].split()
    if fields[0] == 'Z':
        return None
    return fields[19]


def read_pid_file(path: str) -> Optional[Started]:
    try:
        with open(path) as f:
            pid, started = f.read().split()
        return Started(int(pid), started)
    except (OSError, ValueError):
        return None


def running(path: str) -> Optional[Started]:
    """The process recorded in ``path`` if it is still the same one."""
    recorded = read_pid_file(path)
    if recorded and start_time(recorded.pid) == recorded.start_time:
        return recorded
    return None


def start(argv: List[str], pid_file: str, log_file: str) -> Started:
    """Start ``argv`` in its own session, output appended to log_file.

    The working directory is / so that a daemon holds no directory and
    imports come from the installed packages, not from wherever the
    command was run.
    """
    with open(log_file, 'ab') as log, open(os.devnull, 'rb') as devnull:
        child = subprocess.Popen(
            argv, stdin=devnull, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True, close_fds=True, cwd='/')
    started = Started(child.pid, start_time(child.pid) or '')
    temporary = pid_file + '.tmp'
    with open(temporary, 'w') as f:
        f.write('%d %s\n' % (started.pid, started.start_time))
    os.replace(temporary, pid_file)
    # The child is stopped through its PID file, by this or another
    # command; forget it here so no zombie waits on this object.
    child.returncode = 0
    return started


def _signal_group(started: Started, signum: int) -> None:
    # Each process leads its own group (start_new_session), so the
    # group holds exactly it and the workers it forked.
    try:
        os.killpg(started.pid, signum)
    except ProcessLookupError:
        pass


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def group_members(pgid: int) -> List[int]:
    """Live (not zombie) processes of process group ``pgid``."""
    members = []
    for name in os.listdir('/proc'):
        if not name.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % name) as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(')') + 2:].split()
        if fields[0] != 'Z' and int(fields[2]) == pgid:
            members.append(int(name))
    return members


def _gone(started: Started) -> bool:
    """True once the process and every worker it forked have exited."""
    _reap(started.pid)
    return not group_members(started.pid)


def stop(pid_files: Iterable[str], timeout: float = 10.0) -> List[str]:
    """Stop the processes of ``pid_files`` together; return what stopped.

    SIGTERM first; whatever still runs after ``timeout`` seconds gets
    SIGKILL. PID files are removed once their process is gone.
    """
    targets = {}
    for path in pid_files:
        started = running(path)
        if started:
            targets[path] = started
            _signal_group(started, signal.SIGTERM)
        elif os.path.exists(path):
            os.unlink(path)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not all(
            _gone(s) for s in targets.values()):
        time.sleep(0.05)
    for started in targets.values():
        if not _gone(started):
            _signal_group(started, signal.SIGKILL)
    for path, started in targets.items():
        while not _gone(started):
            time.sleep(0.05)
        os.unlink(path)
    return list(targets)
