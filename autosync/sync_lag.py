"""The ``sync.lag`` timing: how long container-sync took to bring each
object here, measured by the proxy that takes it, for free.

container-sync sends every object PUT and DELETE with the X-Timestamp
the object has at the site it comes from (its copy keeps it), and with
its credentials: ``X-Container-Sync-Auth`` (realm style; Swift's
container_sync filter has checked it and moved the timestamp back from
where the gatekeeper put it) or ``X-Container-Sync-Key`` (full-URL
style; the proxy checks it). Once such a request succeeded, now minus
that timestamp is the delay of that hop, from the write at the origin to
the copy here: it is sent to StatsD as the timing ``sync.lag`` (in ms,
with the filter's ``log_statsd_*`` options, as every autosync metric).
A request that failed (a bad key, a 404 for a DELETE) is not timed.
"""

import time

from swift.common.utils import Timestamp

LAG_METRIC = 'sync.lag'
TIMED_METHODS = ('PUT', 'DELETE')


def lag_timed(logger, env, start_response):
    """``start_response``, timing the request's lag once it succeeds;
    as it is when there is nothing to time."""
    sent_at = env.get('HTTP_X_TIMESTAMP')
    if not sent_at or env['REQUEST_METHOD'] not in TIMED_METHODS:
        return start_response
    try:
        written = float(Timestamp(sent_at))
    except ValueError:
        return start_response

    def timed(status, headers, exc_info=None):
        if status[:1] == '2':
            # Clocks a little apart can make a fast hop look negative.
            logger.timing(LAG_METRIC,
                          max(0.0, time.time() - written) * 1000)
        return start_response(status, headers, exc_info)
    return timed
