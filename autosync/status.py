"""``autosync status``: how each container stands at each of its sites.

    autosync status [ACCOUNT[/CONTAINER]] [--conf FILE] [--json]

With ACCOUNT/CONTAINER, that container; with ACCOUNT, every container
this site lists in the account; with nothing, every container autosync
manages whose DB is on this node. For each site of each container: does
it exist, its sync target, a fingerprint of its sync key (never the
key), objects, bytes and the newest object's time; then a verdict (in
sync, lagging, broken ring, missing at a site...). It reads the
reconciler's conf (default /etc/swift/autosync-reconciler.conf) and
changes nothing. Exit status: 0 when nothing is broken (lagging is not
broken: container-sync is on its way), 1 when something is, 2 when it
cannot run.
"""

import json
import sys
from typing import Iterable, List, Optional

from eventlet import GreenPool

from autosync.inspection import Inspection
from autosync.placement import parse_site
from autosync.state import ContainerState

STATUS_CONCURRENCY = 8
COLUMNS = ('SITE', 'EXISTS', 'SYNC TO', 'KEY', 'OBJECTS', 'BYTES',
           'NEWEST OBJECT')


def site_row(state: ContainerState, newest: Optional[str]) -> dict:
    return {
        'site': state.site,
        'exists': state.exists if state.reachable else None,
        'deleted': state.deleted,
        'status': state.status,
        'detail': state.detail,
        'sync_to': state.sync_to,
        'key_fingerprint': state.key_fingerprint,
        'object_count': state.object_count,
        'bytes_used': state.bytes_used,
        'newest_object': newest,
    }


def report(found: Inspection, newest: dict) -> dict:
    names = [site.name for site in found.placement]
    # Other sites too when they hold it or did not answer: an unknown
    # verdict must show the site that made it unknown.
    names += sorted(n for n, s in found.states.items()
                    if n not in names and (s.exists or not s.reachable))
    diagnosis = found.diagnosis
    return {
        'account': found.account,
        'container': found.container,
        'placement': [site.name for site in found.placement],
        'verdict': diagnosis.verdict,
        'ok': diagnosis.ok,
        'problems': list(diagnosis.problems),
        'conflicts': list(diagnosis.conflicts),
        'unreachable': list(diagnosis.unreachable),
        'sites': [site_row(found.states[n], newest.get(n))
                  for n in names if n in found.states],
    }


def render_table(reports: List[dict]) -> str:
    lines = []
    for entry in reports:
        lines.append('%s/%s: %s' % (entry['account'], entry['container'],
                                    entry['verdict']))
        rows = [COLUMNS]
        for site in entry['sites']:
            exists = {True: 'yes', False: 'deleted' if site['deleted']
                      else 'no', None: '?'}[site['exists']]
            rows.append((site['site'], exists, site['sync_to'] or '-',
                         site['key_fingerprint'] or '-',
                         str(site['object_count']), str(site['bytes_used']),
                         site['newest_object'] or '-'))
        widths = [max(len(row[i]) for row in rows)
                  for i in range(len(COLUMNS))]
        for row in rows:
            lines.append('  ' + '  '.join(
                cell.ljust(width) for cell, width in zip(row, widths)
            ).rstrip())
        for problem in entry['problems'] + entry['conflicts']:
            lines.append('  ! ' + problem)
        for site in entry['sites']:
            if site['exists'] is None:
                lines.append('  ! %s: %s' % (site['site'], site['detail']))
    return '\n'.join(lines)


class StatusReader(object):
    """Inspect containers and read each site's newest object."""

    def __init__(self, inspector, progress=None):
        self.inspector = inspector
        self.progress = progress

    def one(self, account: str, container: str) -> dict:
        found = self.inspector.inspect(account, container)
        newest = {}
        for name, state in found.states.items():
            if state.exists:
                newest[name] = self.inspector.cluster(
                    parse_site(name)).newest_object(account, container)[0]
        return report(found, newest)

    def many(self, targets: Iterable) -> List[dict]:
        targets = list(targets)
        pool = GreenPool(STATUS_CONCURRENCY)
        reports = []
        for done, entry in enumerate(pool.imap(
                lambda target: self.one(*target), targets), 1):
            reports.append(entry)
            if self.progress:
                self.progress(done, len(targets))
        return reports


def progress_bar(stream=sys.stderr):
    """A one-line progress bar on a terminal; nothing elsewhere."""
    if not stream.isatty():
        return None

    def show(done: int, total: int) -> None:
        width = 30
        filled = int(width * done / total) if total else width
        stream.write('\r[%s%s] %d/%d containers' % (
            '#' * filled, '.' * (width - filled), done, total))
        if done == total:
            stream.write('\n')
        stream.flush()
    return show


def exit_status(reports: List[dict]) -> int:
    return 0 if all(entry['ok'] for entry in reports) else 1


def output(reports: List[dict], as_json: bool) -> str:
    if as_json:
        return json.dumps(reports, indent=2, sort_keys=True)
    if not reports:
        return 'no containers found'
    return render_table(reports)
