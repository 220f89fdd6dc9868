"""A client's change of an account or container: here first, then every
other site of the placement, one answer.

1. The facts: this site, the container's placement (the one recorded
   with it, unless its owner asked for another through a placement
   engine), the times autosync records (``plan.Change``).
2. Refusals, before anything changes anywhere: a container placed
   elsewhere (409), a bad placement or a site autosync cannot address
   (500), the client's own sync headers or object versioning on a
   synced container (400/409, ``versioning.py``), a DELETE while another
   site's copy holds objects or cannot say (409/503).
3. The change here. Only when it worked (a DELETE: or was already gone)
   does any other site hear of it: each gets the request ``plan.py``
   plans from what this site's proxy honoured, signed, all at once.
4. One answer: the local one when every site agreed, else an error
   naming what each site said (``verdict.py``).
"""

import dataclasses

from swift.common.http import HTTP_NOT_FOUND, is_success
from swift.common.request_helpers import append_log_info
from swift.common.swob import (
    HTTPBadRequest,
    HTTPConflict,
    HTTPInternalServerError,
    Response,
    wsgi_quote,
)
from swift.common.utils import Timestamp
from swift.common.wsgi import make_pre_authed_request

from autosync import plan, versioning
from autosync.context import ChangeContext, reason
from autosync.peers import PeerRequest, fan_out
from autosync.placement import PlacementError, new_sync_key, parse_placement
from autosync.protocol import (
    ACCOUNT_ACL_SYSMETA,
    AUTHORIZE_ENV_KEY,
    AUTHORIZE_OVERRIDE_ENV_KEY,
    CHANGED_SYSMETA,
    OBJECT_COUNT_HEADER,
    OWNER_ENV_KEY,
    PLACEMENT_ENV_KEY,
    PLACEMENT_HEADER,
    PLACEMENT_SYSMETA,
    REQUESTED_ENV_KEY,
    RESELLER_ENV_KEY,
    RESELLER_HEADER,
    SYNC_KEY,
    SYNC_TO,
    UNWIRED_HEADER,
    VERSION_SYSMETA,
    info_sysmeta_key,
    placement_value,
)
from autosync.verdict import SiteAnswer, delete_outcome, failures


