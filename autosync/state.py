"""What one site holds of one container, in one shape whoever read it.

autosync records its decisions with each container as sysmeta, which
clients can neither set nor see; Swift records when a container was
(re)created and deleted in backend headers, which the gatekeeper hides.
A signed HEAD from another site (the reconciler, ``autosync status``)
gets them under the names below, which the gatekeeper lets out::

    X-Autosync-Put-Timestamp       when the container was last PUT
    X-Autosync-Delete-Timestamp    when it was last deleted (0: never)
    X-Autosync-Placement           its sites, in ring order
    X-Autosync-Placement-Version   when that placement was decided
    X-Autosync-Changed-At          when a client last changed its
                                   metadata (the same at every site)
    X-Autosync-Pending             a change applied here that other
                                   sites could not take yet, and where
    X-Autosync-Sharding-State      Swift's db_state of the container:
                                   sharding or sharded means
                                   container-sync no longer sees new
                                   objects (``SHARDED_STATES``)

Pure: headers in, a ``ContainerState`` out.
"""

import hashlib
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Tuple

from swift.common.swob import str_to_wsgi
from swift.common.utils import Timestamp

from autosync.protocol import (
    ACL_HEADERS,
    BACKEND_DELETE_TIMESTAMP,
    BACKEND_PUT_TIMESTAMP,
    BACKEND_SHARDING_STATE,
    BYTES_USED_HEADER,
    CHANGED_AT_HEADER,
    CHANGED_SYSMETA,
    DELETE_TIMESTAMP_HEADER,
    HISTORY_LOCATION,
    OBJECT_COUNT_HEADER,
    PENDING_HEADER,
    PENDING_SYSMETA,
    PLACEMENT_HEADER,
    PLACEMENT_SYSMETA,
    PUT_TIMESTAMP_HEADER,
    SHARDING_STATE_HEADER,
    SYNC_KEY,
    SYNC_TO,
    USER_META_PREFIX,
    VERSION_HEADER,
    VERSION_SYSMETA,
    VERSIONS_ENABLED,
    VERSIONS_LOCATION,
)

# Swift's (or autosync's) name -> the name a signed HEAD shows it under.
EXPOSED = {
    BACKEND_PUT_TIMESTAMP.lower(): PUT_TIMESTAMP_HEADER,
    BACKEND_DELETE_TIMESTAMP.lower(): DELETE_TIMESTAMP_HEADER,
    PLACEMENT_SYSMETA.lower(): PLACEMENT_HEADER,
    VERSION_SYSMETA.lower(): VERSION_HEADER,
    CHANGED_SYSMETA.lower(): CHANGED_AT_HEADER,
    (PENDING_SYSMETA % 'Container').lower(): PENDING_HEADER,
    BACKEND_SHARDING_STATE.lower(): SHARDING_STATE_HEADER,
}
ZERO = Timestamp(0).internal
# Swift's db_states in which new object rows go to shard containers,
# whose DBs carry no sync target: container-sync reads object rows from
# the container's own DB (swift/container/sync.py), and a shard's
# rows it would read from the shard's name, where no object is.
SHARDED_STATES = ('sharding', 'sharded')
# A client sees versioning as X-Versions-Location or X-History-Location
# (legacy) or X-Versions-Enabled, true or false: once had, container-sync
# skips the container for good (versioning.py). Without versioned_writes
# in the pipeline (the reconciler's internal client) only sysmeta shows.
VERSIONING_NAMES = (VERSIONS_LOCATION.lower(), HISTORY_LOCATION.lower(),
                    'x-container-sysmeta-versions-location',
                    'x-container-sysmeta-versions-container')


def exposed_headers(headers: Iterable[Tuple[str, str]]
                    ) -> List[Tuple[str, str]]:
    """The X-Autosync-* headers for a container's response headers."""
    return [(EXPOSED[name.lower()], value) for name, value in headers
            if name.lower() in EXPOSED]


def client_metadata(headers: Dict[str, str]) -> Dict[str, str]:
    """What a client set on a container and every site must agree on:
    user metadata and ACLs (lower-case names)."""
    return {name: value for name, value in headers.items()
            if (name.startswith(USER_META_PREFIX) or name in ACL_HEADERS)
            and value != ''}


