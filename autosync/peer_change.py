"""A request from another site: verify it, apply it here only, and never
fan it out again.

Another site sends a change a client made there (PUT, POST, DELETE of an
account or container), or reads one (a signed HEAD of a container
before it deletes its own copy; the reconciler and ``autosync status``,
with HEAD, and GET of a container's objects or an account's
containers). The request must carry ``X-Orig-Cluster`` naming a site this
one trusts and an ``X-Autosync-Auth`` signature that verifies, for this
very site, within ``signature_window``, never seen before; otherwise it
gets 401 and reaches nothing (503 when this site cannot tell now whether
it saw it: ``replay.py``). A verified request:

* acts as the account owner under ``override_auth`` (with reseller
  rights when the origin's auth gave them), validating and storing an
  account ACL as tempauth would;
* applies nothing, answering 202 "superseded", when this site holds a
  newer change than the client change it carries (``crossing.py``);
* records the placement it carries, unless a newer placement decision is
  recorded here (409), and the newest changed-at time;
* records its origin as sysmeta (shown as X-Autosync-Orig-Cluster);
* sets the container's sync target and key as autosync when the proxy
  would drop them;
* on a HEAD, shows the container's timestamps and autosync's records
  (``state.py``), or the account's records (``account_state.py``);
* answers a read with ``autosync verify``'s challenge itself, with the
  challenge signed back, and lets it go no further.
"""

from swift.common.http import HTTP_CREATED
from swift.common.request_helpers import append_log_info
from swift.common.swob import (
    HTTPAccepted,
    HTTPBadRequest,
    HTTPConflict,
    HTTPNoContent,
    HTTPServiceUnavailable,
    HTTPUnauthorized,
    Response,
    wsgi_quote,
    wsgi_to_str,
)
from swift.common.utils import Timestamp
from swift.common.wsgi import make_pre_authed_request
from swift.proxy.controllers.base import get_account_info

from autosync import crossing, owners
from autosync.context import ChangeContext
from autosync.directory import signs_query
from autosync.placement import PlacementError
from autosync.protocol import (
    ACCOUNT_ACL_HEADER,
    ACCOUNT_ACL_SYSMETA,
    ACCOUNT_CHANGED_SYSMETA,
    AUTH_HEADER,
    AUTHORIZE_ENV_KEY,
    AUTHORIZE_OVERRIDE_ENV_KEY,
    CACHE_ENV_KEY,
    CHANGED_AT_HEADER,
    CHANGED_SYSMETA,
    CLIENT_CHANGE_HEADER,
    CLIENT_PUT_HEADER,
    NO_TIMESTAMP_UPDATE_HEADER,
    ORIG_CLUSTER_HEADER,
    ORIG_SYSMETA,
    OWNER_ENV_KEY,
    PLACEMENT_SYSMETA,
    RESELLER_ENV_KEY,
    RESELLER_HEADER,
    SET_PLACEMENT_HEADER,
    SYNC_KEY,
    SYNC_TO,
    VERIFY_CHALLENGE_HEADER,
    VERIFY_PROOF_HEADER,
    VERSION_SYSMETA,
    info_sysmeta_key,
    parse_set_placement,
)
from autosync.replay import LedgerUnavailable
from autosync.signing import (
    NONCE_SHAPE,
    SignatureError,
    prove,
    signed_fields,
    verify,
)


def _authorize_peer(req):
    """swift.authorize for a verified peer under override_auth."""
    return None


