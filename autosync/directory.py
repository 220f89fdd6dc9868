"""Where each site is and which keys sign requests to and from it.

Shared by the filter, the reconciler and ``autosync status``: a realm
site's endpoint and keys come from Swift's container-sync-realms.conf, a
full-URL site's from the configuration (``autosync_key``/``key2``).
"""

import os
from typing import Optional, Sequence
from urllib.parse import urlsplit

from swift.common.container_sync_realms import ContainerSyncRealms

from autosync.config import AutosyncConfig
from autosync.peers import PeerRequest
from autosync.placement import (REALM_STYLE, PlacementError, Site,
                                quoted_names, quoted_path)
from autosync.signing import AUTH_HEADER, sign, signed_fields


READS = ('HEAD', 'GET')


def load_realms(swift_dir: str, logger) -> ContainerSyncRealms:
    return ContainerSyncRealms(
        os.path.join(swift_dir, 'container-sync-realms.conf'), logger)


class SiteDirectory(object):

    def __init__(self, cfg: AutosyncConfig, realms=None):
        self.cfg = cfg
        self.realms = realms

    def peer_keys(self, origin: Site) -> Sequence[Optional[str]]:
        """Keys that may have signed a request from ``origin``."""
        if origin.style != self.cfg.style:
            return ()
        if origin.style == REALM_STYLE:
            return (self.realms.key(origin.realm),
                    self.realms.key2(origin.realm))
        return (self.cfg.key, self.cfg.key2)

    def signing_key(self, my_cluster: Site) -> Optional[str]:
        if my_cluster.style == REALM_STYLE:
            return self.realms.key(my_cluster.realm)
        return self.cfg.key

    def url(self, site: Site, account: str, container=None) -> str:
        """The URL of an account or container at ``site``."""
        if site.style == REALM_STYLE:
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
            # As container-sync does: the endpoint already ends in /v1/.
            return endpoint.rstrip('/') + '/' + quoted_names(account,
                                                             container)
        return site.url + quoted_path(account, container)

    def signed_request(self, my_cluster: Site, site: Site, method: str,
                       account: str, container, headers: dict,
                       query: str = '') -> PeerRequest:
        """A request to ``site``, signed over ``headers``' signed values
        (``headers`` gets the signature)."""
        url = self.url(site, account, container)
        # The receiving pipeline rewrites the query of reads
        # (listing_formats), so reads are signed without it.
        signed_query = '' if method in READS else query
        fields = signed_fields(method, urlsplit(url).path, signed_query,
                               my_cluster.name, headers)
        key = self.signing_key(my_cluster)
        if not key:
            raise PlacementError('no key to sign requests to other sites')
        headers[AUTH_HEADER] = sign(key, fields)
        return PeerRequest(site.name, method,
                           url + ('?' + query if query else ''), headers)
