"""Read before sync: an object GET or HEAD that this site answers 404 is
read from another site of the container's placement, so an object written
at one site can be read at every site before container-sync has carried
it. Off unless asked for::

    [filter:autosync]
    read_fallback = true

Another site is asked only when all of these hold:

* the request is a client's: not another site's (``peer_read.py``
  answers those from its own store: no fallback of a fallback, no loop)
  and not container-sync's own (``X-Container-Sync-Auth`` /
  ``X-Container-Sync-Key``): its daemon HEADs the object at the next site
  before each PUT and skips the PUT when the timestamps match, so an
  answer from the sending site would stop the object from ever being
  copied;
* this site's auth allowed this very request (``swift.authorize``
  returned nothing for it): a 401 or 403 is never turned into a read
  elsewhere;
* this site answered 404, and the container here records a placement
  with other sites.

The sites are asked one at a time, walking the ring backwards from this
one: first the site that syncs to this one, which has what this one will
get next. Each gets a signed GET or HEAD with the client's range and
conditions (and query, e.g. ``?multipart-manifest=get``), checked there
as every peer request is; a site the error limiter limits is skipped.
The first that has the object (2xx, or 304/412/416, which say it exists)
is streamed back with its headers and ``X-Autosync-Read-From`` naming it,
unless this site's 404 carries a delete (Swift's ``X-Backend-Timestamp``),
or a site asked before answered 404 with one (``X-Autosync-Deleted-At``),
no older than that copy: an object deleted is not brought back by an
older copy. When no site has it, the client gets this site's own 404.

Counted as ``fallback.hit``, ``fallback.miss`` (no site has it, or only
copies older than a delete: logged ``as:deleted-here`` or
``as:deleted-there``) and ``fallback.error`` (none had it and at least
one could not say); logged ``as:fallback-hit``, ``-miss``, ``-error``.
A 404 in a container with no other site to ask is not counted.
"""

from swift.common.constraints import check_utf8, valid_api_version
from swift.common.request_helpers import append_log_info
from swift.common.swob import Request, wsgi_to_str
from swift.common.utils import Timestamp, split_path
from swift.common.wsgi import WSGIContext

from autosync import plan
from autosync.context import ChangeContext
from autosync.peers import open_read
from autosync.placement import PlacementError, parse_placement
from autosync.protocol import (
    AUTHORIZE_ENV_KEY,
    BACKEND_TIMESTAMP,
    DELETED_AT_HEADER,
    NOT_RELAYED,
    OBJECT_TIMESTAMP,
    PLACEMENT_SYSMETA,
    READ_FROM_HEADER,
    READ_HEADERS,
    info_sysmeta_key,
)

# Answers that say the site has the object (a range or condition it
# did not meet included).
HAS_IT = (304, 412, 416)
PLACEMENT_KEY = info_sysmeta_key(PLACEMENT_SYSMETA)


def read_with_fallback(filt, env, start_response):
    """The WSGI answer to a client's GET or HEAD of what may be an
    object, read here first. Anything but a 404 that auth allowed, of an
    object path, goes back as it is: a 200 costs a status check."""
    allowed = watch_authorize(env)
    local = WSGIContext(filt.app)
    app_iter = local._app_call(env)
    names = None
    if local._response_status[:3] == '404' and allowed:
        names = object_names(env['PATH_INFO'])
    if not names:
        start_response(local._response_status, local._response_headers,
                       local._response_exc_info)
        return app_iter
    fallback = FallbackRead(filt, Request(env), *names)
    return fallback.respond(local, app_iter)(env, start_response)


def object_names(path: str):
    """(account, container, object) of an object path, else None."""
    try:
        version, account, container, obj = split_path(path, 4, 4, True)
    except ValueError:
        return None
    if not obj or not valid_api_version(version) or \
            not check_utf8(wsgi_to_str(path)):
        return None
    return account, container, obj


def watch_authorize(env) -> list:
    """A list that gets an entry when this site's auth allows the
    request in ``env`` (its ``swift.authorize`` returns nothing for that
    path); empty when auth refused it, or never ran."""
    allowed = []
    authorize = env.get(AUTHORIZE_ENV_KEY)
    if authorize is None:
        return allowed
    path = env['PATH_INFO']

    def authorize_watched(req):
        denial = authorize(req)
        if denial is None and req.environ.get('PATH_INFO') == path:
            allowed.append(True)
        return denial
    env[AUTHORIZE_ENV_KEY] = authorize_watched
    return allowed


