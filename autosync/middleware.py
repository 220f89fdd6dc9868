# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
"""
autosync keeps accounts and containers the same at every site (Swift
cluster) of a placement and wires Swift's container-sync between them, so
that objects written at any site reach all the others. The placement
``A, B, C`` is also the ring A -> B -> C -> A: each site's copy gets the
same ``X-Container-Sync-Key`` and an ``X-Container-Sync-To`` naming the
next site's copy.

The rules, in the order a request meets them:

* **Hot path untouched.** Object requests, and anything that is not a
  request for ``/v1/<account>`` or ``/v1/<account>/<container>``, go
  straight on; with ``read_fallback = true``, a client's object GET or
  HEAD that this site answers 404 is read from another site of the
  container's placement (``read_fallback.py``). A client's GET or HEAD
  of an account or container only gets autosync's records added to its
  answer: the site its last change came from
  (``X-Autosync-Orig-Cluster``) and, to the owner, its placement
  (``X-Autosync-Placement``).
* **Another site's request is verified, applied here only, and never
  fanned out again** (``peer_change.py``): a PUT, POST or DELETE with
  ``X-Orig-Cluster``, or any request with ``X-Autosync-Auth``, that does
  not verify gets 401 and reaches nothing.
* **A client's change happens here first** (``client_change.py``). A
  PUT or POST that fails here is answered as it is and no other site is
  asked; a DELETE goes on when the local answer was 2xx or 404.
* **No half-deleted containers.** Before a container DELETE, every other
  site is asked whether its copy still holds objects: 409 naming it if
  one does, 503 if one cannot say; nothing is deleted anywhere.
* **Every site or an error.** The change goes to every other site at
  once, signed (``plan.py`` plans it, ``peers.py`` sends it); the client
  gets the local answer when every site agreed, else an error naming
  what each site said (``verdict.py``). A site that cannot take it now
  (no answer, 5xx): with ``site_down = defer`` the client gets the local
  2xx naming it in ``X-Autosync-Pending``, recorded here for the
  reconciler. A site that keeps failing is error-limited
  (``error_limiting.py``). A PUT that sets nothing on a container that
  exists here as it should goes to no other site.
* **One key per container**: its existing key, or a new 256-bit one.
* **Versioning is refused on synced containers** (container-sync does
  not carry versions): 400 to a request that would enable it, 409 to a
  change of a container that has it, unless the change only disables it
  (README, "Object versioning").

A placement engine earlier in the pipeline (``placement_filter.py`` is
one) may choose each container's sites; the environ contract is in
``protocol.py``. Put autosync right after the auth middleware, and keep
Swift's ``container_sync`` filter before auth::

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
    # A site that cannot take a change now: refuse (503 naming it) or
    # defer (the local 2xx, X-Autosync-Pending; the reconciler carries
    # it).
    site_down = refuse
    # As Swift's proxy error-limits nodes.
    error_suppression_interval = 60
    error_suppression_limit = 10
    # An object read this site answers 404 is read from the container's
    # other sites (before container-sync has carried it).
    read_fallback = false
"""

import functools

from swift.common.constraints import check_utf8, valid_api_version
from swift.common.registry import (
    register_sensitive_header,
    register_swift_info,
)
from swift.common.ring import Ring
from swift.common.swob import Request, wsgi_to_str
from swift.common.utils import get_logger, split_path

from autosync import __version__, config, owners
from autosync.client_change import ClientChange
from autosync.directory import SiteDirectory, load_realms
from autosync.error_limiting import SiteErrorLimiter
from autosync.peer_batch import PeerBatch
from autosync.peer_change import PeerChange
from autosync.peer_read import PeerRead
from autosync.pipeline import auth_before_autosync, check_pipeline
from autosync.protocol import (
    AUTH_ENV_KEY,
    AUTH_HEADER,
    BATCH_READ_ENV_KEY,
    ORIG_CLUSTER_ENV_KEY,
    ORIG_HEADER,
    ORIG_SYSMETA_NAMES,
    OWNER_ENV_KEY,
    PLACEMENT_HEADER,
    PLACEMENT_SYSMETA,
    SYNC_AUTH_ENV_KEY,
    SYNC_KEY_ENV_KEY,
)
from autosync.read_fallback import object_names, read_with_fallback
from autosync.replay import NonceLedger
from autosync.sync_lag import lag_timed

CHANGE_METHODS = frozenset(('PUT', 'POST', 'DELETE'))
READ_METHODS = frozenset(('GET', 'HEAD'))
PLACEMENT_SYSMETA_LOWER = PLACEMENT_SYSMETA.lower()


def account_or_container(path: str):
    """(account, container or None) of an account or container path
    that autosync can sync, else None."""
    try:
        version, account, container, obj = split_path(path, 2, 4, True)
    except ValueError:
        return None
    if obj or not valid_api_version(version):
        return None
    if not check_utf8(wsgi_to_str(path)):
        # Swift answers 412; a name that is not UTF-8 has no sync target
        # and must not reach another site.
        return None
    return account, container


def peer_context(env, names):
    """The context of another site's request: the reconciler's batched
    read of an account's containers (``peer_batch.py``), or any other."""
    if env['REQUEST_METHOD'] == 'GET' and names[1] is None and \
            AUTH_ENV_KEY in env and BATCH_READ_ENV_KEY in env:
        return PeerBatch
    return PeerChange


