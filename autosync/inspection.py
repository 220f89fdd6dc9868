"""Read one container at every site of its placement and diagnose it.

The placement comes from what the sites recorded: first the placement
this site recorded (or, for a container it does not hold, the configured
one), then, if some site recorded a newer decision, that one, reading the
sites it adds, and so on until the newest names no site left unread.
Every configured site is read too: a site that two crossing placement
changes left out may still hold the container, wired into the ring,
where neither this site's placement nor the newest names it; and any
site the caller names (one whose account listing holds it). A site is
read once however the placements spell it (``Site`` equality). Sites
are read in parallel. Used by the reconciler, which then applies the
repairs, and by ``autosync status``, which shows them.
"""

from dataclasses import dataclass, replace
from typing import Dict, Sequence, Tuple

from eventlet import GreenPile

from autosync.clusters import LocalCluster, PeerCluster
from autosync.config import AutosyncConfig
from autosync.directory import SiteDirectory
from autosync.placement import Site, new_sync_key, parse_site
from autosync.repair import Diagnosis, diagnose, newest_placement
from autosync.state import ContainerState


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
             sites: Sequence[Site]) -> Dict[Site, ContainerState]:
        if not sites:
            return {}
        pile = GreenPile(len(sites))
        for site in sites:
            pile.spawn(self.cluster(site).head, account, container)
        return dict(zip(sites, pile))  # a GreenPile answers in order

    def inspect(self, account: str, container: str,
                guess: Sequence[Site] = (),
                known: Sequence[ContainerState] = (),
                also: Sequence[Site] = ()) -> Inspection:
        """``guess``: the placement this site recorded, if any;
        ``known``: states already read (not read again); ``also``: more
        sites to read (where an account listing named the container)."""
        sites = tuple(guess) or self.cfg.placement
        # Keyed by Site, which compares without case and trailing
        # slashes: a conf and a recorded placement may spell one site
        # two ways, and it is still one site, read once.
        states = {parse_site(state.site): state for state in known}
        self._read_unread(account, container, states,
                          sites + self.cfg.placement + tuple(also))
        placement, version = newest_placement(list(states.values()))
        # A newer placement may name sites not read yet, and one of them
        # may hold a newer one still: read until every site named is.
        while placement and any(site not in states for site in placement):
            self._read_unread(account, container, states, placement)
            placement, version = newest_placement(list(states.values()))
        if not placement:
            named = _spelled_as(sites, states)
            return Inspection(account, container, tuple(sites), '', named,
                              _unmanaged(named))
        named = _spelled_as(placement, states)
        diagnosis = diagnose(account, container, placement, version, named,
                             new_sync_key())
        return Inspection(account, container, placement, version, named,
                          diagnosis)

    def _read_unread(self, account: str, container: str,
                     states: Dict[Site, ContainerState],
                     sites: Sequence[Site]) -> None:
        unread = list(dict.fromkeys(s for s in sites if s not in states))
        states.update(self.read(account, container, unread))


def _spelled_as(placement: Sequence[Site],
                states: Dict[Site, ContainerState]
                ) -> Dict[str, ContainerState]:
    """The states by site name, each site of ``placement`` named as the
    placement spells it: that is how ``diagnose`` and the repairs name
    it."""
    spelling = {site: site.name for site in placement}
    named = {}
    for site, state in states.items():
        name = spelling.get(site, state.site)
        named[name] = state if name == state.site else replace(state,
                                                                 site=name)
    return named


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
