"""``autosync resync``: make container-sync send everything again to a
site that was rebuilt or emptied.

    autosync resync SITE ACCOUNT[/CONTAINER] [--apply] [--rate N]
                    [--conf FILE] [--container-server-conf FILE]

container-sync sends a container's rows once: the DB at the sending site
keeps two sync points, and rows before them are never looked at again.
A site that lost its copy's objects (rebuilt, restored, emptied) gets
nothing back by itself. Swift resets the sync points only when a POST
sets ``X-Container-Sync-To`` to another value than the DB holds
(``_update_metadata`` in ``swift/container/server.py`` compares the
strings); the same value again resets nothing. Swift resolves a realm
and a cluster name without case (``container_sync_realms.py`` upper-
cases them) and a URL's scheme without case (``urlparse``), and so does
autosync (``placement.same_sync_target``): the reset is one POST, at the
site that syncs to SITE (its predecessor in the ring, ``plan.sync_ring``),
of the very same target spelled with the other case, and the same key.
Sync never points anywhere else, the reconciler and ``autosync status``
see the ring they expect, and the next container-sync pass there walks
every row again: each object SITE lacks (a HEAD tells) is sent.

SITE is a site name (``//realm/b``, ``https://b.example.com``) or, in
realm style, a cluster of this site's realm (``b``). With
ACCOUNT/CONTAINER, that container; with ACCOUNT, every container of it
that any configured site (or SITE) lists, that autosync manages and
whose placement holds SITE. Dry run by default: for each container,
which site would send, how many objects (the sender's object count: the
rows container-sync walks again) and how many of them SITE lacks now
(from both listings), an ETA, and a warning when SITE has missed writes
for longer than ``reclaim_age`` while it still holds objects: the
sender reclaims delete rows older than that (the container replicator,
``swift/common/db.py`` ``reclaim``), so a resync cannot delete at SITE
what was deleted then, and from SITE it can come back. ``--apply``
makes the POSTs and says what each did.

The ETA is ``objects / rate``, ``--rate`` (objects a second) being what
one container server's container-sync sends (default ``DEFAULT_RATE``,
measured on autosync-pair: README), cut into passes of at most
``container_time`` seconds a container, one pass every ``interval``
(``[container-sync]`` of the container-server conf, Swift's defaults
when it cannot be read); ``reclaim_age`` comes from its
``[container-replicator]``. The output says where each figure came
from.

A reset that lands while container-sync is sending that very container
can be overwritten by the sync points the pass holds in memory: if the
objects do not come back after the passes the ETA counts, resync again.
Exit status: 0 when every container was (or would be) reset, 1 when
some could not be (a site did not answer, a broken ring, a POST
failed), 2 when it cannot run (a bad SITE, ACCOUNT, conf or --rate; a
container that autosync does not manage or does not place at SITE).
"""

import datetime
import math
import os
from dataclasses import dataclass, replace
from typing import Callable, Iterator, List, Optional, Sequence, Tuple

from eventlet import GreenPile, GreenPool
from swift.common.utils import Timestamp, readconf

from autosync import config
from autosync.account_listing import every_name, list_at
from autosync.inspection import Inspection
from autosync.placement import (
    REALM_STYLE,
    PlacementError,
    Site,
    parse_site,
    same_sync_target,
    sync_target,
)
from autosync.plan import sync_ring
from autosync.repair import Repair

# Objects a second one container server's container-sync sent after a
# resync, measured on autosync-pair (README "autosync resync": 200 puts
# of 1 KiB in 25 s by its "Container sync report" line, on a loaded
# machine): a figure to start from, not a promise; --rate gives yours.
DEFAULT_RATE = 8.0
# Swift's defaults: container/sync.py, common/db_replicator.py.
DEFAULT_CONTAINER_TIME = 60
DEFAULT_SYNC_INTERVAL = 300.0
DEFAULT_RECLAIM_AGE = 604800.0
RESYNC_CONCURRENCY = 8  # containers surveyed at once, as status does


class ResyncError(ValueError):
    """Input resync cannot run with; the message names the value."""


# -- pure: which site, which spelling, what each container gets --

