"""Read one container at one site, and apply one ``Repair`` there.

Two kinds of site with the same methods: this cluster, through Swift's
``InternalClient`` (acting as the owner, so it sees and sets the sync
key, and sets autosync's sysmeta directly), and every other site,
through its proxy with a request signed as the filter signs them (the
site must run autosync with ``override_auth = true``). Nothing here
raises for a site that fails: the answer says what happened.
"""

import json
from typing import Iterator, Optional, Tuple
from urllib.parse import quote

from swift.common.internal_client import InternalClient, UnexpectedResponse
from swift.common.utils import Timeout

from autosync.directory import SiteDirectory
from autosync.peers import send
from autosync.placement import PlacementError, Site, quoted_path
from autosync.protocol import (
    CHANGED_AT_HEADER,
    CHANGED_SYSMETA,
    OWNER_ENV_KEY,
    PLACEMENT_SYSMETA,
    REMOVE_CONTAINER_META_PREFIX,
    SET_PLACEMENT_HEADER,
    SYNC_KEY,
    SYNC_TO,
    USER_META_PREFIX,
    VERSION_SYSMETA,
    set_placement_value,
)
from autosync.repair import Repair
from autosync.state import ContainerState, exposed_headers, from_headers

LISTING_LIMIT = 10000


def acting_as_owner(app):
    """The reconciler is the operator: let it see and set the sync key,
    which the proxy keeps for the account's owner."""
    def owner_app(env, start_response):
        env[OWNER_ENV_KEY] = True
        return app(env, start_response)
    return owner_app


def make_internal_client(conf_path: str, request_tries: int = 3,
                         quiet: bool = False) -> InternalClient:
    """``quiet``: no access log lines (for a command's console)."""
    global_conf = {'log_level': 'ERROR', 'access_log_level': 'ERROR'} \
        if quiet else None
    client = InternalClient(conf_path, 'autosync-reconciler',
                            request_tries, allow_modify_pipeline=False,
                            global_conf=global_conf)
    client.app = acting_as_owner(client.app)
    return client


def _client_headers(repair: Repair) -> dict:
    """What a client would send: metadata, its removals, the ring."""
    headers = dict(repair.metadata)
    if repair.sync_to is not None:
        headers[SYNC_TO] = repair.sync_to
        headers[SYNC_KEY] = repair.sync_key or ''
    for name in repair.remove:
        if name.startswith(USER_META_PREFIX):
            headers[REMOVE_CONTAINER_META_PREFIX +
                    name[len(USER_META_PREFIX):]] = 'x'
        else:
            headers[name] = ''  # an ACL: empty removes it
    return headers


def _newest_object(pages) -> Tuple[Optional[str], int]:
    newest, listed = None, 0
    for page in pages:
        for entry in page:
            listed += 1
            modified = entry.get('last_modified')
            if modified and (newest is None or modified > newest):
                newest = modified
    return newest, listed


class LocalCluster(object):
    """This site, through an InternalClient acting as owner."""

    def __init__(self, site: Site, client):
        self.site = site
        self.client = client

    def head(self, account: str, container: str) -> ContainerState:
        try:
            resp = self.client.make_request(
                'HEAD', quoted_path(account, container), {},
                acceptable_statuses=(2, 404))
        except (Exception, Timeout) as err:
            return ContainerState(self.site.name, None, _describe(err))
        headers = {k.lower(): v for k, v in resp.headers.items()}
        headers.update((k.lower(), v)
                       for k, v in exposed_headers(resp.headers.items()))
        return from_headers(self.site.name, resp.status_int, headers)

    def apply(self, account: str, container: str,
              repair: Repair) -> Tuple[bool, str]:
        headers = _client_headers(repair)
        if repair.placement:
            headers[PLACEMENT_SYSMETA] = repair.placement
            headers[VERSION_SYSMETA] = repair.placement_version
        if repair.changed_at:
            headers[CHANGED_SYSMETA] = repair.changed_at
        accept = (2, 404) if repair.method == 'DELETE' else (2,)
        try:
            resp = self.client.make_request(
                repair.method, quoted_path(account, container), headers,
                acceptable_statuses=accept)
        except (Exception, Timeout) as err:
            return False, _describe(err)
        return True, resp.status

    def containers(self, account: str) -> Iterator[str]:
        for entry in self.client.iter_containers(account):
            yield entry['name']

    def newest_object(self, account: str, container: str
                      ) -> Tuple[Optional[str], int]:
        """The newest object's last-modified time, from the listing."""
        try:
            return _newest_object([self.client.iter_objects(account,
                                                             container)])
        except (Exception, Timeout):
            return None, 0


class PeerCluster(object):
    """Another site, by signed requests through its proxy."""

    def __init__(self, my_cluster: Site, site: Site,
                 directory: SiteDirectory, conn_timeout: float,
                 node_timeout: float, logger):
        self.my_cluster = my_cluster
        self.site = site
        self.directory = directory
        self.conn_timeout = conn_timeout
        self.node_timeout = node_timeout
        self.logger = logger

    def _send(self, method: str, account: str, container: str,
              headers: dict, query: str = '', whole_body: bool = False):
        try:
            request = self.directory.signed_request(
                self.my_cluster, self.site, method, account, container,
                headers, query)
        except PlacementError as err:
            return None, str(err)
        answer = send(request, self.conn_timeout, self.node_timeout,
                      self.logger, whole_body)
        return answer, answer.detail

    def head(self, account: str, container: str) -> ContainerState:
        answer, detail = self._send('HEAD', account, container, {})
        if answer is None:
            return ContainerState(self.site.name, None, detail)
        if answer.status in (401, 403):
            detail = '%s %s (does it run autosync with override_auth = ' \
                'true?)' % (answer.status, detail)
            return ContainerState(self.site.name, None, detail)
        return from_headers(self.site.name, answer.status, answer.headers,
                            detail)

    def apply(self, account: str, container: str,
              repair: Repair) -> Tuple[bool, str]:
        headers = _client_headers(repair)
        if repair.placement:
            headers[SET_PLACEMENT_HEADER] = set_placement_value(
                repair.placement_version, repair.placement)
        if repair.changed_at:
            headers[CHANGED_AT_HEADER] = repair.changed_at
        answer, detail = self._send(repair.method, account, container,
                                    headers)
        if answer is None:
            return False, detail
        ok = answer.ok or (repair.method == 'DELETE' and
                           answer.status == 404)
        return ok, '%s %s' % (answer.status or '', detail)

    def newest_object(self, account: str, container: str
                      ) -> Tuple[Optional[str], int]:
        """The newest object's last-modified time, from signed listing
        GETs of at most LISTING_LIMIT entries each."""
        pages, marker = [], ''
        while True:
            query = 'format=json&limit=%d' % LISTING_LIMIT
            if marker:
                query += '&marker=' + quote(marker)
            answer, _ = self._send('GET', account, container, {}, query,
                                   whole_body=True)
            if answer is None or not answer.ok:
                return None, 0
            page = json.loads(answer.body or b'[]')
            pages.append(page)
            if len(page) < LISTING_LIMIT:
                return _newest_object(pages)
            marker = page[-1]['name']


def _describe(err) -> str:
    if isinstance(err, UnexpectedResponse):
        return err.resp.status
    return '%s: %s' % (type(err).__name__, err)
