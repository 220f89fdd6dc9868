"""Where each site is and which keys sign requests to and from it.

Shared by the filter, the reconciler and ``autosync status``: a realm
site's endpoint and keys come from Swift's container-sync-realms.conf, a
full-URL site's from the configuration (``autosync_key``/``key2``).
"""

import os
from typing import Optional, Sequence
from urllib.parse import quote, urlsplit

from swift.common.container_sync_realms import ContainerSyncRealms

from autosync.config import AutosyncConfig
from autosync.peers import PeerRequest
from autosync.placement import (
    REALM_STYLE,
    PlacementError,
    Site,
    parse_site,
    quoted_names,
    quoted_path,
)
from autosync.protocol import AUTH_HEADER, ORIG_CLUSTER_HEADER
from autosync.signing import sign, signed_fields

READS = ('HEAD', 'GET')


def signs_query(method: str, obj=None) -> bool:
    """Whether a peer request's query is signed: the receiving
    pipeline rewrites the query of account and container reads
    (listing_formats), never an object's (``?multipart-manifest=get``
    changes what is read, so it is signed)."""
    return obj is not None or method not in READS


def load_realms(swift_dir: str, logger) -> ContainerSyncRealms:
    return ContainerSyncRealms(
        os.path.join(swift_dir, 'container-sync-realms.conf'), logger)


class SiteDirectory(object):

    def __init__(self, cfg: AutosyncConfig, realms=None):
        self.cfg = cfg
        self.realms = realms

    def trusted_origin(self, name: str) -> Site:
        """The site a peer request says it comes from, if it is one of
        this site's autosync sites; else PlacementError naming it.

        Realm style: a cluster of the realm of ``autosync_my_cluster``.
        Other realms of container-sync-realms.conf may be shared with
        partners for plain container-sync: their keys must not make
        anyone the owner of every account here. Any cluster of our realm
        counts, as a placement filter may place containers on any of
        them. Full-URL style: any proxy URL, as ``autosync_key`` is
        autosync's alone."""
        try:
            origin = parse_site(name)
        except PlacementError as err:
            raise PlacementError('X-Orig-Cluster %r: %s' % (name, err)) \
                from None
        mine = self.cfg.my_cluster
        if origin.style != mine.style:
            raise PlacementError('origin %s is not of the style of this '
                                 'site, %s' % (origin.name, mine.name))
        if origin.style == REALM_STYLE and (
                origin.realm != mine.realm or
                not self.realms.endpoint(origin.realm, origin.cluster)):
            raise PlacementError(
                'origin %s is not a cluster of realm %s, the realm of this '
                'site in container-sync-realms.conf' % (origin.name,
                                                        mine.realm))
        return origin

    def peer_keys(self, origin: Site) -> Sequence[Optional[str]]:
        """Keys that may have signed a request from ``origin``, a
        ``trusted_origin``."""
        if origin.style == REALM_STYLE:
            return (self.realms.key(origin.realm),
                    self.realms.key2(origin.realm))
        return (self.cfg.key, self.cfg.key2)

    def signing_key(self, here: Site) -> str:
        """The key ``here`` signs with, or PlacementError."""
        key = self.realms.key(here.realm) if here.style == REALM_STYLE \
            else self.cfg.key
        if not key:
            raise PlacementError('no key to sign requests to other sites')
        return key

    def realm_endpoint(self, site: Site) -> str:
        """A realm site's endpoint (``.../v1/``), or PlacementError."""
        endpoint = self.realms.endpoint(site.realm, site.cluster)
        if not endpoint:
            raise PlacementError(
                'no endpoint for %s in container-sync-realms.conf'
                % site.name)
        parsed = urlsplit(endpoint)
        if parsed.scheme not in ('http', 'https') or not parsed.hostname:
            raise PlacementError(
                'the endpoint of %s in container-sync-realms.conf, %r, '
                'is not an http(s):// URL' % (site.name, endpoint))
        return endpoint

    def url(self, site: Site, account: str, container=None,
            obj=None) -> str:
        """The URL of an account, container or object at ``site``."""
        if site.style == REALM_STYLE:
            # As container-sync does: the endpoint already ends in /v1/.
            url = self.realm_endpoint(site).rstrip('/') + '/' + \
                quoted_names(account, container)
        else:
            url = site.url + quoted_path(account, container)
        return url if obj is None else url + '/' + quote(obj)

    def check_addressable(self, here: Site, sites) -> None:
        """Raise PlacementError unless ``here`` can sign requests and
        each of ``sites`` has a URL: checked before a change is made
        anywhere, so that it is not made here only."""
        self.signing_key(here)
        for site in sites:
            if site.style == REALM_STYLE:
                self.realm_endpoint(site)

    def signed_request(self, here: Site, site: Site, method: str,
                       account: str, container, headers: dict,
                       query: str = '', obj=None) -> PeerRequest:
        """A request to ``site`` from ``here`` with ``headers``, which
        gets what every peer request has (its origin, no body) and then
        the signature, for that site and over the state headers: add no
        such header after this."""
        headers[ORIG_CLUSTER_HEADER] = here.name
        headers['Content-Length'] = '0'
        url = self.url(site, account, container, obj)
        signed_query = query if signs_query(method, obj) else ''
        fields = signed_fields(method, urlsplit(url).path, signed_query,
                               here.name, site.ident, headers)
        headers[AUTH_HEADER] = sign(self.signing_key(here), fields)
        return PeerRequest(site, method,
                           url + ('?' + query if query else ''), headers)
