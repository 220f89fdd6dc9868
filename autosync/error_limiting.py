"""Error-limit another site that keeps failing, as Swift's proxy
error-limits a storage node that does.

A site that refuses connections, answers 5xx or errs counts one error; a
site that times out (connect or answer) is limited at once, as Swift
limits a node that says it is out of storage: one hung site must cost a
client one ``node_timeout``, not one per request. A site with more than
``error_suppression_limit`` errors, the last less than
``error_suppression_interval`` seconds ago, is limited: requests to it
are not sent and it answers at once, "error-limited". When the interval
has passed since its last error, the next request tries it again. Each
proxy worker keeps its own count, as Swift's does::

    [filter:autosync]
    error_suppression_interval = 60
    error_suppression_limit = 10

The reconciler carries what a limited site missed once it answers again
(``site_down = defer``); with ``refuse`` the client is told at once.
"""

from swift.common.error_limiter import ErrorLimiter

from autosync.verdict import SiteAnswer

LIMITED = 'error-limited'


class SiteErrorLimiter(ErrorLimiter):
    """Swift's ``ErrorLimiter``, keyed by site name instead of by node."""

    def __init__(self, interval: float, limit: int, logger):
        super().__init__(interval, limit)
        self.logger = logger

    def node_key(self, site_name: str) -> str:
        return site_name

    def refusal(self, site_name: str):
        """The answer of a limited site, None for one to try."""
        if not self.is_limited(site_name):
            return None
        self.logger.increment('peer.error_limited')
        return SiteAnswer(site_name, None, '%s (%s)' % (
            LIMITED, self.stats[site_name].get('why', 'errors')))

    def record(self, answer: SiteAnswer) -> None:
        """Count ``answer`` against its site if it is a failure of the
        site, not of the request (a 4xx is the site's verdict)."""
        if answer.timed_out:
            self.limit(answer.site)
        elif answer.status is None or answer.status >= 500:
            if not self.increment(answer.site):
                return
        else:
            return
        # What the site last did, for the answers while it is limited.
        self.stats[answer.site]['why'] = answer.describe()
        if self.is_limited(answer.site):
            self._limited(answer.site, answer.describe())

    def _limited(self, site_name: str, why: str) -> None:
        self.logger.increment('peer.limited')
        self.logger.error('autosync: %s will be error-limited for %gs: %s',
                          site_name, self.suppression_interval, why)
