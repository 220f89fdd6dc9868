# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
"""
autosync keeps accounts and containers the same at every site (Swift
cluster) of a placement and wires Swift's container-sync between them, so
that objects written at any site reach all the others.

When a client PUTs, POSTs or DELETEs an account or a container, autosync
lets the request happen here first; if that succeeds it sends the same
request, signed, to every other site of the placement at once, and
answers the client with the local answer when every site agreed, or with
an error listing what each site said when they did not. Container PUT and
POST also carry the container-sync headers: every site gets the same
``X-Container-Sync-Key`` and an ``X-Container-Sync-To`` pointing at the
next site of the placement, so the placement ``A, B, C`` becomes the ring
A -> B -> C -> A. Object requests pass through untouched; a GET or HEAD
of an account or container also shows the site it came from
(X-Autosync-Orig-Cluster) and, to the owner, its placement
(X-Autosync-Placement). A placement filter before autosync (see
autosync/placement_filter.py) may choose each container's sites.

Put autosync right after the auth middleware, and keep Swift's
``container_sync`` filter before auth::

    [pipeline:main]
    pipeline = catch_errors gatekeeper healthcheck proxy-logging cache
               listing_formats container_sync bulk tempurl ratelimit
               tempauth autosync
               copy container-quotas account-quotas slo dlo
               versioned_writes symlink proxy-logging proxy-server

    [filter:autosync]
    use = egg:swift-autosync#autosync
    # This site, as a container-sync realm cluster (recommended) or as
    # the URL of its proxy (http://proxy-a.example.com:8080).
    autosync_my_cluster = //realm1/dc1
    # The ordered ring of sites; must contain autosync_my_cluster.
    # Default: this site alone (nothing fanned out).
    autosync_placement = //realm1/dc1, //realm1/dc2
    # Full-URL style only: the secret(s) that sign requests between
    # sites. Realm style signs with the realm's key/key2 from
    # container-sync-realms.conf in swift_dir.
    # autosync_key =
    # autosync_key2 =
    # A verified request from another site acts as the account owner.
    override_auth = false
    # Forward the client's X-Auth-Token to other sites (shared Keystone).
    forward_auth_token = false
    conn_timeout = 0.5
    node_timeout = 10
    # Seconds a signed request between sites stays valid.
    signature_window = 60

A placement middleware earlier in the pipeline may choose the placement
per request by setting ``env['swift.placement']`` (a list or a
comma-separated string of sites) and ``env['swift.my_cluster']``.

Containers synced between sites cannot use object versioning (Swift's
container-sync does not carry versions and refuses versioned sources):
autosync answers 400 to a request that would enable it and 409 to a change
of a container that already has it, unless the change only disables it
(README, "Object versioning").
"""

import functools
import secrets

from swift.common.constraints import check_utf8, valid_api_version
from swift.common.http import HTTP_NOT_FOUND, is_success
from swift.common.registry import (register_sensitive_header,
                                   register_swift_info)
from swift.common.request_helpers import append_log_info
from swift.common.swob import (HTTPBadRequest, HTTPConflict,
                               HTTPInternalServerError, HTTPUnauthorized,
                               HeaderKeyDict, Request, Response, str_to_wsgi,
                               wsgi_quote, wsgi_to_str)
from swift.common.utils import Timestamp, get_logger, split_path
from swift.common.wsgi import make_pre_authed_request
from swift.proxy.controllers.base import get_container_info

from autosync import config, owners, versioning
from autosync.directory import SiteDirectory, load_realms
from autosync.peers import PeerRequest, fan_out
from autosync.pipeline import check_pipeline
from autosync.placement import (PlacementError, Site, next_in_ring,
                                parse_placement, parse_site, sync_target)
from autosync.replay import NonceLedger
from autosync.placement_filter import PLACEMENT_HEADER, REQUESTED_KEY
from autosync.signing import (AUTH_HEADER, CHANGED_AT_HEADER,
                              ORIG_CLUSTER_HEADER, RESELLER_HEADER,
                              SET_PLACEMENT_HEADER, SYNC_KEY, SYNC_TO,
                              SignatureError, signed_fields, verify)
from autosync.state import (CHANGED_SYSMETA, PLACEMENT_SYSMETA,
                            VERSION_SYSMETA, exposed_headers)
from autosync.verdict import (SiteAnswer, delete_outcome, failures,
                              render)

