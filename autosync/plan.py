"""Plan a client's change: the facts of it in, one request per site out.

``Change`` holds what is known before the local request: the method,
the names, this site, the placement (and the one it replaces, for a
placement change), the container-sync ring and the times autosync
records. Once the local answer shows which of the client's headers this
site's proxy honoured, ``site_changes`` gives the request each other
site gets; the caller signs each once and sends them (``peers.py``).

* Every other site of the placement gets the client's method with the
  honoured headers and, for a container PUT or POST, its own sync
  target, the container's key, the placement and the changed-at time.
* A placement change: a site new to the container gets a PUT with the
  container's metadata and the change; a site taken off it gets a POST
  that clears its sync target and key (its copy stays where it is).

Pure: no I/O.
"""

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

from swift.common.swob import HeaderKeyDict, str_to_wsgi

from autosync.placement import Site, next_in_ring, sync_target
from autosync.protocol import (
    ACCOUNT_ACL_HEADER,
    BACKEND_PREFIX,
    CHANGED_AT_HEADER,
    CLIENT_CHANGE_HEADER,
    CLIENT_PUT_HEADER,
    CONTAINER_META_PREFIX,
    CONTAINER_READ,
    CONTAINER_WRITE,
    NOT_FORWARDED,
    S3_PREFIX,
    SET_PLACEMENT_HEADER,
    SYNC_KEY,
    SYNC_TO,
    SYSMETA_PREFIXES,
    TOKEN_HEADERS,
    placement_value,
    set_placement_value,
)

# (X-Container-Sync-To, X-Container-Sync-Key) of each site.
Ring = Dict[Site, Tuple[str, str]]


@dataclass(frozen=True)
class Change:
    """One client change of an account or container, before it is
    applied anywhere."""

    method: str
    account: str
    container: Optional[str]
    here: Site
    placement: Tuple[Site, ...]
    # The placement a placement change replaces; () for any other change.
    previous: Tuple[Site, ...] = ()
    # When the placement was decided, and when the client changed the
    # container's or account's settings (PUT and POST only).
    version: str = ''
    changed_at: str = ''
    # When the client made the change, for a site that holds a newer one
    # (``crossing.py``): its changed-at, or a DELETE's time here.
    made_at: str = ''
    # A container PUT's put time here, read after the PUT.
    put_at: str = ''
    # Set for a container PUT or POST that autosync wires.
    ring: Ring = field(default_factory=dict)

    @property
    def writes_container(self) -> bool:
        return bool(self.container) and self.writes_settings

    @property
    def writes_settings(self) -> bool:
        """A PUT or POST: it sets the account's or container's
        settings, and records when."""
        return self.method in ('PUT', 'POST')

    @property
    def other_sites(self) -> Tuple[Site, ...]:
        """Every site that gets a request: the placement's others, then
        the sites a placement change takes the container off."""
        return tuple(site for site in self.placement if site != self.here) \
            + self.unwired

    @property
    def unwired(self) -> Tuple[Site, ...]:
        return tuple(site for site in self.previous
                     if site not in self.placement)


@dataclass(frozen=True)
class SiteChange:
    """The request one other site gets, before it is signed."""

    site: Site
    method: str
    headers: Dict[str, str]


def sync_ring(placement, account: str, container: str, key: str) -> Ring:
    """Each site's sync target and key. A one-site placement syncs
    nowhere: empty values clear what a wider one wired, and the
    container is as plain Swift's."""
    if len(placement) == 1:
        return {placement[0]: ('', '')}
    return {site: (sync_target(next_in_ring(placement, site), account,
                               container), key)
            for site in placement}


def forwarded_headers(headers, forward_auth_token: bool) -> Dict[str, str]:
    """What another site may get of the client's headers, read before
    the local request (auth may rewrite them). Sysmeta in a request here
    is what autosync recorded locally: other sites get it as signed
    headers, never as sysmeta."""
    forwarded = {}
    for name, value in headers.items():
        lower = name.lower()
        if lower in NOT_FORWARDED or lower.startswith(
                (BACKEND_PREFIX, S3_PREFIX) + SYSMETA_PREFIXES):
            continue
        if lower in TOKEN_HEADERS and not forward_auth_token:
            continue
        forwarded[name] = value
    return forwarded


