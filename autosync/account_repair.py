"""Compare the sites of one account and decide what to repair.

Pure: the state of the account at each site in (``account_state.py``),
an ``AccountDiagnosis`` out. An account has no placement of its own: its
sites are the configured ``autosync_placement``. The rules, in order:

* A site that does not answer stops the comparison: nothing is decided
  for an account while any of its sites is unknown.
* A site where the account is deleted stops it too: deleting an account
  is the operator's (and the account reaper's) business, never undone
  or carried here.
* Settings (user metadata, temp-URL keys included, and the account
  ACL): the site with the newest ``changed_at`` wins for the whole set,
  as for a container; on equal times the site earlier in the
  placement wins, so every site decides the same.
* A site without the account gets the settings only if there are some
  to carry: account autocreate makes the account anyway on first use,
  so an account missing at a site is no difference by itself.
* A pending record (a change the filter applied here and deferred for
  the others) says the sites differ on purpose, for now: the verdict is
  "pending at <sites>", not a fault. Once every site agrees, the record
  is cleared where it is held (``settled``).
"""

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

from swift.common.utils import Timestamp

from autosync.account_state import AccountState
from autosync.protocol import (
    ACCOUNT_META_PREFIX,
    REMOVE_ACCOUNT_META_PREFIX,
    parse_pending,
)
from autosync.repair import IN_SYNC, metadata_differs


@dataclass(frozen=True)
class AccountRepair:
    """One POST that brings one site's account in line."""

    site: str
    reason: str
    metadata: Dict[str, str] = field(default_factory=dict)
    remove: Tuple[str, ...] = ()  # metadata names to remove
    acl: Optional[str] = None  # None: leave as it is; '': remove it
    changed_at: str = ''


def account_client_headers(repair: AccountRepair) -> dict:
    """An account repair's metadata and removals, as a client sends
    them (the ACL and changed-at go by each site's own names)."""
    headers = dict(repair.metadata)
    prefix = ACCOUNT_META_PREFIX.lower()
    for name in repair.remove:
        headers[REMOVE_ACCOUNT_META_PREFIX + name[len(prefix):]] = 'x'
    return headers


@dataclass(frozen=True)
class AccountDiagnosis:
    verdict: str
    problems: Tuple[str, ...] = ()
    repairs: Tuple[AccountRepair, ...] = ()
    unreachable: Tuple[str, ...] = ()
    # Sites holding a pending record that is settled once ``repairs``
    # are made (at once if there are none).
    settled: Tuple[str, ...] = ()


def diagnose_account(sites: Sequence[str],
                     states: Dict[str, AccountState]) -> AccountDiagnosis:
    """What is wrong with an account and how to repair it; ``states``
    holds a state for each of ``sites`` (names, in placement order)."""
    if len(sites) < 2:
        return AccountDiagnosis('placed on one site: nothing to compare')
    ordered = [states[name] for name in sites]
    unreachable = tuple(s.site for s in ordered if not s.reachable)
    if unreachable:
        return AccountDiagnosis(
            'unknown: no answer from %s' % ', '.join(unreachable),
            unreachable=unreachable)
    deleted = [s.site for s in ordered if s.deleted]
    if deleted:
        return AccountDiagnosis('deleted at %s: left to the account '
                                'reaper' % ', '.join(deleted))
    live = [s for s in ordered if s.exists]
    if not live:
        return AccountDiagnosis('not found at any site')
    source = max(live, key=lambda s: (_when(s.changed_at),
                                      -sites.index(s.site)))
    repairs = [repair for repair in (_repair(state, source)
                                     for state in ordered) if repair]
    settled = tuple(s.site for s in ordered if s.pending)
    problems = tuple(repair.reason for repair in repairs)
    return AccountDiagnosis(_verdict(ordered, repairs), problems=problems,
                            repairs=tuple(repairs), settled=settled)


def _when(changed_at: str) -> Timestamp:
    try:
        return Timestamp(changed_at or 0)
    except ValueError:
        return Timestamp(0)


def _repair(state: AccountState, source: AccountState
            ) -> Optional[AccountRepair]:
    if not state.exists:
        if not source.carries:
            return None
        return AccountRepair(
            state.site, 'missing at %s' % state.site,
            metadata=dict(source.metadata), acl=source.acl or None,
            changed_at=source.changed_at)
    reasons = []
    if state.metadata != source.metadata:
        reasons.append(metadata_differs(state.metadata, source))
    if state.acl != source.acl:
        reasons.append('account ACL differs from %s' % source.site)
    if not reasons:
        return None
    return AccountRepair(
        state.site, '%s: %s' % (state.site, '; '.join(reasons)),
        metadata=dict(source.metadata),
        remove=tuple(sorted(set(state.metadata) - set(source.metadata))),
        acl=source.acl if state.acl != source.acl else None,
        changed_at=source.changed_at)


def _verdict(ordered: List[AccountState],
             repairs: List[AccountRepair]) -> str:
    if not repairs:
        return IN_SYNC
    pending = [parse_pending(s.pending)[1] for s in ordered]
    if any(pending):
        return 'pending at %s' % '; '.join(p for p in pending if p)
    repaired = {repair.site for repair in repairs}
    missing = [s.site for s in ordered
               if not s.exists and s.site in repaired]
    if missing:
        return 'missing at %s' % ', '.join(missing)
    return 'differs: %s' % repairs[0].reason