FANOUT_METHODS = frozenset(('PUT', 'POST', 'DELETE'))
# Another site asks with a signed HEAD whether a container is empty here
# before it deletes its own copy.
AUTH_ENV_KEY = 'HTTP_' + AUTH_HEADER.upper().replace('-', '_')
SYNC_KEY_BYTES = 32  # 256 bits
# Where a site records which site a container or account change came from.
ORIG_SYSMETA = 'X-%s-Sysmeta-Autosync-Orig-Cluster'
ORIG_SYSMETA_NAMES = frozenset(
    (ORIG_SYSMETA % level).lower() for level in ('Account', 'Container'))
ORIG_HEADER = 'X-Autosync-Orig-Cluster'
# The placement a container got when it was made (or last changed by its
# owner), with the time of that decision, at every site of it (state.py).
PLACEMENT_SYSMETA_LOWER = PLACEMENT_SYSMETA.lower()
UNWIRED_HEADER = 'X-Autosync-Unwired'

# Never sent to another site: hop-by-hop headers, the client's host and
# length, and whatever autosync itself sets.
NOT_FORWARDED = frozenset(h.lower() for h in (
    'Connection', 'Keep-Alive', 'Proxy-Authenticate', 'Proxy-Authorization',
    'TE', 'Trailer', 'Trailers', 'Transfer-Encoding', 'Upgrade', 'Host',
    'Content-Length', 'Expect', ORIG_CLUSTER_HEADER, AUTH_HEADER,
    RESELLER_HEADER, SET_PLACEMENT_HEADER, SYNC_TO, SYNC_KEY,
    PLACEMENT_HEADER, CHANGED_AT_HEADER))
TOKEN_HEADERS = frozenset(('x-auth-token', 'x-storage-token',
                           'x-service-token'))


def _showing_autosync(env, start_response):
    """Show what autosync recorded (sysmeta, which the gatekeeper hides):
    the origin as X-Autosync-Orig-Cluster, and to the owner the placement
    as X-Autosync-Placement."""
    def start(status, headers, exc_info=None):
        shown = []
        for name, value in headers:
            lower = name.lower()
            if lower in ORIG_SYSMETA_NAMES:
                shown.append((ORIG_HEADER, value))
            elif lower == PLACEMENT_SYSMETA_LOWER and env.get('swift_owner'):
                shown.append((PLACEMENT_HEADER, value))
        if shown:
            headers = list(headers) + shown
        return start_response(status, headers, exc_info)
    return start


def _authorize_peer(req):
    """swift.authorize for a verified peer under override_auth."""
    return None


class Autosync(object):
    """The filter. It holds configuration only: everything about one
    request lives in a ``_Change`` made for that request."""

    def __init__(self, app, cfg, logger=None, realms=None, nonces=None):
        self.app = app
        self.cfg = cfg
        self.logger = logger or get_logger({}, log_route='autosync')
        self.realms = realms
        self.sites = SiteDirectory(cfg, realms)
        self.nonces = nonces or NonceLedger(2 * cfg.signature_window)
        self.enabled = cfg.enabled

    @functools.cached_property
    def owner_only_headers(self) -> frozenset:
        """The proxy's owner-only headers: its option does not change
        once it runs, so the pipeline is looked through once."""
        return owners.owner_only_headers(self.app)

    def __call__(self, env, start_response):
        if not self.enabled:
            return self.app(env, start_response)
        path = env['PATH_INFO']
        # A cheap look for /v1/<a>/<c>/<o> before split_path: objects are
        # most of a proxy's traffic and none of autosync's business.
        # (/v1/a/c/ is the container c: a trailing slash goes the long way.)
        if path.count('/') > 3 and path[-1] != '/':
            return self.app(env, start_response)
        method = env['REQUEST_METHOD']
        if method in FANOUT_METHODS:
            return self.change(env, start_response, path)
        # A signed HEAD or GET is another site checking a container
        # before it deletes, or the reconciler reading its state.
        if method in ('HEAD', 'GET') and AUTH_ENV_KEY in env:
            return self.change(env, start_response, path)
        if method in ('GET', 'HEAD'):
            return self.app(env, _showing_autosync(env, start_response))
        return self.app(env, start_response)

    def change(self, env, start_response, path):
        try:
            version, account, container, obj = split_path(path, 2, 4, True)
        except ValueError:
            return self.app(env, start_response)
        if obj or not valid_api_version(version):
            return self.app(env, start_response)
        if not check_utf8(wsgi_to_str(path)):
            # Swift answers 412; a name that is not UTF-8 has no sync
            # target and must not reach another site.
            return self.app(env, start_response)
        change = _Change(self, Request(env), account, container)
        return change.respond()(env, start_response)


