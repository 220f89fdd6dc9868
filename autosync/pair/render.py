"""Settings -> the configuration files of both clusters.

The files are ``templates/*`` filled in with :class:`string.Template`;
the parts that depend on the style (realm or full URL) or on whether
autosync is in the pipeline are built here.
"""

import getpass
import os
import string
from typing import Dict

from autosync.pair.layout import CLUSTERS, REALM, USERS, Layout, Settings

TEMPLATES_DIR = os.path.join(os.path.dirname(__file__), 'templates')
CONF_FILES = (
    'swift.conf',
    'container-sync-realms.conf',
    'proxy-server.conf',
    'account-server.conf',
    'container-server.conf',
    'object-server.conf',
    'internal-client.conf',
)

PIPELINE_BEFORE_AUTOSYNC = (
    'catch_errors gatekeeper healthcheck proxy-logging cache '
    'listing_formats container_sync bulk tempurl ratelimit tempauth')
PIPELINE_AFTER_AUTOSYNC = (
    'copy container-quotas account-quotas slo dlo versioned_writes '
    'symlink proxy-logging proxy-server')


def proxy_url(settings: Settings, cluster: str) -> str:
    return 'http://127.0.0.1:%d' % settings.port(cluster, 'proxy')


def realm_site(cluster: str) -> str:
    return '//%s/%s' % (REALM, cluster)


def pipeline(settings: Settings) -> str:
    middle = ' autosync ' if settings.autosync else ' '
    return PIPELINE_BEFORE_AUTOSYNC + middle + PIPELINE_AFTER_AUTOSYNC


def autosync_filter(settings: Settings, cluster: str) -> str:
    """The [filter:autosync] section (empty without autosync)."""
    if not settings.autosync:
        return ''
    if settings.style == 'realm':
        sites = [realm_site(c) for c in CLUSTERS]
        lines = ['autosync_my_cluster = %s' % realm_site(cluster)]
    else:
        sites = [proxy_url(settings, c) for c in CLUSTERS]
        lines = ['autosync_my_cluster = %s' % proxy_url(settings, cluster),
                 'autosync_key = %s' % settings.autosync_key]
    lines.append('autosync_placement = %s' % ', '.join(sites))
    lines.append('override_auth = true')
    return '\n[filter:autosync]\nuse = egg:swift-autosync#autosync\n%s\n' % (
        '\n'.join(lines))


def tempauth_users() -> str:
    return '\n'.join(
        ('user_%s_%s = %s %s' % (account, user, key, groups)).rstrip()
        for account, user, key, groups in USERS)


def values(layout: Layout, settings: Settings, cluster: str) -> Dict:
    url_style = settings.style == 'url'
    return {
        'cluster': cluster,
        'user': getpass.getuser(),
        'realm': REALM,
        'realm_key': settings.realm_key,
        'hash_prefix': 'autosync-pair-%s' % cluster,
        'hash_suffix': settings.hash_suffixes[cluster],
        'swift_dir': layout.swift_dir(cluster),
        'devices': layout.devices(cluster),
        'cache_dir': layout.cache_dir(cluster),
        'internal_client_conf': layout.conf(cluster, 'internal-client.conf'),
        'proxy_url_a': proxy_url(settings, 'a'),
        'proxy_url_b': proxy_url(settings, 'b'),
        'proxy_port': settings.port(cluster, 'proxy'),
        'account_port': settings.port(cluster, 'account'),
        'container_port': settings.port(cluster, 'container'),
        'object_port': settings.port(cluster, 'object'),
        'memcached_port': settings.port(cluster, 'memcached'),
        'sync_interval': '%g' % settings.sync_interval,
        'pipeline': pipeline(settings),
        'tempauth_users': tempauth_users(),
        'autosync_filter': autosync_filter(settings, cluster),
        # Full-URL sync: the copy must keep the original's timestamp, or
        # it looks newer and is synced back forever.
        'gatekeeper_options': (
            'shunt_inbound_x_timestamp = false\n' if url_style else ''),
        'container_options': (
            'allowed_sync_hosts = 127.0.0.1\n' if url_style else ''),
    }


def render(layout: Layout, settings: Settings) -> Dict[str, str]:
    """Every configuration file of the pair: path -> text."""
    files = {}
    for name in CONF_FILES:
        with open(os.path.join(TEMPLATES_DIR, name)) as f:
            template = string.Template(f.read())
        for cluster in CLUSTERS:
            files[layout.conf(cluster, name)] = template.substitute(
                values(layout, settings, cluster))
    return files


def write(layout: Layout, settings: Settings) -> None:
    """Write the configuration files, keeping secrets private."""
    for path, text in render(layout, settings).items():
        temporary = path + '.tmp'
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, 'w') as f:
            f.write(text)
        os.replace(temporary, path)
