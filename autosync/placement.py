"""Sites, placements and the container-sync ring.

A *site* is one Swift cluster, named in one of two styles:

* realm style, ``//realm/cluster``: the cluster's endpoint and the realm's
  keys come from Swift's ``container-sync-realms.conf``;
* full-URL style, ``http(s)://host[:port]``: the URL of the site's proxy.

A *placement* is an ordered list of sites of one style. Its order is the
sync ring: site ``i`` syncs its objects to site ``(i + 1) mod N``.

Everything here is pure: plain data in, plain data out, no I/O (but for
the random bytes of a new sync key).
"""

import functools
import secrets
from dataclasses import dataclass, field
from typing import Optional, Sequence, Tuple
from urllib.parse import quote, urlsplit

from swift.common.utils import list_from_csv

REALM_STYLE = 'realm'
URL_STYLE = 'url'
SYNC_KEY_BYTES = 32  # 256 bits


class PlacementError(ValueError):
    """A site or placement that cannot be used; the message says why."""


@dataclass(frozen=True)
class Site:
    """One cluster. Two sites are equal when ``ident`` is equal, so
    ``//Realm/A`` and ``//realm/a/`` name the same site."""

    name: str = field(compare=False)
    ident: str
    style: str
    realm: Optional[str] = None
    cluster: Optional[str] = None
    url: Optional[str] = None

    def __str__(self) -> str:
        return self.name


@functools.lru_cache(maxsize=1024)
def parse_site(text: str) -> Site:
    """Parse one site name; raise PlacementError saying what is wrong."""
    if not isinstance(text, str):
        raise PlacementError('a site must be a string, not %r' % (text,))
    name = text.strip().rstrip('/')
    if not name:
        raise PlacementError('empty site name')
    if name.startswith('//'):
        return _parse_realm_site(name)
    return _parse_url_site(name)


def _parse_realm_site(name: str) -> Site:
    parts = name[2:].split('/')
    if len(parts) != 2 or not all(p.strip() for p in parts) or \
            any(p != p.strip() for p in parts):
        raise PlacementError(
            '%r is not of the form //realm/cluster' % name)
    realm, cluster = (p.upper() for p in parts)
    return Site(name=name, ident='//%s/%s' % (realm, cluster),
                style=REALM_STYLE, realm=realm, cluster=cluster)


def _parse_url_site(name: str) -> Site:
    try:
        parsed = urlsplit(name)
        port = parsed.port
    except ValueError as err:
        raise PlacementError(
            '%r is not a valid URL: %s' % (name, err)) from err
    if parsed.scheme not in ('http', 'https'):
        raise PlacementError(
            '%r must be an http(s):// proxy URL or //realm/cluster' % name)
    if not parsed.hostname:
        raise PlacementError('%r has no host' % name)
    if parsed.username or parsed.password:
        raise PlacementError('%r must not carry credentials' % name)
    if parsed.query or parsed.fragment:
        raise PlacementError('%r must not have a query or fragment' % name)
    if parsed.path:
        # The sync target is <site>/v1/<account>/<container>: a path here
        # would be a second version prefix or a rewrite we cannot see.
        raise PlacementError(
            '%r must be the proxy root, without a path' % name)
    host = parsed.hostname.lower()
    if ':' in host:
        host = '[%s]' % host
    default_port = 443 if parsed.scheme == 'https' else 80
    url = '%s://%s:%d' % (parsed.scheme, host, port or default_port)
    return Site(name=name, ident=url, style=URL_STYLE, url=url)


def parse_placement(value) -> Tuple[Site, ...]:
    """Parse a placement: a comma-separated string or a list of names.

    Duplicates, an empty list and a mix of styles are refused.
    """
    if isinstance(value, str):
        names = list_from_csv(value)
    elif isinstance(value, (list, tuple)):
        names = list(value)
    else:
        raise PlacementError(
            'a placement must be a list or a comma-separated string, '
            'not %r' % (value,))
    if not names:
        raise PlacementError('the placement names no site')
    sites = tuple(parse_site(name) for name in names)
    seen = set()
    for site in sites:
        if site in seen:
            raise PlacementError('%r is listed twice' % site.name)
        seen.add(site)
    styles = {site.style for site in sites}
    if len(styles) > 1:
        raise PlacementError(
            'sites mix //realm/cluster and URL styles: %s'
            % ', '.join(s.name for s in sites))
    return sites


def check_member(my_cluster: Site, placement: Sequence[Site]) -> None:
    if my_cluster not in placement:
        raise PlacementError(
            'this cluster %r is not in the placement %s' % (
                my_cluster.name, ', '.join(s.name for s in placement)))


def next_in_ring(placement: Sequence[Site], site: Site) -> Site:
    """The site that ``site`` syncs its objects to."""
    index = placement.index(site)
    return placement[(index + 1) % len(placement)]


def quoted_names(account: str, container: Optional[str] = None) -> str:
    """``<account>[/<container>]``, quoted as swob quotes paths, so what we
    sign is what the receiving proxy sees in ``req.path``."""
    names = quote(account)
    if container is not None:
        names += '/' + quote(container)
    return names


def quoted_path(account: str, container: Optional[str] = None) -> str:
    """``/v1/<account>[/<container>]``, quoted."""
    return '/v1/' + quoted_names(account, container)


def sync_target(target: Site, account: str, container: str) -> str:
    """The X-Container-Sync-To value that makes a container sync to
    ``target``'s copy of ``account/container``."""
    if target.style == REALM_STYLE:
        return '//%s/%s/%s/%s' % (target.realm, target.cluster,
                                  quote(account), quote(container))
    return target.url + quoted_path(account, container)


def new_sync_key() -> str:
    """A new X-Container-Sync-Key, the same at every site of a ring."""
    return secrets.token_hex(SYNC_KEY_BYTES)


def same_sync_target(one: str, other: str) -> bool:
    """Whether two X-Container-Sync-To values name one container. Swift
    looks realms and clusters up without case, and a URL's scheme and
    host have none; the account and container are compared exactly."""
    return _target_parts(one) == _target_parts(other)


def _target_parts(value: str) -> Tuple[str, str]:
    """(the ident of the site, the rest) of a sync target, the site read
    as ``parse_site`` reads it; the value itself when it is not one
    autosync could have written."""
    value = (value or '').strip()
    try:
        if value.startswith('//'):
            realm, cluster, rest = value[2:].split('/', 2)
            site = '//%s/%s' % (realm, cluster)
        else:
            parsed = urlsplit(value)
            site, rest = '%s://%s' % (parsed.scheme, parsed.netloc), \
                parsed.path
        return parse_site(site).ident, rest
    except (PlacementError, ValueError):
        return value, ''
