"""A client's change that another site could not take now
(``site_down = defer``): answered with the local 2xx naming where it is
pending, and recorded here for the reconciler and ``autosync status``.
"""

from swift.common.http import is_success
from swift.common.request_helpers import append_log_info
from swift.common.swob import Response, wsgi_quote
from swift.common.utils import Timestamp
from swift.common.wsgi import make_pre_authed_request
from swift.proxy.controllers.base import get_account_info

from autosync import plan
from autosync.context import ChangeContext
from autosync.protocol import (
    NO_TIMESTAMP_UPDATE_HEADER,
    PENDING_HEADER,
    PENDING_SYSMETA,
    info_sysmeta_key,
    parse_pending,
    pending_value,
)


class PendingChanges(ChangeContext):

    def deferred(self, change: plan.Change, local: Response,
                 failed) -> Response:
        """The local 2xx of a change applied here that ``failed`` sites
        could not take now (site_down = defer): it names them, and is
        recorded here as pending for the reconciler to carry."""
        pending = self.record_pending(change, [a.site for a in failed])
        local.headers[PENDING_HEADER] = pending
        append_log_info(self.env, 'as:deferred')
        self.logger.increment('fanout.deferred')
        self.logger.warning(
            'autosync: %s %s applied at %s, pending at %s: %s',
            self.method, self.req.path, change.here.name, pending,
            '; '.join('%s: %s' % (a.site, a.describe()) for a in failed))
        if change.previous:
            self.report_change(local, change)
        return local

    def record_pending(self, change: plan.Change, sites) -> str:
        """Record here the sites the change is pending at, with those
        an earlier deferred change still is; return them. Recorded as
        sysmeta (``protocol.pending_value``) for the reconciler and
        ``autosync status``; a failure to record is logged only: the
        reconciler finds the difference anyway."""
        level = 'Container' if self.container else 'Account'
        earlier_at, earlier = parse_pending(self.recorded_pending())
        pending = [site for site in change.other_sites
                   if site.name in sites or site.name in earlier.split(', ')]
        names = [site.name for site in pending]
        changed_at = max(change.changed_at or Timestamp.now().internal,
                         earlier_at)
        value = pending_value(changed_at, pending)
        sub = make_pre_authed_request(
            self.env, 'POST', wsgi_quote(self.req.path_info),
            headers={PENDING_SYSMETA % level: value,
                     NO_TIMESTAMP_UPDATE_HEADER: 'true'}, swift_source='AS')
        resp = sub.get_response(self.filt.app)
        if not is_success(resp.status_int):
            self.logger.error('autosync: could not record %s as pending '
                              'at %s: %s', self.req.path, ', '.join(names),
                              resp.status)
        return ', '.join(names)

    def recorded_pending(self) -> str:
        """The pending record this site holds for the account or
        container, read before the change ('' if none)."""
        if self.container:
            return self.existing_sysmeta.get(info_sysmeta_key(
                PENDING_SYSMETA % 'Container'), '')
        info = get_account_info(self.env, self.filt.app, swift_source='AS')
        return (info.get('sysmeta') or {}).get(
            info_sysmeta_key(PENDING_SYSMETA % 'Account'), '')


def site_trouble(answer) -> bool:
    """Whether a failed answer is the site's trouble (no answer, 5xx,
    error-limited), which ``site_down = defer`` defers, not a verdict on
    the change (4xx), which stays an error."""
    return answer.status is None or answer.status >= 500
