"""Every name autosync speaks or reads, and the one encoding of each
compound value.

Four groups: the headers that sites send each other (signed, see
``signing.py``), what a site records with a container or account
(sysmeta, which clients can neither set nor see), the names a signed HEAD
shows those records under (the gatekeeper hides sysmeta and backend
headers, not these), and the WSGI environ keys of the contract between a
placement engine and the filter. Swift's own names that autosync reads
or sets close the list. No other module defines a header, sysmeta or
environ name. Pure: no I/O.

The contract with a placement engine (``placement_filter.py`` is one)::

    env['swift.placement']    the container's sites: a list of names or
                              a comma-separated string (PUT, POST,
                              DELETE of a container)
    env['swift.my_cluster']   this site, when the engine says otherwise
    env['autosync.placement_requested'] = True
                              the account owner asked for that placement
                              explicitly: only then does an existing
                              container change placement
"""

from typing import Iterable, Tuple
from urllib.parse import quote, unquote

# -- between sites --
# The site a peer request comes from, and its signature.
ORIG_CLUSTER_HEADER = 'X-Orig-Cluster'
AUTH_HEADER = 'X-Autosync-Auth'
AUTH_ENV_KEY = 'HTTP_X_AUTOSYNC_AUTH'
ORIG_CLUSTER_ENV_KEY = 'HTTP_X_ORIG_CLUSTER'
# The origin's auth gave the client reseller rights.
RESELLER_HEADER = 'X-Autosync-Reseller-Request'
# '<version> <site>, <site>...': the placement a container is to record
# (``set_placement_value``).
SET_PLACEMENT_HEADER = 'X-Autosync-Set-Placement'
# When the client made the change a site fans out (a DELETE: when it
# was applied at that site): a site that holds a newer change answers
# 202 with SUPERSEDED_HEADER and applies nothing (``crossing.py``).
# Only client changes carry it; the reconciler's repairs do not.
CLIENT_CHANGE_HEADER = 'X-Autosync-Client-Change-At'
# A container PUT's put time at its origin, read after the PUT there:
# what a site that deleted the container compares with its delete time.
CLIENT_PUT_HEADER = 'X-Autosync-Client-Put-At'
# The newer change's time, in such a 202 (with the settings it left);
# in the client's answer: the sites where a newer change won.
SUPERSEDED_HEADER = 'X-Autosync-Superseded'
# Where an object read at a site that did not have it yet came from
# (read_fallback), in the client's answer.
READ_FROM_HEADER = 'X-Autosync-Read-From'
# ``autosync verify``: a signed read carrying a challenge (hex) is
# answered by the site it reaches, 204 and nothing else done, with the
# challenge signed back under the key that site signs with
# (``signing.prove``): both keys are then known to agree, each way.
VERIFY_CHALLENGE_HEADER = 'X-Autosync-Verify-Challenge'
VERIFY_PROOF_HEADER = 'X-Autosync-Verify-Proof'
# The reconciler's batched read: a signed GET of an account carrying
# the names of some of its containers (``batch_names_value``; signed,
# as every X-Autosync-* header) is answered with each one's state as a
# signed HEAD shows it, in one JSON body (``peer_batch.py``).
BATCH_READ_HEADER = 'X-Autosync-Batch-Read'
BATCH_READ_ENV_KEY = 'HTTP_X_AUTOSYNC_BATCH_READ'
# A proxy asking its container server for many containers' records at
# once (backend only, ``container_records.py``).
RECORDS_HEADER = 'X-Autosync-Records'
RECORDS_ENV_KEY = 'HTTP_X_AUTOSYNC_RECORDS'
# Swift's catch_errors appends this to the transaction id it makes, so a
# change can be followed from the origin's log to every other site's.
TRANS_ID_EXTRA_HEADER = 'X-Trans-Id-Extra'

# -- records with a container or account, and how a signed HEAD shows
# them (state.py) --
PLACEMENT_SYSMETA = 'X-Container-Sysmeta-Autosync-Placement'
VERSION_SYSMETA = 'X-Container-Sysmeta-Autosync-Placement-Version'
CHANGED_SYSMETA = 'X-Container-Sysmeta-Autosync-Changed-At'
ACCOUNT_CHANGED_SYSMETA = 'X-Account-Sysmeta-Autosync-Changed-At'
# A change applied here that other sites could not take yet (site_down =
# defer), by level: ``pending_value``. The reconciler carries it.
PENDING_SYSMETA = 'X-%s-Sysmeta-Autosync-Pending'
# Which site a change came from, by level (Account, Container).
ORIG_SYSMETA = 'X-%s-Sysmeta-Autosync-Orig-Cluster'
ORIG_SYSMETA_NAMES = frozenset(
    (ORIG_SYSMETA % level).lower() for level in ('Account', 'Container'))
