"""What one site holds of one account's settings, in one shape whoever
read it.

The settings every site of an account must agree on are what a client
sets on it: user metadata (``X-Account-Meta-*``, temp-URL keys and
quotas included) and tempauth's account ACL. autosync records with the
account when a client last changed them and, for a change other sites
could not take yet, where it is pending; both are sysmeta, which the
gatekeeper hides. A signed HEAD from another site (the reconciler) gets
them under the names below, which the gatekeeper lets out::

    X-Autosync-Changed-At       when a client last changed the account's
                                settings (the same at every site)
    X-Autosync-Pending          '<changed-at> <site>, <site>...': a
                                change made here and not yet at those
                                sites
    X-Account-Access-Control    the account ACL, as the proxy shows it
                                to the owner (and so the peer, acting
                                as the owner, already sees it)

Pure: headers in, an ``AccountState`` out.
"""

from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Tuple

from swift.common.middleware.acl import format_acl, parse_acl
from swift.common.swob import str_to_wsgi

from autosync.protocol import (
    ACCOUNT_ACL_HEADER,
    ACCOUNT_ACL_SYSMETA,
    ACCOUNT_CHANGED_SYSMETA,
    ACCOUNT_META_PREFIX,
    CHANGED_AT_HEADER,
    PENDING_HEADER,
    PENDING_SYSMETA,
)

ACCOUNT_PENDING_SYSMETA = PENDING_SYSMETA % 'Account'
# autosync's (or tempauth's) sysmeta -> the name a signed HEAD shows it
# under.
EXPOSED = {
    ACCOUNT_CHANGED_SYSMETA.lower(): CHANGED_AT_HEADER,
    ACCOUNT_PENDING_SYSMETA.lower(): PENDING_HEADER,
    ACCOUNT_ACL_SYSMETA.lower(): ACCOUNT_ACL_HEADER,
}
META_PREFIX = ACCOUNT_META_PREFIX.lower()
# A HEAD of a deleted account: the proxy answers 410.
GONE = 410


def exposed_account_headers(headers: Iterable[Tuple[str, str]]
                            ) -> List[Tuple[str, str]]:
    """The names a signed HEAD shows an account's records under."""
    return [(EXPOSED[name.lower()], value) for name, value in headers
            if name.lower() in EXPOSED]


def normal_acl(value: Optional[str]) -> str:
    """An account ACL in the one form the proxy shows it in (so that one
    ACL stored with other spacing or key order is still one ACL); ''
    for none. A value that is not an ACL is kept as it is: it differs
    from every good one, and the log shows it."""
    if not value:
        return ''
    acl = parse_acl(version=2, data=value)
    if acl is None:
        return value
    return format_acl(version=2, acl_dict=acl) if acl else ''


@dataclass(frozen=True)
class AccountState:
    """One site's copy of an account; ``status`` None: no answer."""

    site: str
    status: Optional[int]
    detail: str = ''
    changed_at: str = ''
    pending: str = ''
    acl: str = ''
    metadata: Dict[str, str] = field(default_factory=dict)

    @property
    def reachable(self) -> bool:
        return self.status is not None and (
            self.status // 100 == 2 or self.status in (404, GONE))

    @property
    def exists(self) -> bool:
        return self.status is not None and self.status // 100 == 2

    @property
    def deleted(self) -> bool:
        return self.status == GONE

    @property
    def settings(self) -> Tuple[Dict[str, str], str]:
        """What every site must agree on."""
        return self.metadata, self.acl

    @property
    def carries(self) -> bool:
        """Whether there is anything to carry to a site without it."""
        return bool(self.metadata or self.acl)

    @property
    def worth_checking(self) -> bool:
        """Whether a client (or autosync) ever set anything on it: an
        account that autocreate made and nobody changed has nothing to
        compare."""
        return bool(self.carries or self.changed_at or self.pending)


def from_headers(site: str, status: Optional[int], headers: Dict[str, str],
                 detail: str = '') -> AccountState:
    """The state a HEAD answered (headers with lower-case names, holding
    the names above)."""
    if status is None or status // 100 != 2:
        return AccountState(site, status, detail)
    return AccountState(
        site=site,
        status=status,
        detail=detail,
        changed_at=headers.get(CHANGED_AT_HEADER.lower(), ''),
        pending=headers.get(PENDING_HEADER.lower(), ''),
        acl=normal_acl(headers.get(ACCOUNT_ACL_HEADER.lower())),
        metadata={name: value for name, value in headers.items()
                  if name.startswith(META_PREFIX) and value != ''},
    )


def from_broker(site: str, metadata: dict) -> AccountState:
    """The state of an account DB on this node (metadata as
    ``AccountBroker`` gives it): what a HEAD here would answer, with
    values as WSGI strings, as a HEAD gives them (see
    ``state.from_broker``)."""
    headers = {str_to_wsgi(name).lower(): str_to_wsgi(value)
               for name, (value, _) in metadata.items() if value != ''}
    headers.update((name.lower(), value)
                   for name, value in exposed_account_headers(
                       headers.items()))
    return from_headers(site, 204, headers)