def resolve_site(text: str, known: Sequence[Site]) -> Site:
    """The site ``text`` names: a site of ``known`` (spelled any way
    ``Site`` equality allows), or, a bare name, the one realm site of
    ``known`` whose cluster it is."""
    text = (text or '').strip()
    if not text:
        raise ResyncError('SITE is empty')
    if not text.startswith('//') and '://' not in text:
        matches = [site for site in known if site.style == REALM_STYLE
                   and site.cluster == text.upper()]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise ResyncError('SITE %r is a cluster of several realms: '
                              'give //realm/cluster' % text)
        raise ResyncError('unknown SITE %r: not a cluster of %s' % (
            text, _listed(known)))
    try:
        site = parse_site(text)
    except PlacementError as err:
        raise ResyncError('SITE %r: %s' % (text, err)) from None
    if site.style == REALM_STYLE and site not in known:
        raise ResyncError('unknown SITE %r: not a cluster of %s' % (
            text, _listed(known)))
    return site


def _listed(sites: Sequence[Site]) -> str:
    return ', '.join(site.name for site in sites) or 'no site'


def senders(placement: Sequence[Site], site: Site) -> Tuple[Site, ...]:
    """The sites whose copy syncs to ``site``'s, by the ring."""
    if len(placement) < 2 or site not in placement:
        return ()
    # Any account and container: only the sites of the targets matter.
    ring = sync_ring(placement, 'a', 'c', '')
    return tuple(other for other in placement if same_sync_target(
        ring[other][0], sync_target(site, 'a', 'c')))


def _other_case(text: str) -> str:
    return text.lower() if text != text.lower() else text.upper()


def respelled(expected: str, current: str) -> Optional[str]:
    """``expected`` (a sync target as autosync writes it) spelled so
    that it differs from ``current``, the value the DB holds, while
    Swift and autosync read it as the same container: the realm and
    cluster (``//realm/cluster/...``) or the scheme (``http://...``) in
    the other case. None when no such spelling exists."""
    if expected.startswith('//'):
        realm, cluster, rest = expected[2:].split('/', 2)
        other = '//%s/%s' % (_other_case(realm), _other_case(cluster)) + \
            '/' + rest
    else:
        scheme, _, rest = expected.partition('://')
        other = _other_case(scheme) + '://' + rest
    for spelling in (expected, other):
        # Equal targets by autosync's own rule, or the reconciler would
        # take the reset for a broken ring and "repair" it.
        if spelling != current and same_sync_target(spelling, expected):
            return spelling
    return None


@dataclass(frozen=True)
class Gap:
    """What SITE's listing lacks against the sender's."""

    lacking: int  # listed at the sender, not at SITE (or another ETag)
    since: Optional[float]  # the oldest of them was written then
    held: int  # objects SITE lists
    extra: int  # objects SITE lists that the sender does not


def _written(entry: dict) -> Optional[float]:
    try:
        return float(Timestamp.from_isoformat(entry['last_modified']))
    except (KeyError, TypeError, ValueError):
        return None


def gap(at_sender: Sequence[dict], at_site: Sequence[dict]) -> Gap:
    """Compare two listings (Swift's JSON entries)."""
    there = {entry['name']: entry.get('hash') for entry in at_site}
    missing = [entry for entry in at_sender if entry['name'] not in there
               or there[entry['name']] != entry.get('hash')]
    times = [t for t in map(_written, missing) if t is not None]
    names = {entry['name'] for entry in at_sender}
    return Gap(len(missing), min(times) if times else None, len(there),
               sum(1 for name in there if name not in names))


@dataclass(frozen=True)
class Pace:
    """How fast container-sync goes, and where each figure came from."""

    rate: float  # objects a second
    container_time: float
    interval: float
    reclaim_age: float
    rate_from: str
    conf_from: str


@dataclass(frozen=True)
class Eta:
    sending: float  # seconds of sending
    passes: int
    within: float  # seconds: every pass it takes, one per interval


def eta(objects: int, pace: Pace) -> Eta:
    """container-sync sends a container for at most container_time
    seconds a pass (``sync.py``), then goes on next pass, one pass every
    interval at most; the first pass may be an interval away."""
    sending = objects / pace.rate
    passes = max(1, int(math.ceil(sending / pace.container_time)))
    return Eta(sending, passes, passes * max(pace.interval,
                                             pace.container_time))


