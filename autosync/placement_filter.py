"""
A placement engine for autosync: chooses the sites of each container
from rules in its config, and lets an account owner ask for sites with a
header. Put it after auth and right before autosync::

    [pipeline:main]
    pipeline = ... tempauth placement autosync ... proxy-server

    [filter:placement]
    use = egg:swift-autosync#placement
    # Every site a rule, the default or a client may name.
    sites = //realm/a, //realm/b, //realm/c
    # Where containers no rule matches go. Default: all of ``sites``.
    # default = //realm/a, //realm/b, //realm/c
    # Rules, tried in this order; the first that matches wins. Each rule
    # has conditions (all must hold) and sites. Conditions: account,
    # account_prefix, container_prefix, container_regex.
    rules = logs
    rule_logs_container_prefix = logs-
    rule_logs_sites = //realm/a, //realm/c
    # Sites an account owner may ask for with
    # X-Autosync-Placement: //realm/a, //realm/c (on container PUT or
    # POST). Default: none, and the header is refused.
    # client_sites = //realm/a, //realm/c

The contract with autosync (any other engine may follow it; the names
are in ``protocol.py``): for a PUT, POST or DELETE of a container, set
``env['swift.placement']`` to the list of site names the container
belongs on. Set ``env['autosync.placement_requested'] = True`` when the
account owner asked for that placement explicitly: only then does
autosync change the placement of an existing container; otherwise the
placement recorded with the container when it was created wins,
whatever the rules say now.

/info shows a digest of the rules (``autosync_placement_filter``), never
the rules: ``autosync verify`` tells sites whose rules differ.
"""

import hashlib
import json
from dataclasses import dataclass
from typing import Optional, Sequence, Tuple

from swift.common.constraints import valid_api_version
from swift.common.registry import register_swift_info
from swift.common.request_helpers import append_log_info
from swift.common.swob import (
    HTTPBadRequest,
    HTTPForbidden,
    Request,
    wsgi_to_str,
)
from swift.common.utils import get_logger, split_path

from autosync.placement import PlacementError, Site, parse_placement
from autosync.protocol import (
    AUTHORIZE_ENV_KEY,
    OWNER_ENV_KEY,
    PLACEMENT_ENV_KEY,
    PLACEMENT_HEADER,
    REQUESTED_ENV_KEY,
)
from autosync.rules import Rule, RuleError, choose, parse_rules, parse_sites

HANDLED_METHODS = frozenset(('PUT', 'POST', 'DELETE'))


@dataclass(frozen=True)
class EngineConfig:
    sites: Tuple[Site, ...]
    default: Tuple[Site, ...]
    rules: Tuple[Rule, ...]
    client_sites: Tuple[Site, ...]


def parse_config(conf: dict) -> EngineConfig:
    if not conf.get('sites', '').strip():
        raise RuleError('sites', conf.get('sites'),
                        'name every site rules may use')
    sites = parse_sites('sites', conf['sites'], None)
    default = parse_sites('default', conf['default'], sites) \
        if conf.get('default', '').strip() else sites
    client_sites = parse_sites('client_sites', conf['client_sites'], sites) \
        if conf.get('client_sites', '').strip() else ()
    return EngineConfig(sites, default, parse_rules(conf, sites),
                        client_sites)


def rules_digest(cfg: EngineConfig) -> str:
    """A digest of what the engine decides by (sites by ident, so
    spelling does not count; rules in order, as they are tried): in
    /info, for ``autosync verify`` to compare sites without showing the
    rules, which may name accounts."""
    def idents(sites: Sequence[Site]):
        return [site.ident for site in sites]
    described = [idents(cfg.sites), idents(cfg.default),
                 [[rule.name, rule.conditions, idents(rule.sites)]
                  for rule in cfg.rules], idents(cfg.client_sites)]
    return hashlib.sha256(json.dumps(described).encode('utf-8')
                          ).hexdigest()[:16]


class PlacementEngine(object):

    def __init__(self, app, cfg: EngineConfig, logger=None):
        self.app = app
        self.cfg = cfg
        self.logger = logger or get_logger({}, log_route='placement')

    def __call__(self, env, start_response):
        if env['REQUEST_METHOD'] not in HANDLED_METHODS:
            return self.app(env, start_response)
        try:
            version, account, container, obj = split_path(
                env['PATH_INFO'], 3, 4, True)
        except ValueError:
            return self.app(env, start_response)
        if obj or not valid_api_version(version):
            return self.app(env, start_response)
        req = Request(env)
        if PLACEMENT_HEADER in req.headers:
            refusal = self.requested(req)
            if refusal:
                return refusal(env, start_response)
            return self.app(env, start_response)
        rule, sites = choose(self.cfg.rules, self.cfg.default,
                             wsgi_to_str(account), wsgi_to_str(container))
        env[PLACEMENT_ENV_KEY] = [site.name for site in sites]
        append_log_info(env, 'placement:%s' % (rule or 'default'))
        return self.app(env, start_response)

    def requested(self, req: Request) -> Optional[HTTPBadRequest]:
        """Honour X-Autosync-Placement from the account owner, for sites
        the operator allows; any other use is refused, never ignored."""
        value = req.headers[PLACEMENT_HEADER]
        if req.method == 'DELETE':
            return self.refuse(req, HTTPBadRequest,
                               '%s means nothing on a DELETE'
                               % PLACEMENT_HEADER)
        if not self.cfg.client_sites:
            return self.refuse(req, HTTPBadRequest,
                               'this cluster does not let clients choose '
                               'where containers go')
        try:
            sites = parse_placement(value)
        except PlacementError as err:
            return self.refuse(req, HTTPBadRequest, '%s: %s' % (
                PLACEMENT_HEADER, err))
        forbidden = [s.name for s in sites if s not in self.cfg.client_sites]
        if forbidden:
            return self.refuse(req, HTTPBadRequest, (
                'site %s is not allowed; allowed: %s') % (
                    ', '.join(forbidden),
                    ', '.join(s.name for s in self.cfg.client_sites)))
        denial = self.authorize(req)
        if denial is not None:
            append_log_info(req.environ, 'placement:refused')
            return denial
        if not req.environ.get(OWNER_ENV_KEY):
            return self.refuse(req, HTTPForbidden,
                               'only the account owner may choose where a '
                               'container goes')
        req.environ[PLACEMENT_ENV_KEY] = [site.name for site in sites]
        req.environ[REQUESTED_ENV_KEY] = True
        append_log_info(req.environ, 'placement:requested')
        return None

    @staticmethod
    def authorize(req: Request):
        """Auth's denial, or None. Auth ran before us but decides in
        swift.authorize, which the proxy calls later; ask it now (it
        marks owners swift_owner). Its denial is the answer: a 401 tells
        a client whose token expired to authenticate again."""
        authorize = req.environ.get(AUTHORIZE_ENV_KEY)
        return authorize(req) if authorize is not None else None

    def refuse(self, req: Request, error, why: str):
        self.logger.info('placement: refused %s %s: %s', req.method,
                         req.path, why)
        append_log_info(req.environ, 'placement:refused')
        return error(body='autosync placement: %s.\n' % why,
                     content_type='text/plain', request=req)


def filter_factory(global_conf, **local_conf):
    conf = global_conf.copy()
    conf.update(local_conf)
    cfg = parse_config(conf)
    logger = get_logger(conf, log_route='placement')
    register_swift_info('autosync_placement_filter',
                        rules_digest=rules_digest(cfg))

    def placement_filter(app):
        return PlacementEngine(app, cfg, logger=logger)
    return placement_filter
