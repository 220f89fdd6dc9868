"""``autosync adopt``: bring containers made before autosync under its
management.

    autosync adopt ACCOUNT[/CONTAINER] [--apply] [--conf FILE]

A container made before autosync was in the pipeline (or at a site
without it) has no recorded placement: ``autosync status`` calls it
"not managed by autosync" and the reconciler leaves it alone. ``adopt``
reads it at every site of the conf's placement (``autosync_placement``
of the reconciler conf) and plans what the reconciler does for a
managed container whose copies are missing or unwired
(``repair.diagnose``):

* the placement is recorded at every copy, with a new version;
* a site lacking the container gets it, with the copies' metadata and
  ACLs;
* the copies are wired into one container-sync ring with one key: the
  key the copies already hold if any (a container synced by hand within
  the same sites keeps its key), else a new one.

Objects are not touched: container-sync then carries each copy's
objects to the others (an object at two sites: the newer wins, as
container-sync decides).

It refuses a container, naming why, when:

* a copy is versioned (container-sync skips such a container);
* a copy syncs somewhere else (its ``X-Container-Sync-To`` is not the
  ring's target for that site): it is someone's replication, not ours
  to rewire;
* its copies hold different metadata or ACLs: nothing records which is
  newer, so the owner decides (make them alike, then adopt);
* a site did not answer.

A copy deleted at some site counts as missing there: before autosync,
a container of the same name at two clusters was two containers.

Dry run by default: one line per container saying what it would do.
``--apply`` does it and says what it did. ``ACCOUNT`` alone adopts
every container of the account listed at any site of the placement;
containers already managed are skipped. Exit 0 when every container is
adopted (or would be) or managed already, 1 when one is refused or a
request failed, 2 when it cannot run.
"""

import dataclasses
from typing import Dict, List, Optional, Sequence

from swift.common.utils import Timestamp

from autosync.account_listing import every_name, list_at
from autosync.placement import (
    Site,
    new_sync_key,
    parse_site,
    same_sync_target,
)
from autosync.plan import sync_ring
from autosync.repair import Repair, diagnose, metadata_differs
from autosync.state import ZERO, ContainerState

ADOPT = 'adopt'
MANAGED = 'managed already'
NOT_FOUND = 'not found'
REFUSED = 'refused'


@dataclasses.dataclass(frozen=True)
class Plan:
    """What adopting one container takes: ``outcome`` is ADOPT (with
    ``repairs``), MANAGED, NOT_FOUND or REFUSED (``why``)."""

    container: str
    outcome: str
    why: str = ''
    repairs: Sequence[Repair] = ()


def plan(account: str, container: str, placement: Sequence[Site],
         states: Dict[str, ContainerState], version: str,
         new_key: str) -> Plan:
    """How to adopt ``account/container``, given its state at every site
    of ``placement`` (keyed by the site's name as the placement spells
    it)."""
    unanswered = [name for name, s in states.items() if not s.reachable]
    if unanswered:
        return Plan(container, REFUSED, 'no answer from %s' %
                    ', '.join(sorted(unanswered)))
    live = [s for s in states.values() if s.exists]
    if not live:
        return Plan(container, NOT_FOUND, 'at no site of %s' %
                    ', '.join(site.name for site in placement))
    recorded = [s.site for s in live if s.placement]
    if recorded:
        return Plan(container, MANAGED, 'placement recorded at %s' %
                    ', '.join(recorded))
    refusal = _refusal(account, container, placement, live)
    if refusal:
        return Plan(container, REFUSED, refusal)
    # Before autosync a container of the same name at another cluster
    # was another container: its delete there weighs nothing here.
    fresh = {name: s if s.exists else dataclasses.replace(
        s, delete_timestamp=ZERO) for name, s in states.items()}
    found = diagnose(account, container, placement, version, fresh,
                     new_key)
    return Plan(container, ADOPT, found.verdict, tuple(found.repairs))


def _refusal(account: str, container: str, placement: Sequence[Site],
             live: List[ContainerState]) -> str:
    versioned = [s.site for s in live if s.versioned]
    if versioned:
        return ('versioned at %s: container-sync does not sync a '
                'versioned container' % ', '.join(versioned))
    ring = {site.name: target for site, (target, _) in sync_ring(
        placement, account, container, '').items()}
    elsewhere = ['%s syncs to %s' % (s.site, s.sync_to) for s in live
                 if s.sync_to and not same_sync_target(s.sync_to,
                                                       ring[s.site])]
    if elsewhere:
        return ('%s, not the ring\'s %s: remove its X-Container-Sync-To '
                'to adopt it' % ('; '.join(elsewhere), ', '.join(
                    sorted(ring.values()))))
    differing = [metadata_differs(s.metadata, live[0]) for s in live[1:]
                 if s.metadata != live[0].metadata]
    if differing:
        return ('its copies differ: %s at %s; make them alike, then '
                'adopt' % (', '.join(differing), ', '.join(
                    s.site for s in live[1:]
                    if s.metadata != live[0].metadata)))
    return ''


def describe(plan_: Plan) -> List[str]:
    """The lines that say what adopting one container does."""
    head = '%s: %s' % (plan_.container, plan_.outcome)
    if plan_.outcome != ADOPT:
        return ['%s: %s' % (head, plan_.why)]
    if not plan_.repairs:
        return ['%s: nothing to do (%s)' % (head, plan_.why)]
    return [head] + ['  %s at %s: %s' % (r.method, r.site, r.reason)
                     for r in plan_.repairs]


class Adopter(object):
    """Reads and repairs through an ``Inspector`` (its clusters)."""

    def __init__(self, inspector, placement: Sequence[Site]):
        self.inspector = inspector
        self.placement = tuple(placement)

    def container_names(self, account: str) -> List[str]:
        """Every container of ``account`` listed at any site; raises
        IOError naming a site that could not list it."""
        listings = list_at(self.inspector.cluster, account, self.placement)
        for listing in listings:
            if not listing.listed:
                raise IOError('cannot list %s at %s: %s' % (
                    account, listing.site, listing.detail))
        return every_name(listings)

    def plan(self, account: str, container: str,
             version: Optional[str] = None) -> Plan:
        read = self.inspector.read(account, container, self.placement)
        states = {site.name: dataclasses.replace(state, site=site.name)
                  for site, state in read.items()}
        return plan(account, container, self.placement, states,
                    version or Timestamp.now().internal, new_sync_key())

    def apply(self, account: str, plan_: Plan) -> List[str]:
        """Make ``plan_``'s repairs; the failures, one line each."""
        failed = []
        for repair in plan_.repairs:
            cluster = self.inspector.cluster(parse_site(repair.site))
            ok, detail = cluster.apply(account, plan_.container, repair)
            if not ok:
                failed.append('%s at %s failed: %s' % (
                    repair.method, repair.site, detail))
        return failed


def run(adopter: Adopter, account: str, containers: Sequence[str],
        apply: bool, out) -> int:
    """Plan (and with ``apply`` make) each container's adoption,
    printing through ``out``; the exit status."""
    status = 0
    for container in containers:
        found = adopter.plan(account, container)
        lines = describe(found)
        if found.outcome == REFUSED:
            status = 1
        if apply and found.outcome == ADOPT and found.repairs:
            failed = adopter.apply(account, found)
            lines[0] += ': failed' if failed else ': done'
            lines += ['  ' + line for line in failed]
            status = 1 if failed else status
        for line in lines:
            out(line)
    if not apply:
        out('dry run: nothing changed; --apply to adopt')
    return status