@dataclass(frozen=True)
class Plan:
    """One container's resync: who sends, what the POST sets, what it
    costs; ``refusal`` says why it cannot be done."""

    account: str
    container: str
    site: str  # the rebuilt site, as the placement spells it
    sender: str = ''
    was: str = ''  # the sender's X-Container-Sync-To
    sync_to: str = ''  # the value the reset sets
    sync_key: str = ''
    objects: int = 0
    bytes_used: int = 0
    gap: Optional[Gap] = None
    refusal: str = ''
    warning: str = ''
    done: str = ''  # after --apply: what the POST answered

    @property
    def where(self) -> str:
        return '%s/%s' % (self.account, self.container)

    def repair(self) -> Repair:
        return Repair(self.sender, 'POST', 'resync of %s' % self.site,
                      sync_to=self.sync_to, sync_key=self.sync_key)


class NotPlaced(ResyncError):
    """A container autosync does not manage, or does not place at SITE:
    for ACCOUNT/CONTAINER, bad input; for ACCOUNT, one to pass over."""


def plan(found: Inspection, site: Site) -> Plan:
    """The reset of ``found`` (a container inspected at every site) for
    ``site``; listings are added by ``with_gap``."""
    where = '%s/%s' % (found.account, found.container)
    if not found.version:
        raise NotPlaced('%s: %s' % (where, found.diagnosis.verdict))
    placement = found.placement
    if site not in placement:
        raise NotPlaced('%s is placed on %s, not at %s' % (
            where, _listed(placement), site.name))
    here = placement[placement.index(site)]
    done = Plan(found.account, found.container, here.name)
    sending = senders(placement, site)
    if not sending:
        return replace(done, refusal='placed on %s alone: nothing syncs '
                       'to it' % here.name)
    sender = sending[0]
    state = found.states.get(sender.name)
    done = replace(done, sender=sender.name)
    if found.diagnosis.unreachable:
        return replace(done, refusal=found.diagnosis.verdict)
    if state is None or not state.exists:
        return replace(done, refusal='not at %s, which would send it'
                       % sender.name)
    if state.sharded:
        return replace(done, refusal='%s at %s: container-sync reads no '
                       'object rows there' % (state.sharding_state,
                                              sender.name))
    expected = sync_ring(placement, found.account, found.container,
                         '')[sender][0]
    done = replace(done, was=state.sync_to, sync_key=state.sync_key,
                   objects=state.object_count, bytes_used=state.bytes_used)
    if not state.sync_key or not same_sync_target(state.sync_to, expected):
        return replace(done, refusal='%s does not sync to %s as the ring '
                       'wants (%s): autosync-reconciler repairs the ring '
                       'first (autosync status shows it)' % (
                           sender.name, here.name,
                           found.diagnosis.verdict))
    spelling = respelled(expected, state.sync_to)
    if spelling is None:
        return replace(done, refusal='%s has no other spelling that Swift '
                       'reads as the same target (no letters to change '
                       'the case of)' % expected)
    return replace(done, sync_to=spelling)


def with_gap(planned: Plan, at_sender, at_site, now: float,
             reclaim_age: float) -> Plan:
    """``planned`` with what SITE lacks (listings, None: not listed) and
    the reclaim_age warning."""
    if at_sender is None or at_site is None:
        return planned
    found = gap(at_sender, at_site)
    warning = ''
    if found.held and found.since is not None and \
            now - found.since > reclaim_age:
        warning = (
            '%s lacks objects written since %s (%s ago), longer than '
            'reclaim_age (%s): %s no longer records deletes made before '
            '%s, so objects %s still holds (%d, %d of them not at %s) '
            'that were deleted then stay there and can come back to the '
            'other sites; check them before --apply' % (
                planned.site, _iso(found.since), _span(now - found.since),
                _span(reclaim_age), planned.sender, _iso(now - reclaim_age),
                planned.site, found.held, found.extra, planned.sender))
    return replace(planned, gap=found, warning=warning)


