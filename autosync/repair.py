"""Compare the sites of one container and decide what to repair.

Pure: the state of the container at each site in (``state.py``), a
``Diagnosis`` out: what is wrong, in words, and the requests that make
the sites agree. The reconciler applies them; ``autosync status`` shows
them. The rules, in order:

* A site that does not answer stops the comparison: nothing is decided
  for a container while any site of it is unknown.
* Placement: the placement decided last (highest recorded version) is
  the container's placement; sites that hold the container outside it
  are unwired (sync target and key cleared), never deleted.
* Delete against create: the newest delete at a site without the
  container against the newest PUT at a site with it. A newer delete
  wins and is carried to the other sites, each only when it is empty
  (objects are never deleted: a site still holding objects is a
  conflict, reported and left alone); otherwise the container is made
  again where it is missing. Equal times keep the container.
* Metadata: the site with the newest ``changed_at`` (the time a client
  last changed the metadata, recorded the same at every site) wins for
  the whole set of user metadata and ACLs; on equal times the site
  earlier in the placement wins, so every site decides the same.
* The ring: site i syncs to site i+1 of the placement, all with one key:
  the key most sites hold (on a tie, the one earliest in the placement).
* A pending record (a change the filter applied at a site and could not
  carry to others yet) makes the verdict "pending at <sites>", not a
  fault; once the repairs are made, it is settled.
"""

import collections
import dataclasses
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

from swift.common.utils import Timestamp

from autosync.placement import (
    PlacementError,
    Site,
    next_in_ring,
    parse_placement,
    same_sync_target,
    sync_target,
)
from autosync.protocol import (
    REMOVE_CONTAINER_META_PREFIX,
    SYNC_KEY,
    SYNC_TO,
    USER_META_PREFIX,
    parse_pending,
)
from autosync.state import ContainerState

IN_SYNC = 'in sync'


@dataclass(frozen=True)
class Repair:
    """One request that brings one site in line."""

    site: str
    method: str  # PUT, POST or DELETE
    reason: str
    metadata: Dict[str, str] = field(default_factory=dict)
    remove: Tuple[str, ...] = ()  # metadata names to remove
    sync_to: Optional[str] = None  # None: leave as it is
    sync_key: Optional[str] = field(default=None, repr=False)
    placement: str = ''  # names, with placement_version: record these
    placement_version: str = ''
    changed_at: str = ''


def client_headers(repair: Repair) -> dict:
    """A repair as a client would send it: metadata, its removals, the
    ring (autosync's records go by each site's own names)."""
    headers = dict(repair.metadata)
    if repair.sync_to is not None:
        headers[SYNC_TO] = repair.sync_to
        headers[SYNC_KEY] = repair.sync_key or ''
    for name in repair.remove:
        if name.startswith(USER_META_PREFIX):
            headers[REMOVE_CONTAINER_META_PREFIX +
                    name[len(USER_META_PREFIX):]] = 'x'
        else:
            headers[name] = ''  # an ACL: empty removes it
    return headers


@dataclass(frozen=True)
class Diagnosis:
    verdict: str
    problems: Tuple[str, ...] = ()
    repairs: Tuple[Repair, ...] = ()
    conflicts: Tuple[str, ...] = ()
    unreachable: Tuple[str, ...] = ()
    # Sites holding a pending record that is settled once ``repairs``
    # are made (at once if there are none).
    settled: Tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not (self.problems or self.conflicts or self.unreachable)


def _ts(value: str) -> Timestamp:
    try:
        return Timestamp(value or 0)
    except ValueError:
        return Timestamp(0)


def newest_placement(states: Sequence[ContainerState]
                     ) -> Tuple[Tuple[Site, ...], str]:
    """The placement decided last among the sites holding the container
    (and its version); ((), '') if none recorded one. Two placements
    recorded with one version: the greater text wins, so that every site
    chooses the same whatever order it read the sites in."""
    best, best_rank = (), None
    for state in states:
        if not (state.exists and state.placement):
            continue
        rank = (_ts(state.placement_version), state.placement)
        if best and rank <= best_rank:
            continue
        try:
            best = parse_placement(state.placement)
        except PlacementError:
            continue
        best_rank, best_version = rank, state.placement_version
    return (best, best_version) if best else ((), '')


def choose_key(live: Sequence[ContainerState], order: List[str]) -> str:
    """The key most sites hold; '' when none holds one."""
    counts = collections.Counter(s.sync_key for s in live if s.sync_key)
    if not counts:
        return ''
    return max(counts, key=lambda key: (counts[key], -min(
        order.index(s.site) for s in live if s.sync_key == key)))


def diagnose(account: str, container: str, placement: Sequence[Site],
             version: str, states: Dict[str, ContainerState],
             new_key: str = '') -> Diagnosis:
    """What is wrong with ``account/container`` and how to repair it.

    ``states`` holds a state for every site of ``placement`` and for any
    other site known to hold the container; ``new_key`` is the key to
    use if no site has one."""
    if len(placement) < 2:
        return Diagnosis('placed on one site: nothing to compare')
    unreachable = tuple(sorted(s.site for s in states.values()
                               if not s.reachable))
    if unreachable:
        return Diagnosis(
            'unknown: no answer from %s' % ', '.join(unreachable),
            unreachable=unreachable)
    order = [site.name for site in placement]
    ordered = [states[name] for name in order]
    live = [s for s in ordered if s.exists]
    gone = [s for s in ordered if not s.exists]
    extras = [s for name, s in sorted(states.items())
              if name not in order and s.exists]
    settled = tuple(s.site for s in ordered if s.pending)
    if not live:
        return Diagnosis('deleted at every site', settled=settled)
    newest_put = max(live, key=lambda s: _ts(s.put_timestamp))
    deleted = [s for s in gone if s.deleted]
    newest_delete = max(deleted, key=lambda s: _ts(s.delete_timestamp),
                        default=None)
    if newest_delete and _ts(newest_delete.delete_timestamp) > _ts(
            newest_put.put_timestamp):
        found = _carry_delete(newest_delete, live)
    else:
        found = _keep(account, container, placement, version, order, live,
                      gone, extras, new_key)
    return dataclasses.replace(
        found, verdict=_pending(ordered) if found.repairs and any(
            s.pending for s in ordered) else found.verdict,
        settled=settled)


