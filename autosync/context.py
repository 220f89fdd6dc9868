"""What both kinds of change share: the request, this site's copy of the
container, and the answers autosync gives.

``ChangeContext`` is the base of ``ClientChange`` (a client's change:
here first, then every other site) and ``PeerChange`` (another site's
request: verify it, apply it here only). One is made per request; the
filter holds the configuration.
"""

import functools

from swift.common.http import is_success
from swift.common.request_helpers import append_log_info
from swift.common.swob import Request, Response, wsgi_quote, wsgi_to_str
from swift.common.wsgi import make_pre_authed_request
from swift.proxy.controllers.base import get_container_info

from autosync import account_state, state
from autosync.placement import PlacementError, Site, parse_site
from autosync.protocol import (
    NO_TIMESTAMP_UPDATE_HEADER,
    OWNER_ENV_KEY,
    SYNC_KEY,
    SYNC_TO,
    THIS_SITE_ENV_KEY,
)
from autosync.verdict import SiteAnswer, render


def reason(resp: Response) -> str:
    """The reason phrase of a response's status."""
    return resp.status.split(' ', 1)[1] if ' ' in resp.status else ''


class ChangeContext(object):
    """One request to change (or, signed, to read) an account or a
    container."""

    def __init__(self, filt, req: Request, account: str, container):
        self.filt = filt
        self.cfg = filt.cfg
        self.logger = filt.logger
        self.req = req
        self.env = req.environ
        self.method = req.method
        self.account = wsgi_to_str(account)
        self.container = wsgi_to_str(container) if container else None

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

    def this_site(self) -> Site:
        """This site: the configured one, unless a placement engine
        earlier in the pipeline said otherwise for this request."""
        if THIS_SITE_ENV_KEY not in self.env:
            return self.cfg.my_cluster
        site = parse_site(self.env[THIS_SITE_ENV_KEY])
        if site.style != self.cfg.style:
            raise PlacementError(
                '%s %r is not of the configured style'
                % (THIS_SITE_ENV_KEY, site.name))
        return site

    def state_here(self):
        """The account's or container's state at this site, read now
        (a HEAD the proxy sends to its servers, not cached info), as
        ``state.py`` (``account_state.py``) reads another site's."""
        # Quoted: make_pre_authed_request unquotes its path.
        head = make_pre_authed_request(self.env, 'HEAD',
                                       wsgi_quote(self.req.path_info),
                                       swift_source='AS')
        head.environ[OWNER_ENV_KEY] = True  # the proxy shows ACLs to owners
        resp = head.get_response(self.filt.app)
        headers = {name.lower(): value for name, value in resp.headers.items()}
        headers.update((name.lower(), value)
                       for name, value in self.exposed(resp.headers))
        level = state if self.container else account_state
        return level.from_headers(self.this_site().name, resp.status_int,
                                  headers)

    def exposed(self, headers):
        """The X-Autosync-* names of what the gatekeeper would hide in
        a response's ``headers``: the container's timestamps and
        autosync's records (``state.py``), or the account's records
        (``account_state.py``)."""
        if self.container:
            return state.exposed_headers(headers.items())
        return account_state.exposed_account_headers(headers.items())

    def local_response(self) -> Response:
        """The request, applied at this site."""
        return self.req.get_response(self.filt.app)

    def refuse(self, error, reason_code: str, why: str) -> Response:
        """A client error autosync answers itself; nothing changed."""
        append_log_info(self.env, reason_code)
        self.logger.increment('request.refused')
        return error(body='autosync: %s.\n' % why,
                     content_type='text/plain', request=self.req)

    def disagreement(self, status: int, message: str, answers,
                     culprits=None) -> Response:
        """The answer when the sites did not all do the same: one line
        (or a JSON entry) for each site. The body starts with the sites
        that explain it (``culprits``, default: every answer) and what
        each said, because swiftclient and most tools show only the first
        60 characters of an error body."""
        self.logger.increment('fanout.failed')
        self.logger.warning('autosync: %s %s', message, _said(answers))
        append_log_info(self.env, 'as:sites-differ')
        body, content_type = render(
            '%s; autosync: %s' % (_said(culprits or answers), message),
            answers,
            self.req.headers.get('Accept', ''))
        return Response(status=status, body=body,
                        content_type=content_type, request=self.req)

    def set_sync_here(self, resp: Response, site_name: str, sync_to: str,
                      sync_key: str):
        """The proxy drops sync headers from requests by non-owners
        (e.g. a user with an account ACL); set them as autosync so the
        ring is never silently left open. None when they are set, else
        this site's failed answer."""
        if not is_success(resp.status_int) or self.env.get(OWNER_ENV_KEY):
            return None
        # Quoted: make_pre_authed_request unquotes its path.
        sub = make_pre_authed_request(
            self.env, 'POST', wsgi_quote(self.req.path_info),
            headers={SYNC_TO: sync_to, SYNC_KEY: sync_key,
                     NO_TIMESTAMP_UPDATE_HEADER: 'true'},
            swift_source='AS')
        # Pre-authed is not owner: without this the proxy drops the very
        # headers this request is for (swift_owner_headers).
        sub.environ[OWNER_ENV_KEY] = True
        sub_resp = sub.get_response(self.filt.app)
        if is_success(sub_resp.status_int):
            return None
        self.logger.error('autosync: could not set container-sync on '
                          '%s: %s', self.req.path, sub_resp.status)
        return SiteAnswer(site_name, sub_resp.status_int, '%s to the POST '
                          'that sets X-Container-Sync-To and -Key' %
                          reason(sub_resp))

    def sync_failure_message(self, site_name: str, failed_too=()) -> str:
        message = ('%s %s: container-sync could not be set at %s, where '
                   'the change was applied, so objects written there '
                   'would reach no other site' % (
                       self.method, self.req.path, site_name))
        if failed_too:
            message += '; it failed at %s' % ', '.join(failed_too)
        return message + '. Repeat the request.'


def _said(answers) -> str:
    """What each site said, on one line."""
    return '; '.join('%s: %s' % (a.site, a.describe()) for a in answers)
