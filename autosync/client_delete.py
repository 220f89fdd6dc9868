"""A client's container DELETE: before anything is deleted here, every
other site says whether its copy still holds objects; then one answer
from what every site did (``verdict.delete_outcome``).
"""

from swift.common.http import HTTP_NOT_FOUND
from swift.common.swob import Response, wsgi_quote
from swift.common.wsgi import make_pre_authed_request

from autosync import plan
from autosync.context import ChangeContext
from autosync.peers import fan_out
from autosync.protocol import (
    AUTHORIZE_ENV_KEY,
    AUTHORIZE_OVERRIDE_ENV_KEY,
    OBJECT_COUNT_HEADER,
)
from autosync.verdict import SiteAnswer, delete_outcome


class ContainerDelete(ChangeContext):

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
                              self.cfg.node_timeout, self.logger,
                              self.filt.limiter):
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