def showing_autosync(env, start_response):
    """Show what autosync recorded (sysmeta, which the gatekeeper hides):
    the origin as X-Autosync-Orig-Cluster, and to the owner the placement
    as X-Autosync-Placement."""
    def start(status, headers, exc_info=None):
        shown = []
        for name, value in headers:
            lower = name.lower()
            if lower in ORIG_SYSMETA_NAMES:
                shown.append((ORIG_HEADER, value))
            elif lower == PLACEMENT_SYSMETA_LOWER and env.get(OWNER_ENV_KEY):
                shown.append((PLACEMENT_HEADER, value))
        if shown:
            headers = list(headers) + shown
        return start_response(status, headers, exc_info)
    return start


class Autosync(object):
    """The filter. It holds configuration only: everything about one
    request lives in the context made for it, ``ClientChange`` or
    ``PeerChange``."""

    def __init__(self, app, cfg, logger=None, realms=None, nonces=None):
        self.app = app
        self.cfg = cfg
        self.logger = logger or get_logger({}, log_route='autosync')
        self.realms = realms
        self.sites = SiteDirectory(cfg, realms)
        self.nonces = nonces or NonceLedger(2 * cfg.signature_window)
        self.limiter = SiteErrorLimiter(cfg.error_suppression_interval,
                                        cfg.error_suppression_limit,
                                        self.logger)
        self.enabled = cfg.enabled
        self.reads_elsewhere = cfg.read_fallback

    @functools.cached_property
    def container_ring(self) -> Ring:
        """This site's container ring, for the reconciler's batched
        read (``peer_batch.py``); a Ring reloads itself when the file
        changes."""
        return Ring(self.cfg.swift_dir, ring_name='container')

    @functools.cached_property
    def owner_only_headers(self) -> frozenset:
        """The proxy's owner-only headers: its option does not change
        once it runs, so the pipeline is looked through once."""
        return owners.owner_only_headers(self.app)

    def __call__(self, env, start_response):
        if not self.enabled:
            return self.app(env, start_response)
        path = env['PATH_INFO']
        # A cheap look for /v1/<a>/<c>/<o> before split_path, inline (a
        # call costs what the rest of the check does): objects are most of
        # a proxy's traffic and none of autosync's business, but for a
        # read when read_fallback is on, or another site's read.
        # (/v1/a/c/ is the container c: a trailing slash goes the long
        # way.)
        if path.count('/') > 3:
            if (self.reads_elsewhere or AUTH_ENV_KEY in env) and \
                    env['REQUEST_METHOD'] in READ_METHODS:
                answer = self.object_read(env, start_response, path)
                if answer is not None:
                    return answer
            if path[-1] != '/':
                if SYNC_AUTH_ENV_KEY in env or SYNC_KEY_ENV_KEY in env:
                    return self.app(env, lag_timed(self.logger, env,
                                                   start_response))
                return self.app(env, start_response)
        method = env['REQUEST_METHOD']
        # A signed HEAD or GET is another site checking a container
        # before it deletes, or the reconciler reading its state.
        signed = AUTH_ENV_KEY in env
        if method in READ_METHODS and not signed:
            return self.app(env, showing_autosync(env, start_response))
        if method not in CHANGE_METHODS and method not in READ_METHODS:
            return self.app(env, start_response)
        names = account_or_container(path)
        if names is None:
            return self.app(env, start_response)
        # Another site's request, or one that claims to be: verified as
        # such, never taken for a client's.
        context = peer_context(env, names) if signed or \
            ORIG_CLUSTER_ENV_KEY in env else ClientChange
        return context(self, Request(env), *names).respond()(
            env, start_response)

    def object_read(self, env, start_response, path: str):
        """The answer to a GET or HEAD of what may be an object (None
        when ``path`` is not one): another site's (verified, answered
        from here only), container-sync's or a client's that claims to
        come from another site (answered from here only), or a client's
        (read elsewhere if this site does not have it)."""
        if AUTH_ENV_KEY in env:
            names = object_names(path)
            return names and PeerRead(self, Request(env), *names).respond(
            )(env, start_response)
        # A client's read is looked at closer only when this site answers
        # 404 (split_path costs more than all the rest).
        if path[-1] == '/' and not object_names(path):
            return None
        if ORIG_CLUSTER_ENV_KEY in env or SYNC_AUTH_ENV_KEY in env or \
                SYNC_KEY_ENV_KEY in env:
            return self.app(env, start_response)
        return read_with_fallback(self, env, start_response)


def filter_factory(global_conf, **local_conf):
    conf = global_conf.copy()
    conf.update(local_conf)
    logger = get_logger(conf, log_route='autosync')
    realms = load_realms(conf.get('swift_dir', '/etc/swift'), logger)
    cfg = config.parse(conf, realms)
    filters = check_pipeline(conf, logger)
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
        style=cfg.style, override_auth=cfg.override_auth,
        read_fallback=cfg.read_fallback, version=__version__,
        # None: the pipeline could not be read (``autosync verify``).
        auth_before=auth_before_autosync(filters))

    def autosync_filter(app):
        return Autosync(app, cfg, logger=logger, realms=realms)
    return autosync_filter
