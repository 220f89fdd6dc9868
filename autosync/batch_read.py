"""The reconciler's batched read of other sites: many containers of one
account in one signed request to each site, as a pre-check.

A signed HEAD per container at every other site, each on a connection
of its own, was most of a pass's cost. Instead the containers the walk
finds are grouped by account and by the sites to read (their recorded
placement and the configured one, less this site), up to
``BATCH_NAMES`` a group, and each site is sent one signed GET of the
account naming them (``peer_batch.py`` answers it from its container
servers' records, one request to each server, ``container_records.py``).
The answer is a pre-check, never the ground
for a repair: a container whose states show nothing to do is done, and
any other is checked as before, every site read again with a signed
HEAD, so repairs are always decided on fresh reads. A site that does
not answer with the batch's shape (an older autosync answers with a
listing) is read container by container, as before.

Pure but for ``BatchAnswer``'s reader, which ``PeerCluster`` sends.
"""

import json
from dataclasses import dataclass
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

from autosync.placement import Site
from autosync.protocol import batch_names_value
from autosync.state import ContainerState, from_headers

# Names per request, and the bound on their header's length: Swift's
# proxy refuses a header line over max_header_size (8,192 bytes). The
# other site reads each one from its container DB: 50 of them are
# answered well within node_timeout.
BATCH_NAMES = 50
BATCH_VALUE_CHARS = 6000
# Groups held while the walk goes on, before every one is sent.
MAX_HELD = 20 * BATCH_NAMES

GroupKey = Tuple[str, Tuple[Site, ...]]  # (account, sites to read)


@dataclass(frozen=True)
class BatchAnswer:
    """One site's answer to a batched read: ``states`` by container
    name, or None when it gave none (``understood`` False: the site does
    not know the batched read; ask it no more this pass)."""

    states: Optional[Dict[str, ContainerState]]
    understood: bool = True


def parse_answer(site: str, status: Optional[int], body: bytes,
                 names: Sequence[str]) -> BatchAnswer:
    """The states a site's answer holds, one for each of ``names``."""
    if status is None or status // 100 == 5:
        return BatchAnswer(None)
    try:
        entries = json.loads(body)['containers']
        states = {name: from_headers(site, entries[name]['status'], {
            k.lower(): v for k, v in entries[name]['headers'].items()})
            for name in names}
    except (ValueError, TypeError, KeyError, AttributeError):
        # A listing, an error page: not the batch's shape.
        return BatchAnswer(None, understood=False)
    return BatchAnswer(states)


class Batches(object):
    """Containers grouped as they are walked; a group is handed out
    when it is full, the rest at the end (``rest``)."""

    def __init__(self, size: int = BATCH_NAMES,
                 value_chars: int = BATCH_VALUE_CHARS,
                 max_held: int = MAX_HELD):
        self.size = size
        self.value_chars = value_chars
        self.max_held = max_held
        self.groups: Dict[GroupKey, List[tuple]] = {}
        self.chars: Dict[GroupKey, int] = {}
        self.held = 0

    def add(self, key: GroupKey, name: str, item: tuple
            ) -> List[Tuple[GroupKey, List[tuple]]]:
        """Hold ``item`` (the container ``name``'s) in ``key``'s group;
        the groups to send now (full ones, or all when too many are
        held)."""
        length = len(batch_names_value([name])) + 1
        ready = []
        if key in self.groups and \
                self.chars[key] + length > self.value_chars:
            ready.append(self._take(key))
        self.groups.setdefault(key, []).append(item)
        self.chars[key] = self.chars.get(key, 0) + length
        self.held += 1
        if len(self.groups[key]) >= self.size:
            ready.append(self._take(key))
        if self.held >= self.max_held:
            ready.extend(self.rest())
        return ready

    def rest(self) -> Iterator[Tuple[GroupKey, List[tuple]]]:
        while self.groups:
            yield self._take(next(iter(self.groups)))

    def _take(self, key: GroupKey) -> Tuple[GroupKey, List[tuple]]:
        items = self.groups.pop(key)
        del self.chars[key]
        self.held -= len(items)
        return key, items


def clean(diagnosis) -> bool:
    """Whether a container's diagnosis, from batched states, leaves
    nothing to do: no repair, no conflict, no pending record to settle,
    no unknown site, no problem to log (sharding)."""
    return diagnosis.ok and not diagnosis.repairs and not diagnosis.settled
