"""Crossing writes: one container or account changed at two sites at
the same moment.

Each site applies its own client's change first, then sends it to the
others. Without a rule each would then apply the other's change on top
of its own, and the two sites would end swapped. A client change that a
site fans out carries when it was made (``CLIENT_CHANGE_HEADER``: a PUT's
or POST's changed-at; a DELETE's delete time at its origin, read after
the delete there), and a site that holds a newer change does not apply
an older one (a bare PUT, which changes nothing, moves the put time
without telling other sites: the reconciler weighs that one):

* a PUT or POST is older than the recorded changed-at of the container
  (account) here;
* a PUT, at a container deleted here, put it there before the delete
  here (``CLIENT_PUT_HEADER``: its put time at the origin);
* a DELETE is older than the container's put time here.

Both sites compare the same two times, so both keep the same change.
The older change is answered 202 with ``SUPERSEDED_HEADER`` (the newer
time) and the settings the newer change left here; nothing is applied.
A PUT or POST sets only the items it names, so the site that sent the
older one would keep its own extra items under the newer change's: it
takes the whole set it was answered with (``taking_headers``), and the
container's sync key (each crossing PUT made one), unless it has
recorded a newer change meanwhile. The reconciler's repairs carry no
such time: they are decided by their own rules (``repair.py``).

Swift has no compare-and-swap: a site reads its state, then applies.
What remains is in README ("Crossing writes").

Pure: states and headers in, a decision or headers out.
"""

from typing import Dict, Optional, Tuple, Union

from swift.common.utils import Timestamp

from autosync.account_repair import AccountRepair, account_client_headers
from autosync.account_state import META_PREFIX, AccountState
from autosync.protocol import (
    ACCOUNT_ACL_HEADER,
    ACCOUNT_ACL_SYSMETA,
    ACCOUNT_CHANGED_SYSMETA,
    CHANGED_SYSMETA,
    NO_TIMESTAMP_UPDATE_HEADER,
    PUT_TIMESTAMP_HEADER,
    SUPERSEDED_HEADER,
    SYNC_KEY,
)
from autosync.repair import Repair, client_headers
from autosync.state import ContainerState, client_metadata

State = Union[ContainerState, AccountState]
# What of a client's change a POST applies again: metadata, ACLs and
# their removals, versioning (a storage policy is a PUT's alone).
REASSERTED_PREFIXES = ('x-container-meta-', 'x-remove-container-',
                       'x-container-read', 'x-container-write',
                       'x-account-meta-', 'x-remove-account-',
                       'x-versions-', 'x-remove-versions-', 'x-history-',
                       'x-remove-history-')


def _ts(value: str) -> Timestamp:
    try:
        return Timestamp(value or 0)
    except ValueError:
        return Timestamp(0)


def newer_here(method: str, here: State, made_at: str,
               put_at: str = '') -> str:
    """The time of the change held ``here`` that is newer than a change
    another site's client made at ``made_at`` (a PUT: and that put the
    container there at ``put_at``); '' to apply it."""
    if isinstance(here, ContainerState) and method == 'DELETE':
        # Swift's own pair, as the reconciler weighs them: the put time
        # here against the delete time there.
        held, theirs = here.put_timestamp if here.exists else '', made_at
    elif isinstance(here, ContainerState) and method == 'PUT' and \
            here.deleted:
        held, theirs = here.delete_timestamp, put_at or made_at
    else:
        held, theirs = here.changed_at if here.exists else '', made_at
    return held if _ts(held) > _ts(theirs) else ''


def deleted_since(here: State, put_at: str) -> bool:
    """Whether a container made here by another site's PUT (put there
    at ``put_at``) was deleted here after that, as a delete landing
    between the check and the PUT leaves it."""
    return isinstance(here, ContainerState) and here.exists and \
        _ts(here.delete_timestamp) > _ts(put_at)


def superseded_headers(here: State, newer: str) -> Dict[str, str]:
    """What a site answers (with 202) to a change older than ``newer``:
    the newer time, and the settings it holds."""
    headers = {SUPERSEDED_HEADER: newer}
    if here.exists:
        if isinstance(here, ContainerState):
            # Says that the container is there: a site superseded by a
            # delete has nothing to take.
            headers[PUT_TIMESTAMP_HEADER] = here.put_timestamp
            if here.sync_key:
                # Crossing PUTs each make a key: the newer's is the
                # ring's (the answer goes to a signed peer request only).
                headers[SYNC_KEY] = here.sync_key
        headers.update(here.metadata)
        if isinstance(here, AccountState) and here.acl:
            headers[ACCOUNT_ACL_HEADER] = here.acl
    return headers


def winner(answers) -> Optional[Tuple[str, dict]]:
    """(site, headers) of the newest of the sites that answered a change
    as superseded; None if none did."""
    superseding = [(a.headers[SUPERSEDED_HEADER.lower()], a.site, a.headers)
                   for a in answers
                   if a.ok and a.headers.get(SUPERSEDED_HEADER.lower())]
    if not superseding:
        return None
    _, site, headers = max(superseding, key=lambda found: _ts(found[0]))
    return site, headers


def taking_headers(here: State, headers: dict) -> Optional[Dict[str, str]]:
    """The POST that makes ``here`` hold the settings a superseding site
    answered with (``headers``, lower-case), and its changed-at; None
    when ``here`` holds a newer change already. The same change (it
    reached here too, on top of the older one) is taken all the same:
    the older one's extra items are still here."""
    newer = headers.get(SUPERSEDED_HEADER.lower(), '')
    if not here.exists or _ts(here.changed_at) > _ts(newer):
        return None
    if isinstance(here, AccountState):
        metadata = {name: value for name, value in headers.items()
                    if name.startswith(META_PREFIX) and value != ''}
        acl = headers.get(ACCOUNT_ACL_HEADER.lower(), '')
        post = account_client_headers(AccountRepair(
            here.site, 'superseded', metadata=metadata,
            remove=_removed(here.metadata, metadata)))
        if acl != here.acl:
            post[ACCOUNT_ACL_SYSMETA] = acl
        post[ACCOUNT_CHANGED_SYSMETA] = newer
        return post
    if PUT_TIMESTAMP_HEADER.lower() not in headers:
        return None  # deleted there: its DELETE is on its way here
    metadata = client_metadata(headers)
    post = client_headers(Repair(here.site, 'POST', 'superseded',
                                 metadata=metadata,
                                 remove=_removed(here.metadata, metadata)))
    post[CHANGED_SYSMETA] = newer
    post[NO_TIMESTAMP_UPDATE_HEADER] = 'true'
    key = headers.get(SYNC_KEY.lower(), '')
    if key and key != here.sync_key:
        # The older PUT may have landed here after the newer one's
        # peer PUT and set a key of its own: each site would refuse
        # the other's objects. A key alone leaves the sync points be.
        post[SYNC_KEY] = key
    return post


def reasserting_headers(container: bool, honoured: dict,
                        changed_at: str) -> Dict[str, str]:
    """The POST that applies a client's change here again: its
    settings (``honoured``, as other sites got them, less what a POST
    cannot carry) and its changed-at."""
    headers = {name: value for name, value in honoured.items()
               if name.lower().startswith(REASSERTED_PREFIXES)}
    if container:
        headers[CHANGED_SYSMETA] = changed_at
        headers[NO_TIMESTAMP_UPDATE_HEADER] = 'true'
    else:
        headers[ACCOUNT_CHANGED_SYSMETA] = changed_at
    return headers


def _removed(held: dict, taken: dict) -> Tuple[str, ...]:
    return tuple(sorted(set(held) - set(taken)))
