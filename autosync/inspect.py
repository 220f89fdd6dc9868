"""Read one container at every site of its placement and diagnose it.

The placement comes from what the sites recorded: first the placement
this site recorded (or, for a container it does not hold, the configured
one), then, if some site recorded a newer decision, that one, reading the
sites it adds. Every configured site is read too: a site that two
crossing placement changes left out may still hold the container, wired
into the ring, where neither this site's placement nor the newest names
it. Sites are read in parallel. Used by the reconciler, which then
applies the repairs, and by ``autosync status``, which shows them.
"""

import secrets
from dataclasses import dataclass
from typing import Dict, Sequence, Tuple

from eventlet import GreenPile

from autosync.clusters import LocalCluster, PeerCluster
from autosync.config import AutosyncConfig
from autosync.directory import SiteDirectory
from autosync.placement import Site, parse_site
from autosync.repair import Diagnosis, diagnose, newest_placement
from autosync.state import ContainerState

SYNC_KEY_BYTES = 32  # as the filter makes them


@dataclass(frozen=True)
class Inspection:
    account: str
    container: str
    placement: Tuple[Site, ...]
    version: str
    states: Dict[str, ContainerState]
    diagnosis: Diagnosis


class Inspector(object):

    def __init__(self, cfg: AutosyncConfig, directory: SiteDirectory,
                 local: LocalCluster, logger):
        self.cfg = cfg
        self.directory = directory
        self.local = local
        self.logger = logger

    def cluster(self, site: Site):
        if site == self.cfg.my_cluster:
            return self.local
        return PeerCluster(self.cfg.my_cluster, site, self.directory,
                           self.cfg.conn_timeout, self.cfg.node_timeout,
                           self.logger)

    def read(self, account: str, container: str,
             sites: Sequence[Site]) -> Dict[str, ContainerState]:
        if not sites:
            return {}
        pile = GreenPile(len(sites))
        for site in sites:
            pile.spawn(self.cluster(site).head, account, container)
        return {state.site: state for state in pile}

    def inspect(self, account: str, container: str,
                guess: Sequence[Site] = (),
                known: Sequence[ContainerState] = ()) -> Inspection:
        """``guess``: the placement this site recorded, if any;
        ``known``: states already read (not read again)."""
        sites = tuple(guess) or self.cfg.placement
        states = {state.site: state for state in known}
        unread = [site for site in sites if site.name not in states]
        # Each configured site once, however the placements spell it.
        seen = set(sites) | {parse_site(name) for name in states}
        unread += [site for site in self.cfg.placement if site not in seen]
        states.update(self.read(account, container, unread))
        placement, version = newest_placement(list(states.values()))
        if not placement:
            return Inspection(account, container, tuple(sites), '', states,
                              _unmanaged(states))
        missing = [site for site in placement if site.name not in states]
        if missing:
            states.update(self.read(account, container, missing))
        diagnosis = diagnose(account, container, placement, version, states,
                             secrets.token_hex(SYNC_KEY_BYTES))
        return Inspection(account, container, placement, version, states,
                          diagnosis)


def _unmanaged(states: Dict[str, ContainerState]) -> Diagnosis:
    """No site recorded a placement: say why, deciding nothing."""
    unreachable = tuple(sorted(s.site for s in states.values()
                               if not s.reachable))
    if unreachable:
        verdict = 'unknown: no answer from %s' % ', '.join(unreachable)
    elif any(s.exists for s in states.values()):
        verdict = 'not managed by autosync (no placement recorded)'
    else:
        verdict = 'not found at any site'
    return Diagnosis(verdict, unreachable=unreachable)
