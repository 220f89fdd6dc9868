"""Read one container at one site, and apply one ``Repair`` there; list
an account's containers there.

Two kinds of site with the same methods: this cluster, through Swift's
``InternalClient`` (acting as the owner, so it sees and sets the sync
key, and sets autosync's sysmeta directly), and every other site,
through its proxy with a request signed as the filter signs them (the
site must run autosync with ``override_auth = true``). Nothing here
raises for a site that fails: the answer says what happened.
"""

import json
from dataclasses import dataclass
from typing import Optional, Sequence, Tuple
from urllib.parse import quote

from swift.common.internal_client import InternalClient, UnexpectedResponse
from swift.common.utils import Timeout

from autosync import account_state
from autosync.account_repair import AccountRepair, account_client_headers
from autosync.account_state import ACCOUNT_PENDING_SYSMETA, AccountState
from autosync.batch_read import BatchAnswer, parse_answer
from autosync.directory import SiteDirectory
from autosync.peers import send
from autosync.placement import PlacementError, Site, quoted_path
from autosync.protocol import (
    ACCOUNT_ACL_HEADER,
    ACCOUNT_ACL_SYSMETA,
    ACCOUNT_CHANGED_SYSMETA,
    BATCH_READ_HEADER,
    CHANGED_AT_HEADER,
    CHANGED_SYSMETA,
    NO_TIMESTAMP_UPDATE_HEADER,
    OWNER_ENV_KEY,
    PENDING_SYSMETA,
    PLACEMENT_SYSMETA,
    RESELLER_HEADER,
    SET_PLACEMENT_HEADER,
    VERSION_SYSMETA,
    batch_names_value,
    set_placement_value,
)
from autosync.repair import Repair, client_headers
from autosync.state import ContainerState, exposed_headers, from_headers

LISTING_LIMIT = 10000