class ClientChange(ChangeContext):

    def respond(self) -> Response:
        try:
            change = self.facts()
        except PlacementError as err:
            return self.placement_error(err)
        if change.here not in change.placement:
            return self.off_placement(change)
        if change.writes_container:
            self.record_here(change)
        if len(change.placement) == 1 and not change.previous:
            return self.local_response()
        refusal = self.refuse_unsyncable(change)
        if refusal:
            return refusal
        try:
            change = self.wired(change)
        except PlacementError as err:
            return self.placement_error(err)
        return self.apply(change)

    # -- the facts --

    def facts(self) -> plan.Change:
        here = self.this_site()
        placement = self.cfg.placement
        if PLACEMENT_ENV_KEY in self.env:
            placement = parse_placement(self.env[PLACEMENT_ENV_KEY])
            if placement[0].style != self.cfg.style:
                raise PlacementError(
                    '%s is not of the configured style' % PLACEMENT_ENV_KEY)
        placement, previous, version = self.container_placement(placement)
        change = plan.Change(self.method, self.account, self.container,
                             here, tuple(placement), tuple(previous),
                             version)
        if change.writes_container:
            change = dataclasses.replace(
                change, changed_at=Timestamp.now().internal)
        return change

    def container_placement(self, placement):
        """(placement, previous placement if this changes it, version).

        A container keeps the placement recorded when it was made,
        whatever the rules say now, unless its owner asked for another.
        """
        if not self.container:
            return placement, (), ''
        recorded = self.existing_sysmeta.get(
            info_sysmeta_key(PLACEMENT_SYSMETA))
        if not recorded:
            return placement, (), Timestamp.now().internal
        recorded = parse_placement(recorded)
        version = self.existing_sysmeta.get(
            info_sysmeta_key(VERSION_SYSMETA)) or Timestamp.now().internal
        if self.env.get(REQUESTED_ENV_KEY) and \
                self.method in ('PUT', 'POST') and \
                tuple(placement) != recorded:
            return tuple(placement), recorded, Timestamp.now().internal
        return recorded, (), version

    def record_here(self, change: plan.Change) -> None:
        """What this site records with the container it writes."""
        self.req.headers[PLACEMENT_SYSMETA] = placement_value(
            change.placement)
        self.req.headers[VERSION_SYSMETA] = change.version
        self.req.headers[CHANGED_SYSMETA] = change.changed_at

    def wired(self, change: plan.Change) -> plan.Change:
        """``change`` with its container-sync ring, once every other site
        is known to be addressable: a site autosync cannot reach by name
        stops the change before anything changes anywhere."""
        ring = {}
        if change.writes_container:
            ring = plan.sync_ring(change.placement, self.account,
                                  self.container, self.sync_key())
            self.req.headers[SYNC_TO], self.req.headers[SYNC_KEY] = \
                ring[change.here]
        self.filt.sites.check_addressable(change.here, change.other_sites)
        return dataclasses.replace(change, ring=ring)

    def sync_key(self) -> str:
        """The container's key if it has one (a POST must not rotate it
        under a running container-sync), else a new one."""
        return self.existing.get('sync_key') or new_sync_key()

    # -- refusals --

    def off_placement(self, change: plan.Change) -> Response:
        if self.method == 'DELETE' and self.container and self.existing:
            # A copy a placement change left here, unwired: its owner may
            # delete it, here only.
            append_log_info(self.env, 'as:unwired-copy')
            return self.local_response()
        append_log_info(self.env, 'as:not-here')
        self.logger.increment('request.refused')
        names = placement_value(change.placement)
        resp = HTTPConflict(
            body='autosync: %s is placed on %s, not at this site (%s); '
                 'make this request there.\n' % (
                     self.req.path, names, change.here.name),
            content_type='text/plain', request=self.req)
        resp.headers[PLACEMENT_HEADER] = names
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

    def refuse_unsyncable(self, change: plan.Change):
        """The answer to a container change autosync cannot sync: 400 or
        409, or Swift's own to one that only disables versioning on a
        container that stays unsyncable. None for a change to sync."""
        if not change.writes_container:
            return None
        headers = self.req.headers
        own_sync = [h for h in (SYNC_TO, SYNC_KEY) if h in headers]
        if own_sync:
            return self.refuse(
                HTTPBadRequest, 'as:own-sync-headers',
                '%s: autosync sets container-sync on containers it syncs '
                'between sites; leave it out' % ', '.join(own_sync))
        if len(change.placement) == 1:
            return None  # synced nowhere: versioning as in plain Swift
        enabling = versioning.enabling(headers)
        if enabling:
            return self.refuse(
                HTTPBadRequest, 'as:versioning',
                '%s: object versioning cannot be used on a container '
                'synced between sites (container-sync does not carry '
                'versions)' % ', '.join(enabling))
        if not versioning.versioned_after(self.existing, headers):
            return None
        if versioning.disables(headers) and not change.previous:
            # Disabled where the versions are; container-sync still skips
            # the container, so nothing is wired and no other site
            # (which has no versions) is asked.
            append_log_info(self.env, 'as:versioning-off-here')
            return self.local_response()
        return self.refuse(HTTPConflict, 'as:versioned',
                           versioning.remedy(self.existing))

    # -- the change: here, then every other site --

    def forwarded(self) -> dict:
        """What other sites may get of the client's headers, read before
        the local request (auth may rewrite them)."""
        headers = plan.forwarded_headers(self.req.headers,
                                         self.cfg.forward_auth_token)
        if self.env.get(RESELLER_ENV_KEY):
            headers[RESELLER_HEADER] = 'true'
        return headers

    def apply(self, change: plan.Change) -> Response:
        forwarded = self.forwarded()
        if self.container and self.method == 'DELETE' and \
                self.local_delete_may_succeed():
            refusal = self.refuse_delete_left_behind(change, forwarded)
            if refusal:
                return refusal
        local = self.local_response()
        _ = local.body  # read it now: we answer only after every site did
        if not self.applied_here(local):
            return local
        sync_failed = None
        if change.ring:
            sync_failed = self.set_sync_here(local, change.here.name,
                                             *change.ring[change.here])
        honoured = plan.honoured(
            forwarded, bool(self.env.get(OWNER_ENV_KEY)),
            self.filt.owner_only_headers,
            ACCOUNT_ACL_SYSMETA in self.req.headers)
        answers = [sync_failed or SiteAnswer(
            change.here.name, local.status_int, reason(local))]
        answers += self.send_to_other_sites(change, honoured)
        if self.method == 'DELETE':
            return self.delete_answer(local, answers)
        return self.answer(change, local, answers, sync_failed)

    def applied_here(self, local: Response) -> bool:
        """Whether other sites are to hear of the change: it worked here
        (a DELETE: or the container was already gone)."""
        if self.method == 'DELETE':
            return is_success(local.status_int) or \
                local.status_int == HTTP_NOT_FOUND
        return is_success(local.status_int)

    def signed(self, change: plan.Change,
               site_change: plan.SiteChange) -> PeerRequest:
        return self.filt.sites.signed_request(
            change.here, site_change.site, site_change.method,
            self.account, self.container, site_change.headers)

    def send_to_other_sites(self, change: plan.Change, honoured: dict):
        metadata = plan.current_metadata(self.existing) \
            if change.previous else {}
        requests = [self.signed(change, site_change) for site_change in
                    plan.site_changes(change, honoured, metadata)]
        append_log_info(self.env, 'as:fanout')
        answers = fan_out(requests, self.cfg.conn_timeout,
                          self.cfg.node_timeout, self.logger)
        for answer in answers:
            self.logger.increment('peer.ok' if answer.ok else 'peer.failed')
        return answers

    # -- the answer --

    def answer(self, change: plan.Change, local: Response, answers,
               sync_failed) -> Response:
        failed = failures(answers)
        if not failed:
            self.logger.increment('fanout.ok')
            if change.previous:
                self.report_change(local, change)
            return local
        if sync_failed:
            return self.disagreement(503, self.sync_failure_message(
                sync_failed.site, [a.site for a in failed
                                   if a is not sync_failed]), answers,
                failed)
        return self.disagreement(
            503, '%s %s was applied at %s but failed at %s; the sites now '
            'differ. Repeat the request when they are all reachable.' % (
                self.method, self.req.path,
                ', '.join(a.site for a in answers if a.ok),
                ', '.join(a.site for a in failed)), answers, failed)

    def report_change(self, local: Response, change: plan.Change) -> None:
        local.headers[PLACEMENT_HEADER] = placement_value(change.placement)
        if change.unwired:
            # Never deleted: the owner decides what becomes of them.
            local.headers[UNWIRED_HEADER] = placement_value(change.unwired)
        self.logger.info('autosync: %s placement %s -> %s, unwired: %s',
                         self.req.path, placement_value(change.previous),
                         placement_value(change.placement),
                         placement_value(change.unwired) or '-')

    # -- a container DELETE --

    def local_delete_may_succeed(self) -> bool:
        """Ask other sites nothing for a client the proxy will refuse or
        a container that holds objects here: Swift's own answer says it.
        (A HEAD, not cached container info, which lags object deletes.)"""
        authorize = self.env.get(AUTHORIZE_ENV_KEY)
        if authorize and not self.env.get(AUTHORIZE_OVERRIDE_ENV_KEY) and \
                authorize(self.req):
            return False
        # Quoted: make_pre_authed_request unquotes its path.
        head = make_pre_authed_request(self.env, 'HEAD',
                                       wsgi_quote(self.req.path_info),
                                       swift_source='AS')
        resp = head.get_response(self.filt.app)
        return not (resp.is_success and _holds_objects(resp.headers))

    def sites_holding_objects(self, change: plan.Change, forwarded: dict):
        """Ask every other site, before deleting here, whether its copy
        still holds objects: deleting here first and failing there would
        leave that copy with no site syncing to it or from it."""
        heads = [self.signed(change, check)
                 for check in plan.emptiness_checks(change, forwarded)]
        holders, unknown = [], []
        for answer in fan_out(heads, self.cfg.conn_timeout,
                              self.cfg.node_timeout, self.logger):
            if answer.ok and _holds_objects(answer.headers):
                count = _object_count(answer.headers)
                holders.append(SiteAnswer(answer.site, None, 'holds %s %s' % (
                    count, 'object' if count == '1' else 'objects')))
            elif not (answer.ok or answer.status == HTTP_NOT_FOUND):
                # A site that cannot say would not take the DELETE
                # either: deleting here would leave its copy unsynced.
                unknown.append(answer)
        return holders, unknown

    def refuse_delete_left_behind(self, change: plan.Change,
                                  forwarded: dict):
        """503 when a site cannot say whether its copy is empty, 409
        when one is not: nothing is deleted anywhere. None to go on."""
        holders, unknown = self.sites_holding_objects(change, forwarded)
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
            self.req.path, why), answers, culprits)


def _object_count(headers) -> str:
    """The object count of a container HEAD's headers (swob's, or a
    peer's answer's, lower-cased), as sent."""
    return headers.get(OBJECT_COUNT_HEADER.lower(), '0')


def _holds_objects(headers) -> bool:
    count = _object_count(headers)
    return count.isdigit() and int(count) > 0