def _pending(ordered: Sequence[ContainerState]) -> str:
    """The verdict while a change applied at one site waits for others:
    where it is pending (``protocol.pending_value`` records it)."""
    return 'pending at %s' % '; '.join(
        parse_pending(s.pending)[1] for s in ordered if s.pending)


def _carry_delete(newest_delete: ContainerState,
                  live: List[ContainerState]) -> Diagnosis:
    why = 'deleted at %s (%s), after it was last made' % (
        newest_delete.site, _ts(newest_delete.delete_timestamp).isoformat)
    repairs, conflicts = [], []
    for state in live:
        if state.object_count:
            conflicts.append('%s still holds %s: not deleted there' % (
                state.site, _objects(state.object_count)))
        else:
            repairs.append(Repair(state.site, 'DELETE', why))
    verdict = 'deleted at %s, still at %s' % (
        newest_delete.site, ', '.join(s.site for s in live))
    return Diagnosis(verdict, problems=(why,), repairs=tuple(repairs),
                     conflicts=tuple(conflicts))


def _keep(account, container, placement, version, order, live, gone,
          extras, new_key) -> Diagnosis:
    source = max(live, key=lambda s: (_ts(s.changed_at),
                                      -order.index(s.site)))
    key = choose_key(live, order) or new_key
    names = ', '.join(order)
    ring = {site.name: sync_target(next_in_ring(placement, site), account,
                                   container) for site in placement}
    problems, repairs = [], []
    for state in gone:
        why = 'missing at %s' % state.site
        if state.deleted:
            why = 'deleted at %s (%s), before it was last made' % (
                state.site, _ts(state.delete_timestamp).isoformat)
        problems.append(why)
        repairs.append(Repair(
            state.site, 'PUT', why, metadata=dict(source.metadata),
            sync_to=ring[state.site], sync_key=key, placement=names,
            placement_version=version, changed_at=source.changed_at))
    broken_ring = False
    for state in live:
        reasons, fields = [], {}
        if state.metadata != source.metadata:
            reasons.append(metadata_differs(state.metadata, source))
            fields.update(metadata=dict(source.metadata), remove=tuple(
                sorted(set(state.metadata) - set(source.metadata))),
                changed_at=source.changed_at)
        wrong_target = not same_sync_target(state.sync_to,
                                            ring[state.site])
        if wrong_target or state.sync_key != key:
            broken_ring = True
            reasons.append('sync target %s, expected %s' % (
                state.sync_to or 'none', ring[state.site])
                if wrong_target else 'sync key differs from the ring')
            fields.update(sync_to=ring[state.site], sync_key=key)
        if state.placement != names or state.placement_version != version:
            reasons.append('placement recorded as %s' % (
                state.placement or 'nothing'))
            fields.update(placement=names, placement_version=version)
        if reasons:
            why = '%s: %s' % (state.site, '; '.join(reasons))
            problems.append(why)
            repairs.append(Repair(state.site, 'POST', why, **fields))
    for state in extras:
        if state.sync_to or state.sync_key:
            why = '%s: outside the placement (%s) but still wired' % (
                state.site, names)
            problems.append(why)
            repairs.append(Repair(state.site, 'POST', why, sync_to='',
                                  sync_key='', placement=names,
                                  placement_version=version))
    sharded = [s.site for s in live if s.sharded]
    problems += [SHARDED % site for site in sharded]
    verdict = _verdict(gone, broken_ring, problems, live, sharded)
    return Diagnosis(verdict, problems=tuple(problems),
                     repairs=tuple(repairs))


def metadata_differs(mine: Dict[str, str], source) -> str:
    """Why a site's metadata (container's or account's) is repaired
    from ``source``'s: the names that differ, never their values (an
    account's temp-URL keys are metadata)."""
    theirs = source.metadata
    names = sorted(name for name in set(mine) | set(theirs)
                   if mine.get(name) != theirs.get(name))
    return 'metadata differs from %s (%s)' % (source.site, ', '.join(names))


# A problem no request repairs: README "Sharded containers" says what
# the operator can do.
SHARDED = ('%s: sharded: objects written to it since are not carried '
           'by container-sync')


def _objects(count: int) -> str:
    return '%d object%s' % (count, '' if count == 1 else 's')


def _verdict(gone, broken_ring, problems, live, sharded) -> str:
    if gone:
        return 'missing at %s' % ', '.join(s.site for s in gone)
    if broken_ring:
        return 'broken ring'
    if sharded:
        # Nothing to repair, and worse than any metadata difference:
        # objects stop flowing (state.SHARDED_STATES says why).
        return 'sharded at %s: container-sync does not carry its new ' \
            'objects' % ', '.join(sharded)
    if problems:
        return 'differs: %s' % problems[0]
    most = max(s.object_count for s in live)
    behind = [(most - s.object_count, s.site) for s in live
              if s.object_count < most]
    if behind:
        return 'lagging by %s' % ', '.join(
            '%s at %s' % (_objects(count), site) for count, site in behind)
    return IN_SYNC
