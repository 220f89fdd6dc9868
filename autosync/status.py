"""``autosync status``: how each container stands at each of its sites.

    autosync status [ACCOUNT[/CONTAINER]] [--conf FILE] [--json]

With ACCOUNT/CONTAINER, that container; with nothing, every container
autosync manages whose DB is on this node; with ACCOUNT, the account
itself, then every container of it that any site lists: each site of
the configured placement is listed, then any other site a container's
recorded placement names, so a container left at another site only
shows wherever the status runs. For each site of each container: does
it exist, its sync target, a fingerprint of its sync key (never the
key), objects, bytes and the newest object's time; then a verdict (in
sync, lagging, broken ring, missing at a site...) and, where its DB is
on this node, how many of the DB's rows container-sync has not yet
sent (``backlog.py``): ``(3 rows not yet sent to //realm/b)``; nothing
where its DB is elsewhere. For the account, at
each configured site: does it exist, how many containers it lists, how
many metadata items (never their values: temp-URL keys are among them)
and whether it has an ACL, when a client last changed its settings and
where a change is pending; then the verdict on its settings (in sync,
pending at, differs...) and each site that could not list. It reads
the reconciler's conf (default /etc/swift/autosync-reconciler.conf)
and changes nothing. Exit status: 0 when nothing is broken (lagging is
not broken: container-sync is on its way), 1 when something is (a site
that could not list is), 2 when it cannot run.

In ``--json``, a list of reports, one a container; with ACCOUNT the
account's comes first, with ``"container": null``. A container's
``"backlog"`` is ``{"from": this site, "to": the site its sync target
names, "rows": N}``, or null where its DB is not on this node (or
syncs nowhere, is sharded, or could not be read): never 0 when
unknown.
"""

import json
import sys
from typing import Iterable, List, Optional, Sequence, Union

from eventlet import GreenPool
from swift.common.utils import Timestamp

from autosync.account_inspection import AccountInspection, inspect_account
from autosync.account_listing import every_name, list_at
from autosync.account_state import AccountState
from autosync.backlog import DbBacklog, backlog_here, target_name
from autosync.clusters import ContainerListing
from autosync.inspection import Inspection
from autosync.placement import Site, parse_site
from autosync.protocol import parse_pending
from autosync.state import ContainerState

STATUS_CONCURRENCY = 8
COLUMNS = ('SITE', 'EXISTS', 'SYNC TO', 'KEY', 'OBJECTS', 'BYTES',
           'NEWEST OBJECT')
ACCOUNT_COLUMNS = ('SITE', 'EXISTS', 'CONTAINERS', 'METADATA', 'ACL',
                   'CHANGED AT', 'PENDING AT')


def _answer(state: Union[ContainerState, AccountState]) -> dict:
    """What a site answered, of a container or of an account alike."""
    return {
        'site': state.site,
        'exists': state.exists if state.reachable else None,
        'deleted': state.deleted,
        'status': state.status,
        'detail': state.detail,
    }


def site_row(state: ContainerState, newest: Optional[str]) -> dict:
    # A site that did not answer holds an unknown count, not 0.
    known = state.reachable
    return {
        **_answer(state),
        'sync_to': state.sync_to,
        'key_fingerprint': state.key_fingerprint,
        'object_count': state.object_count if known else None,
        'bytes_used': state.bytes_used if known else None,
        'newest_object': newest,
    }


def backlog_entry(here: Optional[DbBacklog], account: str, container: str,
                  sites: Sequence[str]) -> Optional[dict]:
    """A report's ``backlog``: None when not known here."""
    if here is None:
        return None
    return {'from': here.site,
            'to': target_name(here.sync_to, account, container, sites),
            'rows': here.rows}


def report(found: Inspection, newest: dict,
           here: Optional[DbBacklog] = None) -> dict:
    """``here``: the backlog of the container's DB on this node."""
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
        'backlog': backlog_entry(here, found.account, found.container,
                                 names + list(found.states)),
    }


def account_site_row(state: AccountState,
                     listing: Optional[ContainerListing]) -> dict:
    return {
        **_answer(state),
        'containers': _count(listing),
        'listing_detail': listing.detail if listing else '',
        # How many, never the values: temp-URL keys are metadata.
        'metadata_items': len(state.metadata),
        'acl': bool(state.acl),
        'changed_at': state.changed_at,
        'pending_at': parse_pending(state.pending)[1],
    }


def account_report(found: AccountInspection,
                   listings: Sequence[ContainerListing]) -> dict:
    """The account's own entry: its settings at each configured site,
    and what each site listed (``also_listed``: sites outside the
    configured placement that a container's placement names)."""
    diagnosis = found.diagnosis
    by_site = {parse_site(listing.site): listing for listing in listings}
    unlisted = [listing for listing in listings if not listing.listed]
    verdict = diagnosis.verdict
    if unlisted:
        verdict += '; could not list containers at %s' % ', '.join(
            listing.site for listing in unlisted)
    problems = list(diagnosis.problems) + [
        'could not list containers at %s: %s' % (listing.site,
                                                 listing.detail)
        for listing in unlisted]
    account_sites = [parse_site(name) for name in found.states]
    return {
        'account': found.account,
        'container': None,
        'placement': list(found.states),
        'verdict': verdict,
        'ok': not (problems or diagnosis.unreachable),
        'problems': problems,
        'conflicts': [],
        'unreachable': list(diagnosis.unreachable),
        'unlisted': [listing.site for listing in unlisted],
        'containers': len(every_name(listings)),
        'sites': [account_site_row(state, by_site.get(site))
                  for site, state in zip(account_sites,
                                         found.states.values())],
        'also_listed': [
            {'site': listing.site, 'containers': _count(listing),
             'detail': listing.detail}
            for site, listing in by_site.items()
            if site not in account_sites],
    }