class FallbackRead(ChangeContext):
    """A client's object read that this site answered 404."""

    def __init__(self, filt, req, account: str, container: str, obj: str):
        super().__init__(filt, req, account, container)
        self.obj = wsgi_to_str(obj)

    def respond(self, local: WSGIContext, local_body):
        sites = self.sites_to_ask()
        if not sites:
            return self.local_404(local, local_body)
        # The newest delete known: here, or at a site asked before.
        deleted_at = self.deleted_at(local._response_headers)
        deleted_where = 'here'
        errors = skipped = 0
        for site in sites:
            answer, body = self.ask(site)
            if body is not None and self.has_it(answer.status):
                if deleted_at and not _newer(answer.headers, deleted_at):
                    skipped += 1
                    body.close()
                    continue
                close_iter(local_body)
                return self.relayed(site, answer, body)
            if body is not None:
                body.close()
            if answer.status != 404:
                errors += 1
                continue
            there = self.deleted_at(answer.headers.items(),
                                    DELETED_AT_HEADER)
            if there and (not deleted_at or there > deleted_at):
                deleted_at, deleted_where = there, 'there'
        if errors:
            outcome = 'fallback-error', 'fallback.error'
        elif skipped:
            outcome = 'deleted-' + deleted_where, 'fallback.miss'
        else:
            outcome = 'fallback-miss', 'fallback.miss'
        return self.local_404(local, local_body, outcome)

    def sites_to_ask(self):
        """The other sites of the container's placement, the ring walked
        backwards from this one; none when it records no placement or
        this site is not in it."""
        recorded = self.existing_sysmeta.get(PLACEMENT_KEY)
        if not recorded:
            return ()
        try:
            placement = parse_placement(recorded)
            here = placement.index(self.this_site())
        except (PlacementError, ValueError):
            return ()
        return tuple(placement[here - step]
                     for step in range(1, len(placement)))

    def ask(self, site):
        """(answer, body or None) of ``site`` to this read."""
        refusal = self.filt.limiter.refusal(site.name)
        if refusal:
            return refusal, None
        headers = {name: value for name, value in self.req.headers.items()
                   if name.lower() in READ_HEADERS}
        if self.cfg.forward_auth_token:
            headers.update(plan.tokens_of(dict(self.req.headers)))
        request = self.filt.sites.signed_request(
            self.this_site(), site, self.method, self.account,
            self.container, headers, query=self.env.get('QUERY_STRING', ''),
            obj=self.obj)
        answer, body = open_read(request, self.cfg.conn_timeout,
                                 self.cfg.node_timeout, self.logger)
        self.filt.limiter.record(answer)
        if body is not None and answer.status != 404 and \
                not self.has_it(answer.status):
            self.logger.warning('autosync: read of %s at %s: %d %s',
                                self.req.path, site.name, answer.status,
                                answer.detail)
        return answer, body

    @staticmethod
    def has_it(status) -> bool:
        return status is not None and (200 <= status < 300 or
                                       status in HAS_IT)

    @staticmethod
    def deleted_at(headers, name: str = BACKEND_TIMESTAMP):
        """When the object was deleted, from a 404's ``headers`` (name,
        value pairs): this site's own (Swift's backend timestamp), or
        another site's (autosync's header); None when it says nothing of
        a delete."""
        for header, value in headers:
            if header.lower() == name.lower():
                try:
                    return Timestamp(value)
                except ValueError:
                    return None
        return None

    def relayed(self, site, answer, body):
        append_log_info(self.env, 'as:fallback-hit')
        self.logger.increment('fallback.hit')
        headers = [(name, value) for name, value in body.headers
                   if name.lower() not in NOT_RELAYED]
        headers.append((READ_FROM_HEADER, site.name))
        status = '%d %s' % (answer.status, answer.detail)
        head = self.method == 'HEAD'
        if head:
            body.close()

        def app(env, start_response):
            start_response(status, headers)
            return [b''] if head else body
        return app

    def local_404(self, local: WSGIContext, local_body, outcome=None):
        """This site's own 404; ``outcome`` (log code, counter) when
        other sites were asked."""
        if outcome:
            append_log_info(self.env, 'as:' + outcome[0])
            self.logger.increment(outcome[1])
        body = b''.join(local_body)
        close_iter(local_body)

        def app(env, start_response):
            start_response(local._response_status, local._response_headers,
                           local._response_exc_info)
            return [body]
        return app


def _newer(headers: dict, deleted_at: Timestamp) -> bool:
    """Whether another site's copy (its lower-cased answer ``headers``)
    is newer than the delete found here; a copy that does not say when
    it was written is not."""
    try:
        return Timestamp(headers.get(OBJECT_TIMESTAMP.lower())) > deleted_at
    except (TypeError, ValueError):
        return False


def close_iter(app_iter) -> None:
    close = getattr(app_iter, 'close', None)
    if close is not None:
        close()
