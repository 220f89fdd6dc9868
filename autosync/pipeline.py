"""Refuse a proxy pipeline in which autosync cannot work.

autosync must run after the auth middleware: it relies on auth having
decided who the client is before the local request, and it hands verified
peer requests to the proxy as the account owner (``override_auth``),
which only means something after auth. Like s3api's check, this reads the
pipeline from the proxy's config file. Filters are known by the entry
point their ``use =`` line loads, not by their section names, so
``[filter:auth]`` with ``use = egg:swift#keystoneauth`` is auth too.
"""

from typing import List, Optional

from swift.common.wsgi import loadcontext, loadwsgi

AUTH_ENTRY_POINTS = ('tempauth', 'keystoneauth')
AUTOSYNC_ENTRY_POINT = 'autosync'


def pipeline_filters(conf: dict):
    """(section name, entry point) of each filter of the proxy pipeline,
    or None when unknown."""
    conf_file = conf.get('__file__')
    if not conf_file:
        return None
    try:
        ctx = loadcontext(loadwsgi.APP, conf_file)
        return [(getattr(f, 'name', '?'), getattr(f, 'entry_point_name', ''))
                for f in ctx.filter_contexts]
    except Exception:
        return None  # not a proxy-server.conf we can read: nothing to check


def check_pipeline(conf: dict, logger) -> None:
    """Raise ValueError when an auth filter comes after autosync."""
    filters = pipeline_filters(conf)
    entry_points = [entry_point for _, entry_point in filters or ()]
    if AUTOSYNC_ENTRY_POINT not in entry_points:
        return None
    position = entry_points.index(AUTOSYNC_ENTRY_POINT)
    shown = ' '.join(name for name, _ in filters)
    late_auth = [name for name, entry_point in filters[position + 1:]
                 if entry_point in AUTH_ENTRY_POINTS]
    if late_auth:
        raise ValueError(
            'Invalid pipeline %r: autosync must come after %s'
            % (shown, ' and '.join(late_auth)))
    if not any(e in AUTH_ENTRY_POINTS for e in entry_points[:position]):
        logger.warning('autosync: no tempauth or keystoneauth before it in '
                       'the pipeline %r; make sure auth runs first', shown)
    return filters


def auth_before_autosync(filters) -> Optional[List[str]]:
    """The sections of the auth filters before autosync in ``filters``
    (``pipeline_filters``'), for /info: ``autosync verify`` reads
    every site's there; None when the pipeline is unknown."""
    entry_points = [entry_point for _, entry_point in filters or ()]
    if AUTOSYNC_ENTRY_POINT not in entry_points:
        return None
    position = entry_points.index(AUTOSYNC_ENTRY_POINT)
    return [name for name, entry_point in filters[:position]
            if entry_point in AUTH_ENTRY_POINTS]