class _Change(object):
    """One client (or peer) request to change an account or container."""

    def __init__(self, filt: Autosync, req: Request, account: str,
                 container):
        self.filt = filt
        self.cfg = filt.cfg
        self.logger = filt.logger
        self.req = req
        self.env = req.environ
        self.account = wsgi_to_str(account)
        self.container = wsgi_to_str(container) if container else None
        self.method = req.method

    @functools.cached_property
    def existing(self) -> dict:
        """The container's info if it exists here, else {}. Read before
        anything changes here (the proxy drops its cache on a change); the
        proxy's own lookups have usually cached it already."""
        info = get_container_info(self.env, self.filt.app,
                                  swift_source='AS')
        return info if is_success(info.get('status') or 0) else {}

    @property
    def existing_sysmeta(self) -> dict:
        return self.existing.get('sysmeta') or {}

    def respond(self) -> Response:
        headers = self.req.headers
        if ORIG_CLUSTER_HEADER in headers or AUTH_HEADER in headers or \
                self.method in ('HEAD', 'GET'):
            return self.serve_peer()
        try:
            my_cluster, placement = self.resolve_placement()
            placement, previous, version = self.container_placement(
                placement)
        except PlacementError as err:
            return self.placement_error(err)
        if my_cluster not in placement:
            if self.method == 'DELETE' and self.container and \
                    self.existing:
                # A copy a placement change left here, unwired: its
                # owner may delete it, here only.
                append_log_info(self.env, 'as:unwired-copy')
                return self.req.get_response(self.filt.app)
            return self.not_here(my_cluster, placement)
        writes_container = self.container and self.method in ('PUT', 'POST')
        if writes_container:
            self.req.headers[PLACEMENT_SYSMETA] = _names(placement)
            self.req.headers[VERSION_SYSMETA] = version
            self.req.headers[CHANGED_SYSMETA] = Timestamp.now().internal
        if len(placement) == 1 and not previous:
            return self.req.get_response(self.filt.app)
        if writes_container:
            refusal = self.refuse_unsyncable(placement, previous)
            if refusal:
                return refusal
        try:
            plan = self.plan(my_cluster, placement, previous, version)
        except PlacementError as err:
            return self.placement_error(err)
        return self.apply(my_cluster, plan, previous)

    # -- placement --

    def this_site(self) -> Site:
        """This site: the configured one, unless a placement middleware
        earlier in the pipeline said otherwise for this request."""
        if 'swift.my_cluster' not in self.env:
            return self.cfg.my_cluster
        my_cluster = parse_site(self.env['swift.my_cluster'])
        if my_cluster.style != self.cfg.style:
            raise PlacementError(
                'swift.my_cluster %r is not of the configured style'
                % my_cluster.name)
        return my_cluster

    def resolve_placement(self):
        my_cluster = self.this_site()
        placement = self.cfg.placement
        if 'swift.placement' in self.env:
            placement = parse_placement(self.env['swift.placement'])
            if placement[0].style != self.cfg.style:
                raise PlacementError(
                    'swift.placement is not of the configured style')
        return my_cluster, placement

    def container_placement(self, placement):
        """(placement, previous placement if this changes it, version).

        A container keeps the placement recorded when it was made,
        whatever the rules say now, unless its owner asked for another.
        """
        if not self.container:
            return placement, (), ''
        recorded = self.existing_sysmeta.get('autosync-placement')
        if not recorded:
            return placement, (), Timestamp.now().internal
        recorded = parse_placement(recorded)
        version = self.existing_sysmeta.get('autosync-placement-version') or \
            Timestamp.now().internal
        if self.env.get(REQUESTED_KEY) and self.method in ('PUT', 'POST') \
                and tuple(placement) != recorded:
            return tuple(placement), recorded, Timestamp.now().internal
        return recorded, (), version

    def not_here(self, my_cluster: Site, placement) -> Response:
        append_log_info(self.env, 'as:not-here')
        self.logger.increment('request.refused')
        resp = HTTPConflict(
            body='autosync: %s is placed on %s, not at this site (%s); '
                 'make this request there.\n' % (
                     self.req.path, _names(placement), my_cluster.name),
            content_type='text/plain', request=self.req)
        resp.headers[PLACEMENT_HEADER] = _names(placement)
        return resp

    def placement_error(self, err: Exception) -> Response:
        self.logger.error('autosync: %s %s: bad placement: %s',
                          self.method, self.req.path, err)
        self.logger.increment('placement.invalid')
        append_log_info(self.env, 'as:bad-placement')
        return HTTPInternalServerError(
            body='autosync: cannot apply this change: %s. Nothing was '
                 'changed at any site.\n' % err,
            content_type='text/plain', request=self.req)

    # -- requests from other sites --

    def serve_peer(self) -> Response:
        """A request another site fanned out: verify it, apply it here
        only, and never fan it out again."""
        headers = self.req.headers
        orig = headers.get(ORIG_CLUSTER_HEADER, '')
        # listing_formats (earlier in the pipeline) rewrites the query of
        # a HEAD or GET: reads are signed and verified without one.
        query = '' if self.method in ('HEAD', 'GET') else \
            self.env.get('QUERY_STRING', '')
        try:
            origin = self.filt.sites.trusted_origin(orig)
            # Signed for this very site: a request to another site does
            # not verify here (each site has its own nonces).
            nonce = verify(
                self.filt.sites.peer_keys(origin),
                signed_fields(self.method, self.req.path, query, orig,
                              self.this_site().ident, headers),
                headers.get(AUTH_HEADER), self.cfg.signature_window)
        except PlacementError as err:
            return self.refuse_peer('as:bad-origin', str(err))
        except SignatureError as err:
            return self.refuse_peer(err.reason, str(err))
        if not self.filt.nonces.first_use(nonce, self.env.get('swift.cache')):
            return self.refuse_peer('as:replay',
                                    'this signed request was already used')
        append_log_info(self.env, 'as:peer')
        self.logger.increment('auth.valid')
        del headers[AUTH_HEADER]
        reseller = headers.pop(RESELLER_HEADER, None) == 'true'
        if self.cfg.override_auth:
            # Act with the rights the origin's auth gave the client.
            self.env['swift.authorize'] = _authorize_peer
            self.env['swift.authorize_override'] = True
            self.env['swift_owner'] = True
            if reseller:
                self.env['reseller_request'] = True
            refusal = self.set_account_acl()
            if refusal:
                return refusal
        new_placement = headers.pop(SET_PLACEMENT_HEADER, None)
        if new_placement:
            refusal = self.record_placement(new_placement)
            if refusal:
                return refusal
        self.record_changed_at(headers.pop(CHANGED_AT_HEADER, None))
        if self.method in ('PUT', 'POST'):
            # Sysmeta, not user metadata: an extra user item at peers only
            # would make requests within Swift's metadata limits here fail
            # there. Clients cannot set or forge sysmeta.
            headers[ORIG_SYSMETA % ('Container' if self.container
                                    else 'Account')] = origin.name
        sync_to, sync_key = headers.get(SYNC_TO), headers.get(SYNC_KEY)
        resp = self.req.get_response(self.filt.app)
        if sync_to is not None and sync_key is not None:
            resp = self.ensure_sync_headers(resp, sync_to, sync_key)
        if self.method == 'HEAD' and self.container:
            # What the gatekeeper would hide: the container's timestamps
            # and autosync's records (see state.py).
            resp.headers.update(exposed_headers(resp.headers.items()))
        return resp

    def record_placement(self, value: str):
        """Record the placement another site sent, unless a newer change
        is recorded here: of two concurrent changes, the later one wins
        at every site, so the ring ends whole."""
        version, _, names = value.partition(' ')
        here = self.existing_sysmeta.get('autosync-placement-version')
        if here and Timestamp(here) > Timestamp(version):
            append_log_info(self.env, 'as:older-placement')
            return HTTPConflict(
                body='autosync: a newer placement change is recorded here '
                     '(%s); this one (%s) was not applied.\n' % (
                         here, version),
                content_type='text/plain', request=self.req)
        self.req.headers[PLACEMENT_SYSMETA] = names
        self.req.headers[VERSION_SYSMETA] = version
        return None

    def record_changed_at(self, changed_at) -> None:
        """Keep the newest time a client changed the metadata: two
        changes that cross between sites both apply everywhere, and the
        reconciler settles any difference in favour of the newest."""
        if not changed_at or not self.container or \
                self.method not in ('PUT', 'POST'):
            return
        here = self.existing_sysmeta.get('autosync-changed-at')
        try:
            if here and Timestamp(here) >= Timestamp(changed_at):
                return
        except ValueError:
            return
        self.req.headers[CHANGED_SYSMETA] = changed_at

    def set_account_acl(self):
        """Do for an account ACL what tempauth's authorize() does, which
        override_auth replaced: refuse an invalid one (400), store a valid
        one as sysmeta, as it was sent; the proxy would drop the header."""
        value = self.req.headers.get(owners.ACCOUNT_ACL_HEADER)
        if value is None or self.container or \
                self.method not in ('PUT', 'POST'):
            return None
        error = owners.account_acl_error(wsgi_to_str(value))
        if error:
            return self.refuse_client(HTTPBadRequest, 'as:bad-acl', '%s: %s'
                                      % (owners.ACCOUNT_ACL_HEADER, error))
        self.req.headers[owners.ACCOUNT_ACL_SYSMETA] = \
            self.req.headers.pop(owners.ACCOUNT_ACL_HEADER)
        return None

    def refuse_peer(self, reason: str, why: str) -> Response:
        append_log_info(self.env, reason)
        self.logger.increment('auth.invalid')
        self.logger.warning('autosync: refused %s %s from %r: %s',
                            self.method, self.req.path,
                            self.req.headers.get(ORIG_CLUSTER_HEADER), why)
        return HTTPUnauthorized(
            body='autosync: request from another site refused: %s.\n'
                 % why, content_type='text/plain', request=self.req)

    # -- requests from clients --

    def refuse_unsyncable(self, placement, previous=()):
        """The answer to a container change autosync cannot sync: 400 or
        409, or Swift's own to one that only disables versioning on a
        container that stays unsyncable. None for a change to sync."""
        headers = self.req.headers
        own_sync = [h for h in (SYNC_TO, SYNC_KEY) if h in headers]
        if own_sync:
            return self.refuse_client(
                HTTPBadRequest, 'as:own-sync-headers',
                '%s: autosync sets container-sync on containers it syncs '
                'between sites; leave it out' % ', '.join(own_sync))
        if len(placement) == 1:
            return None  # synced nowhere: versioning as in plain Swift
        enabling = versioning.enabling(headers)
        if enabling:
            return self.refuse_client(
                HTTPBadRequest, 'as:versioning',
                '%s: object versioning cannot be used on a container '
                'synced between sites (container-sync does not carry '
                'versions)' % ', '.join(enabling))
        if not versioning.versioned_after(self.existing, headers):
            return None
        if versioning.disables(headers) and not previous:
            return self.disable_versioning_here()
        return self.refuse_client(HTTPConflict, 'as:versioned',
                                  versioning.remedy(self.existing))

    def disable_versioning_here(self) -> Response:
        """Versioning is disabled where the versions are; container-sync
        still skips the container, so nothing is wired and no other site
        (which has no versions) is asked."""
        append_log_info(self.env, 'as:versioning-off-here')
        return self.req.get_response(self.filt.app)

    def refuse_client(self, error, reason: str, why: str) -> Response:
        append_log_info(self.env, reason)
        self.logger.increment('request.refused')
        return error(body='autosync: %s.\n' % why,
                     content_type='text/plain', request=self.req)

    def plan(self, my_cluster: Site, placement, previous=(),
             version: str = ''):
        """Every peer request, built before anything changes anywhere
        so that a site we cannot reach by name stops the change early.

        With ``previous`` (a placement change), sites new to the
        container get it by PUT with its metadata, and sites no longer in
        the placement are unwired: their sync target and key are cleared
        and their copy stays where it is.

        Returns (sync, requests, build, forwarded): ``requests`` are
        built over all the ``forwarded`` headers; ``build(headers)``
        builds them again over fewer, once the local answer shows what
        this site's proxy honoured (``honoured``)."""
        sync = {}
        new_placement = ''
        if self.container and self.method in ('PUT', 'POST'):
            sync = self.sync_ring(placement)
            self.req.headers[SYNC_TO], self.req.headers[SYNC_KEY] = \
                sync[my_cluster]
            new_placement = '%s %s' % (version, _names(placement))
        if not self.filt.sites.signing_key(my_cluster):
            raise PlacementError('no key to sign requests to other sites')
        build = functools.partial(self.peer_requests, my_cluster, placement,
                                  previous, sync, new_placement)
        forwarded = self.forwarded_headers(my_cluster)
        return sync, build(forwarded), build, forwarded

    def peer_requests(self, my_cluster: Site, placement, previous, sync,
                      new_placement: str, forwarded: dict):
        """The signed request for each other site of the plan."""
        requests = []
        # Sites new to the container get what it has, then the change.
        # Without regard to case: info names metadata in lower case, the
        # client's headers are title-cased, and two spellings of one name
        # would reach the new site as one joined value.
        joining = HeaderKeyDict(self.current_metadata() if previous else {})
        joining.update(forwarded)
        for site in placement:
            if site == my_cluster:
                continue
            method = self.method
            headers = dict(forwarded)
            if previous and site not in previous:
                method = 'PUT'
                headers = dict(joining)
            if sync:
                headers[SYNC_TO], headers[SYNC_KEY] = sync[site]
                headers[SET_PLACEMENT_HEADER] = new_placement
                headers[CHANGED_AT_HEADER] = \
                    self.req.headers[CHANGED_SYSMETA]
            # Never the client's query: Swift gives none a meaning on an
            # account or container PUT, POST or DELETE (the proxy sends
            # none to its servers, refuses an account DELETE with one,
            # and bulk, before auth, took its own), and a byte that
            # http.client cannot send would fail every site after the
            # change was made here.
            requests.append(self.signed_request(
                my_cluster, site, method, headers))
        for site in previous:
            if site not in placement:
                headers = {name: value for name, value in forwarded.items()
                           if name.lower() in TOKEN_HEADERS}
                headers.update({
                    ORIG_CLUSTER_HEADER: my_cluster.name, SYNC_TO: '',
                    SYNC_KEY: '', SET_PLACEMENT_HEADER: new_placement,
                    'Content-Length': '0'})
                requests.append(self.signed_request(
                    my_cluster, site, 'POST', headers))
        return requests

    def sync_ring(self, placement) -> dict:
        """Each site's (X-Container-Sync-To, X-Container-Sync-Key). A
        one-site placement syncs nowhere: empty values clear what a wider
        one wired, and the container is as plain Swift's."""
        if len(placement) == 1:
            return {placement[0]: ('', '')}
        key = self.sync_key()
        return {site: (sync_target(next_in_ring(placement, site),
                                   self.account, self.container), key)
                for site in placement}

    def current_metadata(self) -> dict:
        """The container's metadata, for a site that is to get it."""
        info = self.existing
        # Info holds text; a request's headers are WSGI strings.
        headers = {str_to_wsgi('X-Container-Meta-' + name): str_to_wsgi(value)
                   for name, value in (info.get('meta') or {}).items()}
        for header, field in (('X-Container-Read', 'read_acl'),
                              ('X-Container-Write', 'write_acl')):
            if info.get(field):
                headers[header] = str_to_wsgi(info[field])
        return headers

    def signed_request(self, my_cluster: Site, site: Site, method: str,
                       headers: dict, query: str = '') -> PeerRequest:
        """A request to ``site``, signed over ``headers``' sync values."""
        return self.filt.sites.signed_request(
            my_cluster, site, method, self.account, self.container,
            headers, query)

    def local_delete_may_succeed(self) -> bool:
        """Ask other sites nothing for a client the proxy will refuse or
        a container that holds objects here: Swift's own answer says it.
        (A HEAD, not cached container info, which lags object deletes.)"""
        authorize = self.env.get('swift.authorize')
        if authorize and not self.env.get('swift.authorize_override') and \
                authorize(self.req):
            return False
        # Quoted: make_pre_authed_request unquotes its path.
        head = make_pre_authed_request(self.env, 'HEAD',
                                       wsgi_quote(self.req.path_info),
                                       swift_source='AS')
        resp = head.get_response(self.filt.app)
        count = resp.headers.get('X-Container-Object-Count', '0')
        return not (resp.is_success and count.isdigit() and int(count) > 0)

    def sites_holding_objects(self, my_cluster: Site, requests):
        """Ask every other site, before deleting here, whether its copy
        still holds objects: deleting here first and failing there would
        leave that copy with no site syncing to it or from it."""
        heads = []
        for request in requests:
            headers = {k: v for k, v in request.headers.items()
                       if k.lower() in TOKEN_HEADERS}
            headers[ORIG_CLUSTER_HEADER] = my_cluster.name
            heads.append(self.signed_request(
                my_cluster, request.site, 'HEAD', headers))
        holders, unknown = [], []
        for answer in fan_out(heads, self.cfg.conn_timeout,
                              self.cfg.node_timeout, self.logger):
            count = answer.headers.get('x-container-object-count', '0')
            if answer.ok and count.isdigit() and int(count) > 0:
                holders.append(SiteAnswer(answer.site, None,
                                          'holds %s objects' % count))
            elif not (answer.ok or answer.status == HTTP_NOT_FOUND):
                # A site that cannot say would not take the DELETE
                # either: deleting here would leave its copy unsynced.
                unknown.append(answer)
        return holders, unknown

    def refuse_delete_left_behind(self, my_cluster: Site, requests):
        """503 when a site cannot say whether its copy is empty, 409
        when one is not: nothing is deleted anywhere. None to go on."""
        holders, unknown = self.sites_holding_objects(my_cluster, requests)
        for status, sites, why in (
                (503, unknown, 'could not ask %s whether it is empty; '
                 'nothing was deleted. Retry when every site of the '
                 'container answers.'),
                (409, holders, 'not empty at %s; nothing was deleted. '
                 'Objects deleted here leave the other sites on their '
                 'next container-sync pass: retry then.')):
            if sites:
                return self.disagreement(status, 'DELETE %s: %s' % (
                    self.req.path, why % ', '.join(a.site for a in sites)),
                    sites)
        return None

    def sync_key(self) -> str:
        """The container's key if it has one (a POST must not rotate it
        under a running container-sync), else a new one."""
        return self.existing.get('sync_key') or \
            secrets.token_hex(SYNC_KEY_BYTES)

    def forwarded_headers(self, my_cluster: Site) -> dict:
        """What another site gets of the client's headers, read before
        the local request (auth may rewrite them)."""
        headers = {}
        for name, value in self.req.headers.items():
            lower = name.lower()
            # Sysmeta here is what autosync recorded locally: peers get
            # it as signed headers, never as sysmeta.
            if lower in NOT_FORWARDED or \
                    lower.startswith(('x-backend-', 'x-container-sysmeta-',
                                      'x-account-sysmeta-')):
                continue
            if lower in TOKEN_HEADERS and not self.cfg.forward_auth_token:
                continue
            headers[name] = value
        headers[ORIG_CLUSTER_HEADER] = my_cluster.name
        if self.env.get('reseller_request'):
            headers[RESELLER_HEADER] = 'true'
        headers['Content-Length'] = '0'
        return headers

    def honoured(self, forwarded: dict) -> dict:
        """What of ``forwarded`` this site's proxy applied, known once
        the local request is done. Another site applies what it gets as
        the owner (override_auth), so it gets none of the proxy's
        owner-only headers from anyone but the owner, and no account ACL
        that no tempauth here took (keystone has none: the header is
        ignored here, and must be everywhere)."""
        dropped = set()
        if not self.env.get('swift_owner'):
            dropped |= self.filt.owner_only_headers
        if owners.ACCOUNT_ACL_SYSMETA not in self.req.headers:
            dropped.add(owners.ACCOUNT_ACL_HEADER.lower())
        return {name: value for name, value in forwarded.items()
                if name.lower() not in dropped}

    def apply(self, my_cluster: Site, plan, previous=()) -> Response:
        sync, requests, build, forwarded = plan
        if self.container and self.method == 'DELETE' and \
                self.local_delete_may_succeed():
            refusal = self.refuse_delete_left_behind(my_cluster, requests)
            if refusal:
                return refusal
        local = self.req.get_response(self.filt.app)
        _ = local.body  # read it now: we answer only after every site did
        if self.method == 'DELETE':
            if not (is_success(local.status_int) or
                    local.status_int == HTTP_NOT_FOUND):
                return local
        elif not is_success(local.status_int):
            return local
        sync_failed = None
        if sync:
            sync_failed = self.set_sync_as_autosync(
                local, my_cluster.name, *sync[my_cluster])
        honoured = self.honoured(forwarded)
        if honoured != forwarded:
            requests = build(honoured)
        append_log_info(self.env, 'as:fanout')
        answers = [sync_failed or SiteAnswer(my_cluster.name,
                                             local.status_int,
                                             _reason(local))]
        answers += fan_out(requests, self.cfg.conn_timeout,
                           self.cfg.node_timeout, self.logger)
        for answer in answers[1:]:
            self.logger.increment('peer.ok' if answer.ok else 'peer.failed')
        if self.method == 'DELETE':
            return self.delete_answer(local, answers)
        failed = failures(answers)
        if not failed:
            self.logger.increment('fanout.ok')
            if previous:
                self.report_change(local, previous)
            return local
        if sync_failed:
            return self.disagreement(503, self.sync_failure_message(
                sync_failed.site, [a.site for a in failed
                                   if a is not sync_failed]), answers)
        return self.disagreement(
            503, '%s %s was applied at %s but failed at %s; the sites now '
            'differ. Repeat the request when they are all reachable.' % (
                self.method, self.req.path,
                ', '.join(a.site for a in answers if a.ok),
                ', '.join(a.site for a in failed)), answers)

    def report_change(self, local: Response, previous) -> None:
        placement = parse_placement(self.req.headers[PLACEMENT_SYSMETA])
        local.headers[PLACEMENT_HEADER] = _names(placement)
        unwired = [site for site in previous if site not in placement]
        if unwired:
            # Never deleted: the owner decides what becomes of them.
            local.headers[UNWIRED_HEADER] = _names(unwired)
        self.logger.info('autosync: %s placement %s -> %s, unwired: %s',
                         self.req.path, _names(previous), _names(placement),
                         _names(unwired) or '-')

    def delete_answer(self, local: Response, answers) -> Response:
        status, culprits = delete_outcome(answers)
        if not culprits:
            self.logger.increment('fanout.ok')
            if status == local.status_int:
                return local
            return Response(status=status, request=self.req)
        if status == 409:
            why = 'not deleted at %s: not empty or in conflict' % (
                ', '.join(a.site for a in culprits))
        else:
            why = 'could not be deleted at %s' % (
                ', '.join(a.site for a in culprits))
        return self.disagreement(status, 'DELETE %s: %s.' % (
            self.req.path, why), answers)

    def disagreement(self, status: int, message: str,
                     answers) -> Response:
        self.logger.increment('fanout.failed')
        self.logger.warning('autosync: %s %s', message, '; '.join(
            '%s: %s' % (a.site, a.describe()) for a in answers))
        append_log_info(self.env, 'as:sites-differ')
        body, content_type = render('autosync: ' + message, answers,
                                    self.req.headers.get('Accept', ''))
        return Response(status=status, body=body,
                        content_type=content_type, request=self.req)

    def ensure_sync_headers(self, resp: Response, sync_to: str,
                            sync_key: str) -> Response:
        """``resp``, once the container's sync headers are set here, or
        a 503 saying they could not be."""
        failed = self.set_sync_as_autosync(
            resp, self.cfg.my_cluster.name, sync_to, sync_key)
        if not failed:
            return resp
        return self.disagreement(
            503, self.sync_failure_message(failed.site), [failed])

    def set_sync_as_autosync(self, resp: Response, site_name: str,
                             sync_to: str, sync_key: str):
        """The proxy drops sync headers from requests by non-owners
        (e.g. a user with an account ACL); set them as autosync so the
        ring is never silently left open. None when they are set, else
        this site's failed answer."""
        if not is_success(resp.status_int) or self.env.get('swift_owner'):
            return None
        # Quoted: make_pre_authed_request unquotes its path.
        sub = make_pre_authed_request(
            self.env, 'POST', wsgi_quote(self.req.path_info),
            headers={SYNC_TO: sync_to, SYNC_KEY: sync_key},
            swift_source='AS')
        # Pre-authed is not owner: without this the proxy drops the very
        # headers this request is for (swift_owner_headers).
        sub.environ['swift_owner'] = True
        sub_resp = sub.get_response(self.filt.app)
        if is_success(sub_resp.status_int):
            return None
        self.logger.error('autosync: could not set container-sync on '
                          '%s: %s', self.req.path, sub_resp.status)
        return SiteAnswer(site_name, sub_resp.status_int, '%s to the POST '
                          'that sets X-Container-Sync-To and -Key' %
                          _reason(sub_resp))

    def sync_failure_message(self, site_name: str, failed_too=()) -> str:
        message = ('%s %s: container-sync could not be set at %s, where '
                   'the change was applied, so objects written there '
                   'would reach no other site' % (
                       self.method, self.req.path, site_name))
        if failed_too:
            message += '; it failed at %s' % ', '.join(failed_too)
        return message + '. Repeat the request.'