def key_fingerprint(key: str) -> str:
    """Enough of a sync key's hash to compare keys; never the key."""
    if not key:
        return ''
    return hashlib.sha256(key.encode('utf-8')).hexdigest()[:12]


@dataclass(frozen=True)
class ContainerState:
    """One site's copy of a container; ``status`` None: no answer."""

    site: str
    status: Optional[int]
    detail: str = ''
    put_timestamp: str = ZERO
    delete_timestamp: str = ZERO
    placement: str = ''
    placement_version: str = ''
    changed_at: str = ''
    pending: str = ''  # protocol.pending_value, as recorded here
    sync_to: str = ''
    sync_key: str = field(default='', repr=False)
    metadata: Dict[str, str] = field(default_factory=dict)
    object_count: int = 0
    bytes_used: int = 0
    sharding_state: str = ''  # Swift's db_state; '' when not told
    versioned: bool = False  # has (or had) object versioning

    @property
    def sharded(self) -> bool:
        return self.sharding_state in SHARDED_STATES

    @property
    def reachable(self) -> bool:
        return self.status is not None and (
            self.status // 100 == 2 or self.status == 404)

    @property
    def exists(self) -> bool:
        return self.status is not None and self.status // 100 == 2

    @property
    def deleted(self) -> bool:
        """Gone after a DELETE (not merely never made here)."""
        return not self.exists and Timestamp(self.delete_timestamp) > 0

    @property
    def key_fingerprint(self) -> str:
        return key_fingerprint(self.sync_key)


def _timestamp(value: Optional[str]) -> str:
    try:
        return Timestamp(value or 0).internal
    except ValueError:
        return ZERO


def _count(value: Optional[str]) -> int:
    return int(value) if value and value.isdigit() else 0


def from_broker(site: str, info: dict, metadata: dict,
                db_state: str = '') -> ContainerState:
    """The state of a container DB on this node (info, metadata and
    db_state as ``ContainerBroker`` gives them): what a HEAD here would
    answer,
    without the round trip. The DB holds metadata as text; a HEAD gives
    it as WSGI strings (UTF-8 bytes as Latin-1), as every other state
    and every repair request holds it: so must this one, or non-ASCII
    metadata would differ from itself."""
    headers = {str_to_wsgi(name).lower(): str_to_wsgi(value)
               for name, (value, _) in metadata.items() if value != ''}
    headers.update({
        BACKEND_PUT_TIMESTAMP.lower(): info['put_timestamp'],
        BACKEND_DELETE_TIMESTAMP.lower(): info['delete_timestamp'],
        OBJECT_COUNT_HEADER.lower(): str(info['object_count']),
        BYTES_USED_HEADER.lower(): str(info['bytes_used']),
        BACKEND_SHARDING_STATE.lower(): db_state,
    })
    headers.update((name.lower(), value)
                   for name, value in exposed_headers(headers.items()))
    return from_headers(site, 204, headers)


def from_headers(site: str, status: Optional[int], headers: Dict[str, str],
                 detail: str = '') -> ContainerState:
    """The state a HEAD answered (headers with lower-case names, holding
    the X-Autosync-* names above)."""
    if status is None or not (status // 100 == 2 or status == 404):
        return ContainerState(site, status, detail)
    return ContainerState(
        site=site,
        status=status,
        detail=detail,
        put_timestamp=_timestamp(headers.get(PUT_TIMESTAMP_HEADER.lower())),
        delete_timestamp=_timestamp(
            headers.get(DELETE_TIMESTAMP_HEADER.lower())),
        placement=headers.get(PLACEMENT_HEADER.lower(), ''),
        placement_version=headers.get(VERSION_HEADER.lower(), ''),
        changed_at=headers.get(CHANGED_AT_HEADER.lower(), ''),
        pending=headers.get(PENDING_HEADER.lower(), ''),
        sync_to=headers.get(SYNC_TO.lower(), ''),
        sync_key=headers.get(SYNC_KEY.lower(), ''),
        metadata=client_metadata(headers) if status // 100 == 2 else {},
        object_count=_count(headers.get(OBJECT_COUNT_HEADER.lower())),
        bytes_used=_count(headers.get(BYTES_USED_HEADER.lower())),
        sharding_state=headers.get(SHARDING_STATE_HEADER.lower(), ''),
        versioned=any(headers.get(name) for name in VERSIONING_NAMES) or
        VERSIONS_ENABLED.lower() in headers,
    )