# The container's sites, in ring order: shown to the owner, asked for by
# the owner (placement engine), and answered with a placement change.
PLACEMENT_HEADER = 'X-Autosync-Placement'
VERSION_HEADER = 'X-Autosync-Placement-Version'
# When a client last changed a container's metadata, at the site it
# changed it: sent to every other site, recorded and shown under it.
CHANGED_AT_HEADER = 'X-Autosync-Changed-At'
PUT_TIMESTAMP_HEADER = 'X-Autosync-Put-Timestamp'
DELETE_TIMESTAMP_HEADER = 'X-Autosync-Delete-Timestamp'
ORIG_HEADER = 'X-Autosync-Orig-Cluster'
# Sites a placement change took a container off (their copy stays).
UNWIRED_HEADER = 'X-Autosync-Unwired'
# The sites a deferred change is pending at: in the client's answer, and
# (as ``pending_value``) on a signed HEAD.
PENDING_HEADER = 'X-Autosync-Pending'
# Whether the container's DB is sharded (Swift's db_state), on a signed
# HEAD: container-sync carries nothing written to a sharded container.
SHARDING_STATE_HEADER = 'X-Autosync-Sharding-State'

# -- the placement engine's contract (see above) --
PLACEMENT_ENV_KEY = 'swift.placement'
THIS_SITE_ENV_KEY = 'swift.my_cluster'
REQUESTED_ENV_KEY = 'autosync.placement_requested'

# -- Swift's names, read or set by autosync --
SYNC_TO = 'X-Container-Sync-To'
SYNC_KEY = 'X-Container-Sync-Key'
CONTAINER_READ = 'X-Container-Read'
CONTAINER_WRITE = 'X-Container-Write'
ACL_HEADERS = (CONTAINER_READ.lower(), CONTAINER_WRITE.lower())
CONTAINER_META_PREFIX = 'X-Container-Meta-'
USER_META_PREFIX = CONTAINER_META_PREFIX.lower()
REMOVE_CONTAINER_META_PREFIX = 'X-Remove-Container-Meta-'
ACCOUNT_META_PREFIX = 'X-Account-Meta-'
REMOVE_ACCOUNT_META_PREFIX = 'X-Remove-Account-Meta-'
OBJECT_COUNT_HEADER = 'X-Container-Object-Count'
BYTES_USED_HEADER = 'X-Container-Bytes-Used'
BACKEND_PUT_TIMESTAMP = 'X-Backend-Put-Timestamp'
BACKEND_DELETE_TIMESTAMP = 'X-Backend-Delete-Timestamp'
# The container server's db_state: unsharded, sharding, sharded,
# collapsed (swift/container/backend.py).
BACKEND_SHARDING_STATE = 'X-Backend-Sharding-State'
# tempauth's account ACL, and where it stores a valid one.
ACCOUNT_ACL_HEADER = 'X-Account-Access-Control'
ACCOUNT_ACL_SYSMETA = 'X-Account-Sysmeta-Core-Access-Control'
# Object versioning (versioned_writes), see versioning.py.
VERSIONS_LOCATION = 'X-Versions-Location'
HISTORY_LOCATION = 'X-History-Location'
REMOVE_VERSIONS_LOCATION = 'X-Remove-Versions-Location'
REMOVE_HISTORY_LOCATION = 'X-Remove-History-Location'
VERSIONS_ENABLED = 'X-Versions-Enabled'
# object_versioning's record of it, which its filter shows a client as
# X-Versions-Enabled.
VERSIONS_ENABLED_SYSMETA = 'X-Container-Sysmeta-Versions-Enabled'
# The proxy's swift_owner_headers when its configuration does not set
# them (swift/proxy/server.py).
DEFAULT_OWNER_HEADERS = (
    'x-container-read', 'x-container-write', 'x-container-sync-key',
    'x-container-sync-to', 'x-account-meta-temp-url-key',
    'x-account-meta-temp-url-key-2', 'x-container-meta-temp-url-key',
    'x-container-meta-temp-url-key-2', 'x-account-access-control')
TOKEN_HEADERS = frozenset(('x-auth-token', 'x-storage-token',
                           'x-service-token'))