def _names(sites) -> str:
    return ', '.join(site.name for site in sites)


def _reason(resp: Response) -> str:
    return resp.status.split(' ', 1)[1] if ' ' in resp.status else ''


def filter_factory(global_conf, **local_conf):
    conf = global_conf.copy()
    conf.update(local_conf)
    logger = get_logger(conf, log_route='autosync')
    realms = load_realms(conf.get('swift_dir', '/etc/swift'), logger)
    cfg = config.parse(conf, realms)
    check_pipeline(conf, logger)
    if not cfg.enabled:
        logger.warning('autosync: autosync_my_cluster is not set; every '
                       'request passes through unchanged')
    elif len(cfg.placement) > 1 and not (
            cfg.override_auth or cfg.forward_auth_token):
        logger.warning('autosync: neither override_auth nor '
                       'forward_auth_token is set; other sites will '
                       'refuse changes unless their auth accepts them')
    register_sensitive_header(AUTH_HEADER.lower())
    register_swift_info(
        'autosync',
        my_cluster=cfg.my_cluster.name if cfg.my_cluster else None,
        placement=[site.name for site in cfg.placement],
        style=cfg.style, override_auth=cfg.override_auth)

    def autosync_filter(app):
        return Autosync(app, cfg, logger=logger, realms=realms)
    return autosync_filter
