"""``autosync wait``: block until a container's sites list the same
objects.

    autosync wait ACCOUNT/CONTAINER [--timeout S] [--interval S] [--conf FILE]

Every ``interval`` seconds (default 2) it reads the container at every
site of its placement (the placement as ``autosync status`` finds it)
and the listing of each, and prints one line of progress: how many
objects each site lists and how many of all the names listed anywhere
it lacks or holds with another ETag. It returns when every site holds
the container and lists the same names with the same ETags: exit 0.
After ``timeout`` seconds (default 300) it gives up: exit 1, the last
line saying what still differs. It cannot run (bad conf, a container
that no site holds or autosync does not manage): exit 2. For scripts
and tests that must wait for container-sync, instead of sleeping.
"""

import time
from typing import Callable, Dict, Optional, Sequence, Tuple

from eventlet import GreenPile

from autosync.placement import Site

# name -> ETag, as a site lists its objects; None: could not list.
Listing = Optional[Dict[str, str]]


def listing(entries: Optional[list]) -> Listing:
    if entries is None:
        return None
    return {entry['name']: entry.get('hash', '') for entry in entries}


def compare(listings: Dict[str, Listing]) -> Tuple[bool, str]:
    """(every site lists the same names and ETags, one line saying how
    each site stands against the union of what all of them list)."""
    every: Dict[str, set] = {}
    for found in listings.values():
        for name, etag in (found or {}).items():
            every.setdefault(name, set()).add(etag)
    same = all(found is not None for found in listings.values()) and len(
        {frozenset(found.items()) for found in listings.values()}) <= 1
    parts = []
    for site, found in listings.items():
        if found is None:
            parts.append('%s: could not list' % site)
            continue
        behind = sum(1 for name, etags in every.items()
                     if name not in found or len(etags) > 1)
        parts.append('%s: %d object%s%s' % (
            site, len(found), '' if len(found) == 1 else 's',
            ', %d missing or different' % behind if behind else ''))
    return same, '; '.join(parts)


class Waiter(object):
    """``clock`` and ``sleep`` for tests."""

    def __init__(self, inspector, out: Callable[[str], None],
                 clock=time.monotonic, sleep=time.sleep):
        self.inspector = inspector
        self.out = out
        self.clock = clock
        self.sleep = sleep

    def look(self, account: str, container: str
             ) -> Tuple[Optional[bool], str]:
        """(in sync, what each site holds); None: nothing to wait for."""
        found = self.inspector.inspect(account, container)
        placement: Sequence[Site] = found.placement
        if not found.version:
            return None, found.diagnosis.verdict
        missing = [site.name for site in placement
                   if not found.states[site.name].exists]
        pile = GreenPile(len(placement))
        for site in placement:
            pile.spawn(self.inspector.cluster(site).list_objects,
                       account, container)
        listings = {site.name: listing(entries)
                    for site, (entries, _) in zip(placement, pile)}
        same, line = compare(listings)
        if missing:
            return False, 'missing at %s; %s' % (', '.join(missing), line)
        return same, line

    def wait(self, account: str, container: str, timeout: float,
             interval: float) -> int:
        deadline = self.clock() + timeout
        while True:
            same, line = self.look(account, container)
            if same is None:
                self.out('%s/%s: %s: nothing to wait for' % (
                    account, container, line))
                return 2
            if same:
                self.out('%s/%s: in sync: %s' % (account, container, line))
                return 0
            if self.clock() >= deadline:
                self.out('%s/%s: not in sync after %g s: %s' % (
                    account, container, timeout, line))
                return 1
            self.out('%s/%s: waiting: %s' % (account, container, line))
            self.sleep(interval)