class PeerChange(ChangeContext):

    origin = None  # the Site the request comes from, once verified
    obj = None  # an object's name, for a read of one (peer_read.py)

    def respond(self) -> Response:
        refusal = self.accept('as:peer')
        if refusal:
            return refusal
        headers = self.req.headers
        challenge = headers.pop(VERIFY_CHALLENGE_HEADER, None)
        if challenge is not None and self.method in ('GET', 'HEAD'):
            return self.prove(challenge)
        reseller = headers.pop(RESELLER_HEADER, None) == 'true'
        refusal = self.act_as_owner(reseller) if self.cfg.override_auth \
            else None
        made_at = headers.pop(CLIENT_CHANGE_HEADER, None)
        put_at = headers.pop(CLIENT_PUT_HEADER, None) or made_at
        if self.container and self.method == 'POST' and not made_at:
            # A repair (or an unwiring): an earlier change, not a new
            # write for a crossing delete to be weighed against.
            headers[NO_TIMESTAMP_UPDATE_HEADER] = 'true'
        refusal = refusal or self.refuse_older(made_at, put_at)
        refusal = refusal or self.record_placement(
            headers.pop(SET_PLACEMENT_HEADER, None))
        if refusal:
            return refusal
        self.record_changed_at(headers.pop(CHANGED_AT_HEADER, None))
        self.record_origin()
        resp = self.apply_here()
        # Only a PUT that made the container (201) can have made again one
        # deleted here: the container server answers 202 to a PUT of one
        # that exists, and a delete landing after such a PUT, older than
        # it, was refused (409) and deleted nothing.
        if put_at and self.container and self.method == 'PUT' and \
                resp.status_int == HTTP_CREATED:
            resp = self.undo_if_deleted_since(resp, put_at)
        return resp

    def accept(self, log_code: str):
        """None once the request verifies (``verify``), logged as
        ``log_code`` and counted, its signature header dropped; else the
        refusal to answer."""
        refusal = self.verify()
        if refusal:
            return refusal
        append_log_info(self.env, log_code)
        self.logger.increment('auth.valid')
        del self.req.headers[AUTH_HEADER]
        return None

    def verify(self):
        """None when the request is signed by a trusted site, for this
        one, and new; else the 401 (or 503: ``unverifiable_now``)."""
        headers = self.req.headers
        orig = headers.get(ORIG_CLUSTER_HEADER, '')
        query = self.env.get('QUERY_STRING', '') if signs_query(
            self.method, self.obj) else ''
        try:
            origin = self.filt.sites.trusted_origin(orig)
            # Signed for this very site: a request to another site does
            # not verify here (each site has its own nonces).
            signed = verify(
                self.filt.sites.peer_keys(origin),
                signed_fields(self.method, self.req.path, query, orig,
                              self.this_site().ident, headers),
                headers.get(AUTH_HEADER), self.cfg.signature_window)
            first = self.filt.nonces.first_use(
                signed.nonce, signed.signed_at, self.env.get(CACHE_ENV_KEY))
        except PlacementError as err:
            return self.refuse_peer('as:bad-origin', str(err))
        except SignatureError as err:
            return self.refuse_peer(err.reason, str(err))
        except LedgerUnavailable as err:
            return self.unverifiable_now(err.reason, str(err))
        if not first:
            return self.refuse_peer('as:replay',
                                    'this signed request was already used')
        self.origin = origin
        return None

    def prove(self, challenge: str) -> Response:
        """``autosync verify``'s signed read, answered here and nothing
        else done: its challenge signed back with the key this site
        signs with, so the sender sees whether its keys verify ours."""
        append_log_info(self.env, 'as:verify')
        if not NONCE_SHAPE.fullmatch(challenge):
            return HTTPBadRequest(body='autosync: %s must be 32 hex digits.'
                                  '\n' % VERIFY_CHALLENGE_HEADER,
                                  content_type='text/plain', request=self.req)
        here = self.this_site()
        resp = HTTPNoContent(request=self.req)
        resp.headers[VERIFY_PROOF_HEADER] = prove(
            self.filt.sites.signing_key(here), challenge, here.ident,
            self.origin.ident)
        return resp

    def unverifiable_now(self, reason_code: str, why: str) -> Response:
        """503: this site cannot tell now whether the request is new
        (``replay.py``); the sending site takes it as down for now."""
        append_log_info(self.env, reason_code)
        self.logger.increment('auth.unavailable')
        self.logger.warning('autosync: cannot accept %s %s from %r now: %s',
                            self.method, self.req.path,
                            self.req.headers.get(ORIG_CLUSTER_HEADER), why)
        return HTTPServiceUnavailable(
            body='autosync: request from another site not accepted now: '
                 '%s.\n' % why, content_type='text/plain', request=self.req)

    def refuse_peer(self, reason_code: str, why: str) -> Response:
        append_log_info(self.env, reason_code)
        self.logger.increment('auth.invalid')
        self.logger.warning('autosync: refused %s %s from %r: %s',
                            self.method, self.req.path,
                            self.req.headers.get(ORIG_CLUSTER_HEADER), why)
        return HTTPUnauthorized(
            body='autosync: request from another site refused: %s.\n'
                 % why, content_type='text/plain', request=self.req)

    def act_as_owner(self, reseller: bool):
        """Act with the rights the origin's auth gave the client; the
        refusal of an invalid account ACL, else None."""
        self.env[AUTHORIZE_ENV_KEY] = _authorize_peer
        self.env[AUTHORIZE_OVERRIDE_ENV_KEY] = True
        self.env[OWNER_ENV_KEY] = True
        if reseller:
            self.env[RESELLER_ENV_KEY] = True
        return self.set_account_acl()

    def set_account_acl(self):
        """Do for an account ACL what tempauth's authorize() does, which
        override_auth replaced: refuse an invalid one (400), store a valid
        one as sysmeta, as it was sent; the proxy would drop the header."""
        value = self.req.headers.get(ACCOUNT_ACL_HEADER)
        if value is None or self.container or \
                self.method not in ('PUT', 'POST'):
            return None
        error = owners.account_acl_error(wsgi_to_str(value))
        if error:
            return self.refuse(HTTPBadRequest, 'as:bad-acl', '%s: %s'
                               % (ACCOUNT_ACL_HEADER, error))
        self.req.headers[ACCOUNT_ACL_SYSMETA] = \
            self.req.headers.pop(ACCOUNT_ACL_HEADER)
        return None

    def refuse_older(self, made_at, put_at):
        """202 without applying anything when this site holds a newer
        change than the client change that arrives (``crossing.py``):
        of two crossing changes, every site keeps the newer."""
        if not made_at or self.method not in ('PUT', 'POST', 'DELETE'):
            return None
        here = self.state_here()
        newer = crossing.newer_here(self.method, here, made_at, put_at)
        if not newer:
            return None
        return self.superseded_answer(here, newer, made_at)

    def superseded_answer(self, here, newer: str, made_at: str) -> Response:
        append_log_info(self.env, 'as:superseded')
        self.logger.increment('peer.superseded')
        self.logger.info('autosync: %s %s from %s, made at %s: not applied, '
                         'superseded by the change made at %s here',
                         self.method, self.req.path, self.origin.name,
                         made_at, newer)
        resp = HTTPAccepted(
            body='autosync: superseded: a newer change (%s) is recorded '
                 'here; this one (%s) was not applied.\n' % (newer, made_at),
            content_type='text/plain', request=self.req)
        resp.headers.update(crossing.superseded_headers(here, newer))
        return resp

    def undo_if_deleted_since(self, resp: Response, put_at: str) -> Response:
        """Swift has no compare-and-swap: a delete here may have landed
        between the check and this PUT, which then made again a container
        deleted after it was made there. Delete it again (only when
        empty: objects are never deleted), and say it was superseded."""
        here = self.state_here()
        if not crossing.deleted_since(here, put_at):
            return resp
        delete = make_pre_authed_request(
            self.env, 'DELETE', wsgi_quote(self.req.path_info),
            swift_source='AS')
        if not delete.get_response(self.filt.app).is_success:
            return resp  # not empty, or in trouble: the reconciler's
        return self.superseded_answer(here, here.delete_timestamp, put_at)

    def record_placement(self, value):
        """Record the placement another site sent, unless a newer change
        is recorded here: of two concurrent changes, the later one wins
        at every site, so the ring ends whole."""
        if not value:
            return None
        version, placement = parse_set_placement(value)
        here = self.existing_sysmeta.get(info_sysmeta_key(VERSION_SYSMETA))
        if here and Timestamp(here) > Timestamp(version):
            append_log_info(self.env, 'as:older-placement')
            return HTTPConflict(
                body='autosync: a newer placement change is recorded here '
                     '(%s); this one (%s) was not applied.\n' % (
                         here, version),
                content_type='text/plain', request=self.req)
        self.req.headers[PLACEMENT_SYSMETA] = placement
        self.req.headers[VERSION_SYSMETA] = version
        return None

    def record_changed_at(self, changed_at) -> None:
        """Keep the newest time a client changed the settings: two
        changes that cross between sites both apply everywhere, and the
        reconciler settles any difference in favour of the newest."""
        if not changed_at or self.method not in ('PUT', 'POST'):
            return
        if self.container:
            sysmeta, here = CHANGED_SYSMETA, self.existing_sysmeta
        else:
            sysmeta, here = ACCOUNT_CHANGED_SYSMETA, (get_account_info(
                self.env, self.filt.app, swift_source='AS').get(
                    'sysmeta') or {})
        here = here.get(info_sysmeta_key(sysmeta))
        try:
            if here and Timestamp(here) >= Timestamp(changed_at):
                return
        except ValueError:
            return
        self.req.headers[sysmeta] = changed_at

    def record_origin(self) -> None:
        """Sysmeta, not user metadata: an extra user item at peers only
        would make requests within Swift's metadata limits here fail
        there. Clients cannot set or forge sysmeta."""
        if self.method in ('PUT', 'POST'):
            level = 'Container' if self.container else 'Account'
            self.req.headers[ORIG_SYSMETA % level] = self.origin.name

    def apply_here(self) -> Response:
        headers = self.req.headers
        sync_to, sync_key = headers.get(SYNC_TO), headers.get(SYNC_KEY)
        resp = self.local_response()
        if sync_to is not None and sync_key is not None:
            resp = self.ensure_sync_headers(resp, sync_to, sync_key)
        if self.method == 'HEAD':
            resp.headers.update(self.exposed(resp.headers))
        return resp

    def ensure_sync_headers(self, resp: Response, sync_to: str,
                            sync_key: str) -> Response:
        """``resp``, once the container's sync headers are set here, or
        a 503 saying they could not be."""
        failed = self.set_sync_here(resp, self.cfg.my_cluster.name,
                                    sync_to, sync_key)
        if not failed:
            return resp
        return self.disagreement(
            503, self.sync_failure_message(failed.site), [failed])