def _iso(when: float) -> str:
    return datetime.datetime.fromtimestamp(
        when, datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')


def _span(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds >= 2 * 86400:
        return '%.1f days' % (seconds / 86400)
    if seconds >= 2 * 3600:
        return '%.1f h' % (seconds / 3600)
    if seconds >= 120:
        return '%.0f min' % (seconds / 60)
    return '%.0f s' % seconds


def _objects(count: int) -> str:
    return '%d object%s' % (count, '' if count == 1 else 's')


def describe(entry: Plan, pace: Pace, applied: bool) -> List[str]:
    """The lines that say what was (or would be) done to one
    container."""
    if entry.refusal:
        return ['%s: cannot resync %s: %s' % (entry.where, entry.site,
                                              entry.refusal)]
    lacks = '' if entry.gap is None else ', %d of them missing or ' \
        'different at %s now' % (entry.gap.lacking, entry.site)
    timing = eta(entry.objects, pace)
    lines = ['%s: %s %s %s (%d bytes) to %s%s; ETA %s' % (
        entry.where, entry.sender, 'sends again' if applied else
        'would send again', _objects(entry.objects), entry.bytes_used,
        entry.site, lacks, _eta(timing))]
    post = 'POST X-Container-Sync-To: %s at %s (was %s)' % (
        entry.sync_to, entry.sender, entry.was)
    if not applied:
        lines.append('  would ' + post)
    elif entry.done:
        lines.append('  ! failed: %s: %s' % (post, entry.done))
    else:
        lines.append('  done: ' + post)
    if entry.warning:
        lines.append('  ! warning: ' + entry.warning)
    return lines


def _eta(timing: Eta) -> str:
    return '%s of sending, within %d container-sync pass%s (<= %s)' % (
        _span(timing.sending), timing.passes,
        '' if timing.passes == 1 else 'es', _span(timing.within))


def summary(plans: Sequence[Plan], pace: Pace, applied: bool) -> List[str]:
    ready = [entry for entry in plans if not entry.refusal]
    objects = sum(entry.objects for entry in ready)
    lines = ['%d container%s %s, %s to send again; at %g objects/s '
             '(%s): %s of sending' % (
                 len(ready), '' if len(ready) == 1 else 's',
                 'reset' if applied else 'to reset', _objects(objects),
                 pace.rate, pace.rate_from,
                 _span(objects / pace.rate))]
    lines.append('container-sync: container_time %g s, interval %g s, '
                 'reclaim_age %g s (%s)' % (
                     pace.container_time, pace.interval, pace.reclaim_age,
                     pace.conf_from))
    if not applied:
        lines.append('dry run: nothing changed; --apply to reset')
    return lines


def exit_status(plans: Sequence[Plan]) -> int:
    return 1 if any(entry.refusal or entry.done for entry in plans) else 0


# -- I/O: the container-server conf, the sites --

def read_pace(path: str, rate: Optional[float]) -> Pace:
    """The figures of ``path`` (a container-server conf, or its .d
    directory); Swift's defaults when there is none. A bad value
    raises ResyncError naming it."""
    rate_from = 'given with --rate' if rate else \
        'measured on autosync-pair, README; --rate for your sites'
    rate = rate or DEFAULT_RATE
    if not os.path.exists(path):
        return Pace(rate, DEFAULT_CONTAINER_TIME, DEFAULT_SYNC_INTERVAL,
                    DEFAULT_RECLAIM_AGE, rate_from,
                    "Swift's defaults: no %s" % path)
    try:
        conf = readconf(path)
    except Exception as err:
        raise ResyncError('%s: %s' % (path, err)) from None
    return Pace(rate,
                _number(path, 'container_time', conf, 'container-sync',
                        DEFAULT_CONTAINER_TIME),
                _number(path, 'interval', conf, 'container-sync',
                        DEFAULT_SYNC_INTERVAL),
                _number(path, 'reclaim_age', conf, 'container-replicator',
                        DEFAULT_RECLAIM_AGE),
                rate_from, 'from %s, taken to be alike at every site' % path)


def _number(path: str, option: str, conf: dict, section: str,
            default) -> float:
    try:
        return config.positive(conf.get(section, conf.get('DEFAULT', {})),
                               option, default, section=section)
    except config.ConfigError as err:
        raise ResyncError('%s: %s' % (path, err)) from None


class Resyncer(object):
    """Plan and make the resets, through the reconciler's inspector;
    ``clock`` for tests."""

    def __init__(self, inspector, clock: Callable[[], float]):
        self.inspector = inspector
        self.clock = clock

    def known_sites(self) -> Tuple[Site, ...]:
        """The sites a SITE may name: the configured placement and, in
        realm style, every cluster of this site's realm."""
        cfg = self.inspector.cfg
        sites = list(cfg.placement)
        realms = self.inspector.directory.realms
        if cfg.my_cluster.style == REALM_STYLE and realms is not None:
            realm = cfg.my_cluster.realm
            sites += [parse_site('//%s/%s' % (realm, cluster))
                      for cluster in realms.clusters(realm)]
        return tuple(dict.fromkeys(sites))

    def containers(self, account: str, site: Site) -> List[str]:
        """Every container of ``account`` that a configured site or
        ``site`` lists; ResyncError when one cannot list."""
        sites = tuple(dict.fromkeys(self.inspector.cfg.placement +
                                    (site,)))
        listings = list_at(self.inspector.cluster, account, sites)
        unlisted = [listing for listing in listings if not listing.listed]
        if unlisted:
            raise ResyncError('cannot list the containers of %s at %s' % (
                account, '; '.join('%s: %s' % (listing.site, listing.detail)
                                   for listing in unlisted)))
        return every_name(listings)

    def survey(self, account: str, container: str, site: Site,
               reclaim_age: float) -> Plan:
        """The plan for one container, with both listings compared;
        NotPlaced when it is not autosync's or not at ``site``."""
        found = self.inspector.inspect(account, container, also=(site,))
        planned = plan(found, site)
        if planned.refusal:
            return planned
        pile = GreenPile(2)
        for name in (planned.sender, planned.site):
            pile.spawn(self.inspector.cluster(parse_site(name)).list_objects,
                       account, container)
        (at_sender, _), (at_site, _) = list(pile)
        return with_gap(planned, at_sender, at_site, self.clock(),
                        reclaim_age)

    def apply(self, planned: Plan) -> Plan:
        """Make the reset; the plan, its ``done`` the failure if any."""
        if planned.refusal:
            return planned
        cluster = self.inspector.cluster(parse_site(planned.sender))
        ok, detail = cluster.apply(planned.account, planned.container,
                                   planned.repair())
        return planned if ok else replace(planned, done=detail or 'failed')

    def one(self, account: str, container: str, site: Site,
            pace: Pace, applying: bool) -> Plan:
        """Survey one container, and reset it with ``applying``."""
        planned = self.survey(account, container, site, pace.reclaim_age)
        return self.apply(planned) if applying else planned

    def run(self, where: str, site_text: str, pace: Pace, applying: bool,
            out: Callable[[str], None]) -> int:
        """Resync ``where`` (ACCOUNT or ACCOUNT/CONTAINER) for the site
        ``site_text`` names, saying what it does through ``out``; the
        exit status. ResyncError for input it cannot run with."""
        account, _, container = where.partition('/')
        if not account or '/' in container:
            raise ResyncError('%r: give ACCOUNT or ACCOUNT/CONTAINER'
                              % where)
        site = resolve_site(site_text, self.known_sites())
        if container:
            # NotPlaced goes to the caller: bad input, not a failure.
            found = [self.one(account, container, site, pace, applying)]
        else:
            found = self.every(account, site, pace, applying)
        plans = []
        for planned in found:  # each said as soon as it is done
            for line in describe(planned, pace, applying):
                out(line)
            plans.append(planned)
        if not plans:
            out('%s: no container autosync places at %s' % (
                account, site.name))
        for line in summary(plans, pace, applying):
            out(line)
        return exit_status(plans)

    def every(self, account: str, site: Site, pace: Pace,
              applying: bool) -> Iterator[Plan]:
        """``one`` for each container of ``account`` placed at
        ``site``, in name order; the others are not asked for."""
        def one_placed(name: str) -> Optional[Plan]:
            try:
                return self.one(account, name, site, pace, applying)
            except NotPlaced:
                return None

        pool = GreenPool(RESYNC_CONCURRENCY)
        return (planned for planned in pool.imap(
            one_placed, self.containers(account, site)) if planned)