SYSMETA_PREFIXES = ('x-container-sysmeta-', 'x-account-sysmeta-')
BACKEND_PREFIX = 'x-backend-'
# A container POST moves the container's put time (what a crossing
# delete is weighed against) unless it carries this: autosync's own
# records and repairs do not.
NO_TIMESTAMP_UPDATE_HEADER = 'X-Backend-No-Timestamp-Update'
# What container-sync's daemon sends with each request to the next site
# (realm style, full-URL style), as WSGI environ keys.
SYNC_AUTH_ENV_KEY = 'HTTP_X_CONTAINER_SYNC_AUTH'
SYNC_KEY_ENV_KEY = 'HTTP_X_CONTAINER_SYNC_KEY'
# An object's time; on a 404, the time of the delete (tombstone) found.
OBJECT_TIMESTAMP = 'X-Timestamp'
BACKEND_TIMESTAMP = 'X-Backend-Timestamp'
# That time in a site's 404 to another site's object read, which the
# site's gatekeeper would strip as a backend header.
DELETED_AT_HEADER = 'X-Autosync-Deleted-At'
# What of a client's object read another site gets (read_fallback): its
# range and conditions, as the proxy would take them here.
READ_HEADERS = frozenset(('range', 'if-match', 'if-none-match',
                          'if-modified-since', 'if-unmodified-since',
                          'x-newest'))
# What of another site's answer to such a read the client does not get:
# hop-by-hop headers, and what this site's own servers set again (its
# date, catch_errors' transaction id).
NOT_RELAYED = frozenset((
    'connection', 'keep-alive', 'proxy-authenticate', 'te', 'trailer',
    'trailers', 'transfer-encoding', 'upgrade', 'date', 'x-trans-id',
    'x-openstack-request-id'))
# The environ keys of Swift's auth and cache.
AUTHORIZE_ENV_KEY = 'swift.authorize'
AUTHORIZE_OVERRIDE_ENV_KEY = 'swift.authorize_override'
OWNER_ENV_KEY = 'swift_owner'
RESELLER_ENV_KEY = 'reseller_request'
CACHE_ENV_KEY = 'swift.cache'

# Never sent to another site: hop-by-hop headers, the client's host and
# length, its signature (an S3 client's Authorization, which would make
# the other site's s3api take the request for an S3 one) and whatever
# autosync itself sets. X-Amz-* (S3_PREFIX) neither.
NOT_FORWARDED = frozenset(h.lower() for h in (
    'Connection', 'Keep-Alive', 'Proxy-Authenticate', 'Proxy-Authorization',
    'TE', 'Trailer', 'Trailers', 'Transfer-Encoding', 'Upgrade', 'Host',
    'Content-Length', 'Expect', 'Authorization', ORIG_CLUSTER_HEADER,
    AUTH_HEADER,
    RESELLER_HEADER, SET_PLACEMENT_HEADER, SYNC_TO, SYNC_KEY,
    PLACEMENT_HEADER, CHANGED_AT_HEADER, PENDING_HEADER,
    CLIENT_CHANGE_HEADER, CLIENT_PUT_HEADER, SUPERSEDED_HEADER))


S3_PREFIX = 'x-amz-'


def info_sysmeta_key(sysmeta_header: str) -> str:
    """The key of a container (account) sysmeta header in the
    ``sysmeta`` dict of ``get_container_info`` (``get_account_info``):
    lower case, without the prefix."""
    lower = sysmeta_header.lower()
    for prefix in SYSMETA_PREFIXES:
        if lower.startswith(prefix):
            return lower[len(prefix):]
    return lower


def placement_value(sites: Iterable) -> str:
    """A placement as it is recorded and shown: its sites' names, in
    ring order, comma-separated (``placement.parse_placement`` reads
    it)."""
    return ', '.join(site.name for site in sites)


def set_placement_value(version: str, placement: str) -> str:
    """The X-Autosync-Set-Placement value: when the placement was
    decided, then the placement (``placement_value``)."""
    return '%s %s' % (version, placement)


def parse_set_placement(value: str) -> Tuple[str, str]:
    """(version, placement) of an X-Autosync-Set-Placement value."""
    version, _, placement = value.partition(' ')
    return version, placement


def pending_value(changed_at: str, sites: Iterable) -> str:
    """The pending record of a deferred change: when the client made it,
    then the sites it is pending at (``placement_value``)."""
    return '%s %s' % (changed_at, placement_value(sites))


def parse_pending(value: str) -> Tuple[str, str]:
    """(changed-at, sites) of a pending record; ('', '') for none."""
    changed_at, _, sites = (value or '').strip().partition(' ')
    return changed_at, sites.strip()


def batch_names_value(names: Iterable[str]) -> str:
    """Container names for BATCH_READ_HEADER: each percent-quoted
    (UTF-8, nothing kept), joined by commas."""
    return ','.join(quote(name.encode('utf-8'), safe='') for name in names)


def parse_batch_names(value: str) -> Tuple[str, ...]:
    """The names a BATCH_READ_HEADER value carries (its WSGI string);
    ValueError for one that is empty or not UTF-8."""
    names = tuple(unquote(part, errors='strict')
                  for part in value.split(','))
    if not all(names):
        raise ValueError('an empty container name')
    return names
