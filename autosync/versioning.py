"""What autosync makes of object versioning on a container it syncs.

Swift's container-sync does not carry versions, refuses a versioned
container as a sync source, and its daemon skips every container that
has (or had) object versioning. So, for a container synced between
sites: a request that would enable versioning is refused, one that only
removes or disables it is let through, and any other change of a
versioned container is refused with a remedy the client can carry out
(README, "Object versioning").

How ``versioned_writes/`` records versioning on a container:

* legacy versioning: its location in ``versions-location`` sysmeta
  (before sysmeta, ``X-Versions-Location``: info ``versions``); a client
  removes it with ``X-Remove-Versions-Location`` or
  ``X-Remove-History-Location``, or an empty location;
* object versioning: ``versions-container`` sysmeta, kept while the
  container lives, ``X-Versions-Enabled: false`` or not.

Pure: request headers and the container's info (as
``get_container_info`` gives it) in, answers out.
"""

from swift.common.utils import config_true_value

from autosync.protocol import (
    HISTORY_LOCATION,
    REMOVE_HISTORY_LOCATION,
    REMOVE_VERSIONS_LOCATION,
    VERSIONS_ENABLED,
    VERSIONS_LOCATION,
)

ENABLING = (VERSIONS_LOCATION, HISTORY_LOCATION)
REMOVING = (REMOVE_VERSIONS_LOCATION, REMOVE_HISTORY_LOCATION)


def enabling(headers) -> list:
    """The headers of a request that would enable versioning."""
    found = [name for name in ENABLING if headers.get(name)]
    if config_true_value(headers.get(VERSIONS_ENABLED, 'false')):
        found.append(VERSIONS_ENABLED)
    return found


def removes_legacy(headers) -> bool:
    return any(headers.get(name) for name in REMOVING) or any(
        name in headers and not headers[name] for name in ENABLING)


def disables(headers) -> bool:
    """Whether a request removes or disables versioning (one that enables
    it too is refused before this is asked)."""
    return removes_legacy(headers) or VERSIONS_ENABLED in headers


def versioned_after(info: dict, headers) -> bool:
    """Whether the container is versioned once the request is applied.
    Object versioning is for good: the container-sync daemon skips a
    container with ``versions-container`` sysmeta, disabled or not
    (swift/container/sync.py)."""
    sysmeta = info.get('sysmeta') or {}
    if sysmeta.get('versions-container'):
        return True
    legacy = info.get('versions') or sysmeta.get('versions-location')
    return bool(legacy) and not removes_legacy(headers)


def remedy(info: dict) -> str:
    """What the owner of a versioned container can do to have it synced."""
    if (info.get('sysmeta') or {}).get('versions-container'):
        return ('this container has had object versioning, and '
                'container-sync skips such a container even once '
                'versioning is disabled; to have its objects synced '
                'between sites, copy its objects into a new container')
    return ('this container uses legacy object versioning, which '
            'container-sync does not carry; send '
            'X-Remove-Versions-Location: 1 (with this change or before '
            'it) to stop versioning and have it synced')
