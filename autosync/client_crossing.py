"""What a client's change does about crossing writes (``crossing.py``):
the times Swift recorded for it here, which every other site gets with
it; the whole settings of a site that held a newer change, taken here;
its own change applied here again when an older one landed over it.
"""

import dataclasses

from swift.common.http import is_success
from swift.common.request_helpers import append_log_info
from swift.common.swob import Response, wsgi_quote
from swift.common.utils import Timestamp
from swift.common.wsgi import make_pre_authed_request

from autosync import crossing, plan
from autosync.context import ChangeContext
from autosync.protocol import OWNER_ENV_KEY, SUPERSEDED_HEADER


class CrossingWrites(ChangeContext):

    def with_times_here(self, change: plan.Change) -> plan.Change:
        """``change`` with the times Swift recorded for it here, read
        after it was applied: a container DELETE's delete time, a PUT's
        put time. A site holding the container compares them with its
        own (``crossing.py``); both sites compare the same pair."""
        if not self.container:
            return change
        if self.method == 'DELETE':
            # Swift keeps the delete time when a crossing PUT makes the
            # container again at once: it is still the one to send.
            deleted = self.state_here().delete_timestamp
            return dataclasses.replace(change, made_at=(
                deleted if Timestamp(deleted) > 0
                else Timestamp.now().internal))
        if self.method == 'PUT':
            here = self.state_here()
            if here.exists:
                return dataclasses.replace(change,
                                           put_at=here.put_timestamp)
        return change

    def superseded(self, local: Response, site: str, headers: dict) -> None:
        """A site answered that it holds a newer change: its change
        is on its way here too, and sets only what it names, so take
        the whole of its settings now (``crossing.py``). The client is
        told, in SUPERSEDED_HEADER, which site's change won."""
        local.headers[SUPERSEDED_HEADER] = site
        append_log_info(self.env, 'as:superseded-at-peer')
        self.logger.increment('fanout.superseded')
        if self.method not in ('PUT', 'POST'):
            return
        taking = crossing.taking_headers(self.state_here(), headers)
        if not taking:
            return
        post = make_pre_authed_request(
            self.env, 'POST', wsgi_quote(self.req.path_info),
            headers=taking, swift_source='AS')
        post.environ[OWNER_ENV_KEY] = True  # ACLs are owner-only
        resp = post.get_response(self.filt.app)
        if is_success(resp.status_int):
            self.logger.info('autosync: %s %s: superseded by the newer '
                             'change at %s; its settings taken here',
                             self.method, self.req.path, site)
        else:
            self.logger.error('autosync: %s %s: superseded at %s, taking '
                              'its settings here failed: %s; the '
                              'reconciler settles it', self.method,
                              self.req.path, site, resp.status)

    def reassert(self, change: plan.Change, honoured: dict) -> None:
        """Swift has no compare-and-swap: another site's older change,
        checked here before this one landed, may have landed after it
        (its request got a later Swift timestamp here). Apply this
        change again here when the record shows that."""
        here = self.state_here()
        if not here.exists or Timestamp(here.changed_at or 0) >= \
                Timestamp(change.changed_at):
            return
        headers = crossing.reasserting_headers(
            bool(self.container), honoured, change.changed_at)
        post = make_pre_authed_request(
            self.env, 'POST', wsgi_quote(self.req.path_info),
            headers=headers, swift_source='AS')
        post.environ[OWNER_ENV_KEY] = True  # ACLs are owner-only
        resp = post.get_response(self.filt.app)
        append_log_info(self.env, 'as:reasserted')
        self.logger.increment('fanout.reasserted')
        if not is_success(resp.status_int):
            self.logger.error('autosync: %s %s: an older change landed over '
                              'it here; applying it again failed: %s',
                              self.method, self.req.path, resp.status)