# Request headers that set something on an account or container
# (Swift's own and autosync's): a PUT or POST with none of them changes
# nothing.
SETTING_PREFIXES = ('x-container-', 'x-remove-container-', 'x-account-',
                    'x-remove-account-', 'x-versions-', 'x-remove-versions-',
                    'x-history-', 'x-remove-history-', 'x-storage-policy',
                    'x-autosync-')


def carries_settings(headers) -> bool:
    """Whether a request sets anything: metadata, ACLs, sync,
    versioning, a storage policy or a placement."""
    return any(name.lower().startswith(SETTING_PREFIXES)
               for name in headers)


def honoured(forwarded: Dict[str, str], owner: bool,
             owner_only_headers: frozenset,
             account_acl_taken: bool) -> Dict[str, str]:
    """What of ``forwarded`` this site's proxy applied, known once the
    local request is done. Another site applies what it gets as the
    owner (override_auth), so it gets none of the proxy's owner-only
    headers from anyone but the owner, and no account ACL that no
    tempauth here took (keystone has none: the header is ignored here,
    and must be everywhere)."""
    dropped = set()
    if not owner:
        dropped |= owner_only_headers
    if not account_acl_taken:
        dropped.add(ACCOUNT_ACL_HEADER.lower())
    return {name: value for name, value in forwarded.items()
            if name.lower() not in dropped}


def tokens_of(headers: Dict[str, str]) -> Dict[str, str]:
    return {name: value for name, value in headers.items()
            if name.lower() in TOKEN_HEADERS}


def current_metadata(info: dict) -> Dict[str, str]:
    """A container's metadata (its info, as ``get_container_info`` gives
    it), as headers for a site that is to get it."""
    # Info holds text; a request's headers are WSGI strings.
    headers = {str_to_wsgi(CONTAINER_META_PREFIX + name): str_to_wsgi(value)
               for name, value in (info.get('meta') or {}).items()}
    for header, key in ((CONTAINER_READ, 'read_acl'),
                        (CONTAINER_WRITE, 'write_acl')):
        if info.get(key):
            headers[header] = str_to_wsgi(info[key])
    return headers


def site_changes(change: Change, headers: Dict[str, str],
                 metadata: Dict[str, str]) -> List[SiteChange]:
    """The request each other site gets: ``headers`` are the client's
    honoured headers, ``metadata`` the container's (``current_metadata``,
    for the sites a placement change adds)."""
    # Without regard to case: info names metadata in lower case, the
    # client's headers are title-cased, and two spellings of one name
    # would reach a new site as one joined value.
    joining = HeaderKeyDict(metadata if change.previous else {})
    joining.update(headers)
    new_placement = set_placement_value(
        change.version, placement_value(change.placement))
    planned = []
    for site in change.placement:
        if site == change.here:
            continue
        if change.previous and site not in change.previous:
            method, site_headers = 'PUT', dict(joining)
        else:
            method, site_headers = change.method, dict(headers)
        if change.ring:
            site_headers[SYNC_TO], site_headers[SYNC_KEY] = change.ring[site]
            site_headers[SET_PLACEMENT_HEADER] = new_placement
        if change.changed_at:
            site_headers[CHANGED_AT_HEADER] = change.changed_at
        if change.made_at:
            site_headers[CLIENT_CHANGE_HEADER] = change.made_at
        if change.put_at:
            site_headers[CLIENT_PUT_HEADER] = change.put_at
        planned.append(SiteChange(site, method, site_headers))
    for site in change.unwired:
        site_headers = tokens_of(headers)
        site_headers.update({SYNC_TO: '', SYNC_KEY: '',
                             SET_PLACEMENT_HEADER: new_placement})
        planned.append(SiteChange(site, 'POST', site_headers))
    return planned


def emptiness_checks(change: Change,
                     headers: Dict[str, str]) -> List[SiteChange]:
    """A HEAD of each other site's copy, asked before a container DELETE
    here: does it still hold objects?"""
    return [SiteChange(site, 'HEAD', tokens_of(headers))
            for site in change.placement if site != change.here]
