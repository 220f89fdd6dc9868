"""Refuse a proxy pipeline in which autosync cannot work.

autosync must run after the auth middleware: it relies on auth having
decided who the client is before the local request, and it hands verified
peer requests to the proxy as the account owner (``override_auth``),
which only means something after auth. Like s3api's check, this reads the
pipeline from the proxy's config file and knows Swift's own auth filters
by their usual section names.
"""

from swift.common.wsgi import PipelineWrapper, loadcontext, loadwsgi

AUTH_FILTERS = ('tempauth', 'keystoneauth')


def pipeline_names(conf: dict):
    """Filter names of the proxy pipeline, or None when unknown."""
    conf_file = conf.get('__file__')
    if not conf_file:
        return None
    try:
        ctx = loadcontext(loadwsgi.APP, conf_file)
        return str(PipelineWrapper(ctx)).split(' ')
    except Exception:
        return None  # not a proxy-server.conf we can read: nothing to check


def check_pipeline(conf: dict, filter_name: str, logger) -> None:
    """Raise ValueError when an auth filter comes after autosync."""
    names = pipeline_names(conf)
    if not names or filter_name not in names:
        return
    position = names.index(filter_name)
    late_auth = [n for n in names[position + 1:] if n in AUTH_FILTERS]
    if late_auth:
        raise ValueError(
            'Invalid pipeline %r: autosync must come after %s'
            % (' '.join(names), ' and '.join(late_auth)))
    if not any(n in AUTH_FILTERS for n in names[:position]):
        logger.warning('autosync: no tempauth or keystoneauth before it in '
                       'the pipeline %r; make sure auth runs first',
                       ' '.join(names))
    return names