def _count(listing: Optional[ContainerListing]) -> Optional[int]:
    return len(listing.names) if listing and listing.listed else None


def _figure(value: Optional[int]) -> str:
    return '-' if value is None else str(value)


def _exists(site: dict) -> str:
    return {True: 'yes', False: 'deleted' if site['deleted'] else 'no',
            None: '?'}[site['exists']]


def _when(timestamp: str) -> str:
    try:
        return Timestamp(timestamp).isoformat if timestamp else '-'
    except ValueError:
        return timestamp  # shown as it was recorded


def shown(text: str) -> str:
    """``text`` on one line, as it reads: a backslash and every
    character that does not print (a newline in a container's name
    would start a forged line of its own) are escaped as Python writes
    them in a string."""
    return ''.join(c if c.isprintable() and c != '\\' else
                   c.encode('unicode_escape').decode('ascii')
                   for c in text)


def _columns(rows: List[tuple]) -> List[str]:
    rows = [tuple(map(shown, row)) for row in rows]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ['  ' + '  '.join(cell.ljust(width) for cell, width in
                             zip(row, widths)).rstrip() for row in rows]


def _warnings(problems: List[str], sites: List[dict]) -> List[str]:
    """Each problem, then each site that did not answer and why."""
    return ['  ! ' + shown(problem) for problem in problems] + [
        '  ! %s: %s' % (shown(site['site']), shown(site['detail']))
        for site in sites if site['exists'] is None]


def _backlog(entry: Optional[dict]) -> str:
    if entry is None:
        return ''
    rows = entry['rows']
    return ' (%d %s not yet sent to %s)' % (
        rows, 'row' if rows == 1 else 'rows', entry['to'])


def render_container(entry: dict) -> List[str]:
    lines = [shown('%s/%s: %s%s' % (entry['account'], entry['container'],
                                    entry['verdict'],
                                    _backlog(entry['backlog'])))]
    rows = [COLUMNS]
    for site in entry['sites']:
        rows.append((site['site'], _exists(site), site['sync_to'] or '-',
                     site['key_fingerprint'] or '-',
                     _figure(site['object_count']),
                     _figure(site['bytes_used']),
                     site['newest_object'] or '-'))
    lines += _columns(rows) + _warnings(
        entry['problems'] + entry['conflicts'], entry['sites'])
    return lines


def render_account(entry: dict) -> List[str]:
    lines = [shown('%s (account settings): %s' % (entry['account'],
                                                  entry['verdict']))]
    rows = [ACCOUNT_COLUMNS]
    for site in entry['sites']:
        listed = site['containers']
        rows.append((site['site'], _exists(site),
                     '?' if listed is None else str(listed),
                     str(site['metadata_items']),
                     'yes' if site['acl'] else '-',
                     _when(site['changed_at']), site['pending_at'] or '-'))
    lines += _columns(rows) + _warnings(entry['problems'], entry['sites'])
    for site in entry['also_listed']:
        if site['containers'] is not None:
            lines.append("  also listed at %s (a container's placement "
                         "names it): %d containers" % (
                             shown(site['site']), site['containers']))
    return lines


def render_table(reports: List[dict]) -> str:
    lines = []
    for entry in reports:
        lines += render_account(entry) if entry['container'] is None \
            else render_container(entry)
    return '\n'.join(lines)


class StatusReader(object):
    """Inspect containers and read each site's newest object; with
    ``walk`` (this node's ``ContainerWalk``), the backlog of each
    container's DB on this node."""

    def __init__(self, inspector, progress=None, walk=None):
        self.inspector = inspector
        self.progress = progress
        self.walk = walk

    def one(self, account: str, container: str,
            listed_at: Sequence[Site] = ()) -> dict:
        """``listed_at``: sites whose account listing holds it, read
        even when no placement names them."""
        found = self.inspector.inspect(account, container,
                                       also=listed_at)
        newest = {}
        for name, state in found.states.items():
            if state.exists:
                newest[name] = self.inspector.cluster(
                    parse_site(name)).newest_object(account, container)[0]
        here = backlog_here(self.walk, account, container) \
            if self.walk else None
        return report(found, newest, here)

    def account(self, account: str) -> List[dict]:
        """The account's report, then one for each container any site
        lists in it: the configured sites, then each other site a
        container's recorded placement names, until none is left."""
        cluster = self.inspector.cluster
        listings = list(list_at(cluster, account,
                                self.inspector.cfg.placement))
        reports, shown = [], set()
        while True:
            new = [name for name in every_name(listings)
                   if name not in shown]
            shown.update(new)
            held = [(parse_site(listing.site), frozenset(listing.names))
                    for listing in listings if listing.listed]
            reports += self.many(
                (account, name,
                 tuple(site for site, names in held if name in names))
                for name in new)
            listed = {parse_site(listing.site) for listing in listings}
            more = list(dict.fromkeys(
                site for entry in reports
                for site in map(parse_site, entry['placement'])
                if site not in listed))
            if not more:
                break
            listings += list_at(cluster, account, more)
        reports.sort(key=lambda entry: entry['container'])
        found = inspect_account(self.inspector, account)
        return [account_report(found, listings)] + reports

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
    if all(entry['container'] is None for entry in reports):
        return '\n'.join([render_table(reports), 'no containers found']
                         ).lstrip('\n')
    return render_table(reports)