@dataclass(frozen=True)
class ContainerListing:
    """The names of an account's containers at one site; ``names`` None:
    it could not list them, and ``detail`` says why."""

    site: str
    names: Optional[Tuple[str, ...]]
    detail: str = ''

    @property
    def listed(self) -> bool:
        return self.names is not None


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
        headers = client_headers(repair)
        if repair.placement:
            headers[PLACEMENT_SYSMETA] = repair.placement
            headers[VERSION_SYSMETA] = repair.placement_version
        if repair.changed_at:
            headers[CHANGED_SYSMETA] = repair.changed_at
        if repair.method == 'POST':
            # A repair carries an earlier change: it must not look like
            # a new write to a delete that crosses it.
            headers[NO_TIMESTAMP_UPDATE_HEADER] = 'true'
        accept = (2, 404) if repair.method == 'DELETE' else (2,)
        return self._change(repair.method, quoted_path(account, container),
                            headers, accept)

    def clear_pending(self, account: str, container: str
                      ) -> Tuple[bool, str]:
        """Remove the container's pending record here (an empty sysmeta
        value removes it)."""
        return self._change('POST', quoted_path(account, container),
                            {PENDING_SYSMETA % 'Container': '',
                             NO_TIMESTAMP_UPDATE_HEADER: 'true'})

    def list_containers(self, account: str) -> ContainerListing:
        """Every container of ``account`` here (InternalClient pages
        with ``marker``); an account that does not exist has none."""
        try:
            names = tuple(entry['name'] for entry in
                          self.client.iter_containers(account))
        except (Exception, Timeout) as err:
            return ContainerListing(self.site.name, None, _describe(err))
        return ContainerListing(self.site.name, names)

    def newest_object(self, account: str, container: str
                      ) -> Tuple[Optional[str], int]:
        """The newest object's last-modified time, from the listing."""
        entries, _ = self.list_objects(account, container)
        if entries is None:
            return None, 0
        return _newest_object([entries])

    def list_objects(self, account: str, container: str
                     ) -> Tuple[Optional[list], str]:
        """Every entry of the container's listing here; (None, why)
        when it cannot be read (a container not here included)."""
        try:
            return list(self.client.iter_objects(account, container)), ''
        except (Exception, Timeout) as err:
            return None, _describe(err)

    # -- accounts --

    def head_account(self, account: str) -> AccountState:
        try:
            resp = self.client.make_request(
                'HEAD', quoted_path(account), {},
                acceptable_statuses=(2, 404, account_state.GONE))
        except (Exception, Timeout) as err:
            return AccountState(self.site.name, None, _describe(err))
        headers = {k.lower(): v for k, v in resp.headers.items()}
        headers.update((k.lower(), v) for k, v in
                       account_state.exposed_account_headers(
                           resp.headers.items()))
        return account_state.from_headers(self.site.name, resp.status_int,
                                          headers)

    def apply_account(self, account: str,
                      repair: AccountRepair) -> Tuple[bool, str]:
        headers = account_client_headers(repair)
        # No auth in this pipeline to store the ACL: stored as tempauth
        # stores one (the value came from a site whose auth took it).
        if repair.acl is not None:
            headers[ACCOUNT_ACL_SYSMETA] = repair.acl
        if repair.changed_at:
            headers[ACCOUNT_CHANGED_SYSMETA] = repair.changed_at
        return self._change('POST', quoted_path(account), headers)

    def clear_account_pending(self, account: str) -> Tuple[bool, str]:
        """Remove the account's pending record here (an empty sysmeta
        value removes it)."""
        return self._change('POST', quoted_path(account),
                            {ACCOUNT_PENDING_SYSMETA: ''})

    def _change(self, method: str, path: str, headers: dict,
                accept: Tuple[int, ...] = (2,)) -> Tuple[bool, str]:
        """(done, the status or why not) of one request here."""
        try:
            resp = self.client.make_request(method, path, headers,
                                            acceptable_statuses=accept)
        except (Exception, Timeout) as err:
            return False, _describe(err)
        return True, resp.status


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
            return ContainerState(self.site.name, None, _refused(answer))
        return from_headers(self.site.name, answer.status, answer.headers,
                            detail)

    def send_batch(self, account: str, names: Sequence[str]):
        """One signed batched read of ``names`` there (``batch_read.py``;
        ``limit=0``: an older autosync answers an empty listing): (its
        answer, body whole, or None; why none)."""
        return self._send(
            'GET', account, None,
            {BATCH_READ_HEADER: batch_names_value(names)}, 'limit=0',
            whole_body=True)

    def read_batch(self, account: str, names: Sequence[str]
                   ) -> BatchAnswer:
        """The state of each of ``names`` there, by ``send_batch``."""
        answer, _ = self.send_batch(account, names)
        if answer is None:
            return BatchAnswer(None)
        return parse_answer(self.site.name, answer.status, answer.body,
                            names)

    def apply(self, account: str, container: str,
              repair: Repair) -> Tuple[bool, str]:
        headers = client_headers(repair)
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
        """The newest object's last-modified time, from the listing."""
        entries, _ = self.list_objects(account, container)
        if entries is None:
            return None, 0
        return _newest_object([entries])

    def list_objects(self, account: str, container: str
                     ) -> Tuple[Optional[list], str]:
        """Every entry of the container's listing there; (None, why)
        when it cannot be read. Not there: no entries."""
        return self._listing(account, container)

    def list_containers(self, account: str) -> ContainerListing:
        """Every container of ``account`` there; an account that does
        not exist there has none."""
        entries, detail = self._listing(account, None)
        if entries is None:
            return ContainerListing(self.site.name, None, detail)
        return ContainerListing(self.site.name,
                                tuple(entry['name'] for entry in entries))

    def _listing(self, account: str, container: Optional[str]
                 ) -> Tuple[Optional[list], str]:
        """Every entry of the listing of ``container`` (of the account
        when None): signed GETs of LISTING_LIMIT entries at most, each
        from the last name the one before listed, as swiftclient pages;
        (None, why) when a page fails. Not found: no entries."""
        entries, marker = [], ''
        while True:
            query = 'format=json&limit=%d' % LISTING_LIMIT
            if marker:
                query += '&marker=' + quote(marker)
            answer, detail = self._send('GET', account, container, {},
                                        query, whole_body=True)
            if answer is None:
                return None, detail
            if answer.status == 404:
                return entries, ''
            if answer.status in (401, 403):
                return None, _refused(answer)
            if not answer.ok:
                return None, answer.describe()
            try:
                page = json.loads(answer.body or b'[]')
                names = [entry['name'] for entry in page]
            except (ValueError, TypeError, KeyError) as err:
                return None, '%d, but not a JSON listing (%s)' % (
                    answer.status, err)
            entries.extend(page)
            if len(page) < LISTING_LIMIT:
                return entries, ''
            if names[-1] <= marker:
                # Paging on would ask for this page for ever.
                return None, 'the listing did not go past %r' % marker
            marker = names[-1]

    # -- accounts --

    def head_account(self, account: str) -> AccountState:
        answer, detail = self._send('HEAD', account, None, {})
        if answer is None:
            return AccountState(self.site.name, None, detail)
        if answer.status in (401, 403):
            return AccountState(self.site.name, None, _refused(answer))
        return account_state.from_headers(self.site.name, answer.status,
                                          answer.headers, detail)

    def apply_account(self, account: str,
                      repair: AccountRepair) -> Tuple[bool, str]:
        headers = account_client_headers(repair)
        if repair.acl is not None:
            headers[ACCOUNT_ACL_HEADER] = repair.acl
        if repair.changed_at:
            headers[CHANGED_AT_HEADER] = repair.changed_at
        # The reconciler is the operator: account quotas, which only a
        # reseller may set, are carried too.
        headers[RESELLER_HEADER] = 'true'
        answer, detail = self._send('POST', account, None, headers)
        if answer is None:
            return False, detail
        if answer.status in (401, 403):
            return False, _refused(answer)
        return answer.ok, '%s %s' % (answer.status or '', detail)


def _refused(answer) -> str:
    return '%s %s (does it run autosync with override_auth = true?)' % (
        answer.status, answer.detail)


def _describe(err) -> str:
    if isinstance(err, UnexpectedResponse):
        return err.resp.status
    return '%s: %s' % (type(err).__name__, err)
