"""A client's change of an account or container: here first, then every
other site of the placement, one answer.

1. The facts: this site, the container's placement (the one recorded
   with it, unless its owner asked for another through a placement
   engine), the times autosync records (``plan.Change``).
2. Refusals, before anything changes anywhere: a container placed
   elsewhere (409), a bad placement or a site autosync cannot address
   (500), the client's own sync headers or object versioning on a
   synced container (400/409, ``versioning.py``), a change whose request
   for another site its proxy would refuse (400, ``peer_limits.py``), a
   DELETE while another site's copy holds objects or cannot say
   (409/503). A container PUT that changes nothing goes nowhere else.
3. The change here. Only when it worked (a DELETE: or was already gone)
   does any other site hear of it: each gets the request ``plan.py``
   plans from what this site's proxy honoured, signed, all at once,
   with the change's times (``crossing.py``).
4. One answer: the local one when every site agreed (or a site held a
   newer change, whose settings are then taken here), the local one
   naming the sites it is pending at when they could not take it and
   ``site_down = defer``, else an error naming what each site said
   (``verdict.py``).

The parts with a job of their own are mixins: ``client_delete.py`` (a
container DELETE), ``client_pending.py`` (a change deferred at a site),
``client_crossing.py`` (a change crossing another site's).
"""

import dataclasses

from swift.common.http import HTTP_NOT_FOUND, is_success
from swift.common.request_helpers import append_log_info
from swift.common.swob import (
    HTTPBadRequest,
    HTTPConflict,
    HTTPInternalServerError,
    Response,
)
from swift.common.utils import Timestamp

from autosync import crossing, peer_limits, plan, versioning
from autosync.client_crossing import CrossingWrites
from autosync.client_delete import ContainerDelete
from autosync.client_pending import PendingChanges, site_trouble
from autosync.context import reason
from autosync.peers import PeerRequest, fan_out
from autosync.placement import (
    PlacementError,
    new_sync_key,
    parse_placement,
    same_sync_target,
)
from autosync.protocol import (
    ACCOUNT_ACL_SYSMETA,
    ACCOUNT_CHANGED_SYSMETA,
    CHANGED_SYSMETA,
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
from autosync.verdict import SiteAnswer, failures


class ClientChange(CrossingWrites, PendingChanges, ContainerDelete):

    def respond(self) -> Response:
        try:
            change = self.facts()
        except PlacementError as err:
            return self.placement_error(err)
        if change.here not in change.placement:
            return self.off_placement(change)
        if self.unchanged_put(change):
            # What ``swift upload`` sends first: no other site is asked
            # (nor waited for when one is down).
            append_log_info(self.env, 'as:unchanged')
            self.logger.increment('request.unchanged')
            return self.local_response()
        if change.writes_settings:
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
        refusal = self.refuse_over_peer_limits(change)
        if refusal:
            return refusal
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
        if self.changes_settings(change):
            now = Timestamp.now().internal
            change = dataclasses.replace(change, changed_at=now,
                                         made_at=now)
        return change

    def changes_settings(self, change: plan.Change) -> bool:
        """Whether the change sets something, and so is the newest
        write from now on: a PUT or POST that sets nothing (a bare POST
        of an account, as tools send to make one exist) must not make
        this site's older settings win over a newer change elsewhere.
        A new container is a change in itself."""
        if not change.writes_settings:
            return False
        return plan.carries_settings(self.req.headers) or (
            bool(change.container) and self.method == 'PUT' and
            not self.existing)

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

    def unchanged_put(self, change: plan.Change) -> bool:
        """A container PUT that changes nothing: the container exists
        here, wired for this placement (same ring target, a key), and
        the request sets nothing (``plan.carries_settings``), and no
        earlier change is pending at another site. Swift
        answers it 202 and only moves the put time; the reconciler
        carries the container to any site that lacks it."""
        if self.method != 'PUT' or not self.container or \
                not self.existing or change.previous or \
                len(change.placement) == 1 or \
                plan.carries_settings(self.req.headers) or \
                self.recorded_pending():
            return False
        target, _ = plan.sync_ring(change.placement, self.account,
                                   self.container, '')[change.here]
        return bool(self.existing.get('sync_key')) and same_sync_target(
            self.existing.get('sync_to') or '', target)

    def record_here(self, change: plan.Change) -> None:
        """What this site records with the account or container it
        writes."""
        if not change.container:
            if change.changed_at:
                self.req.headers[ACCOUNT_CHANGED_SYSMETA] = change.changed_at
            return
        self.req.headers[PLACEMENT_SYSMETA] = placement_value(
            change.placement)
        self.req.headers[VERSION_SYSMETA] = change.version
        if change.changed_at:
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

    def refuse_over_peer_limits(self, change: plan.Change):
        """400, before anything changes anywhere, for a change whose
        request for another site its proxy would refuse for its headers
        (``peer_limits.py``)."""
        why = peer_limits.refusal(
            change, self.forwarded(), plan.current_metadata(self.existing)
            if change.previous else {}, self.req.headers,
            self.filt.sites.url, getattr(self.logger, 'txn_id', None))
        return self.refuse(HTTPBadRequest, 'as:peer-limits', why) \
            if why else None

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
        change = self.with_times_here(change)
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
        newer = crossing.winner(answers)
        if newer:
            self.superseded(local, *newer)
        elif change.changed_at:
            self.reassert(change, honoured)
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
                          self.cfg.node_timeout, self.logger,
                          self.filt.limiter)
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
        if self.cfg.defers and not sync_failed and \
                all(site_trouble(a) for a in failed):
            return self.deferred(change, local, failed)
        if sync_failed:
            return self.disagreement(503, self.sync_failure_message(
                sync_failed.site, [a.site for a in failed
                                   if a is not sync_failed]), answers,
                failed)
        trouble = [a.site for a in failed if site_trouble(a)]
        if trouble:
            # Refused, yet applied here: recorded as pending all the
            # same, so that a repeated bare PUT is not taken for one
            # that changes nothing and ``autosync status`` says why.
            self.record_pending(change, trouble)
        return self.disagreement(
            503, '%s %s was applied at %s but failed at %s; the sites '
            'differ until autosync-reconciler carries it there, or the '
            'request is repeated.' % (
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
