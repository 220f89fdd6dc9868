"""Settings -> the configuration files of every cluster.

The files are ``templates/*`` filled in with :class:`string.Template`;
the parts that depend on the number of sites, the style (realm or full
URL) or on which filters are in the pipeline are built here.

An extra filter goes in every proxy before autosync: ``up
--placement-conf FILE`` puts FILE's ``[filter:placement]`` section into
each proxy-server.conf and ``placement`` into the pipeline right before
``autosync`` (after ``tempauth``).
"""

import configparser
import getpass
import os
import string
from typing import Dict, List

from autosync.pair import keystone, services
from autosync.pair.layout import (
    NODE_KINDS,
    REALM,
    USERS,
    Layout,
    Settings,
    node_port_key,
    proxy_port_key,
)

TEMPLATES_DIR = os.path.join(os.path.dirname(__file__), 'templates')
CONF_FILES = (
    'swift.conf',
    'container-sync-realms.conf',
    'proxy-server.conf',
    'account-server.conf',
    'container-server.conf',
    'object-server.conf',
    'internal-client.conf',
    'autosync-reconciler.conf',
)

PIPELINE_BEFORE_AUTH = (
    'catch_errors gatekeeper healthcheck proxy-logging cache '
    'listing_formats container_sync bulk tempurl ratelimit')
AUTH = 'tempauth'
KEYSTONE_AUTH = ['authtoken', 'keystoneauth']
# s3api goes right before auth, which checks its signatures.
S3API = 's3api'
# The region boto3 and the aws CLI sign for unless told otherwise.
S3_REGION = 'us-east-1'
S3API_SECTION = """
[filter:s3api]
use = egg:swift#s3api
location = %s
""" % S3_REGION
PIPELINE_AFTER_AUTOSYNC = (
    'copy container-quotas account-quotas slo dlo versioned_writes '
    'symlink proxy-logging proxy-server')


# container-updater forks a child for every partition holding containers
# on each pass, each costing about 0.17 s of CPU: every 5 s it kept a
# core busy per cluster (measured: 50 s of CPU a minute with 300
# containers), and every 60 s it was still 14% of a whole test run's
# CPU. It only carries containers' object counts to the account, which
# the pair's users rarely wait for: Swift's default interval, 300 s.
CONTAINER_UPDATER_INTERVAL = 300.0


def proxy_url(settings: Settings, cluster: str) -> str:
    return 'http://127.0.0.1:%d' % settings.port(cluster, 'proxy')


def proxy_urls(settings: Settings, cluster: str) -> List[str]:
    """Every proxy of ``cluster``, the first (the realm's) first."""
    return ['http://127.0.0.1:%d' % settings.port(
        cluster, proxy_port_key(n)) for n in range(1, settings.proxies + 1)]


def realm_site(cluster: str) -> str:
    return '//%s/%s' % (REALM, cluster)


PLACEMENT_SECTION = 'filter:placement'


def pipeline(settings: Settings) -> str:
    if settings.auth != 'keystone':
        auth = ([S3API] if settings.s3 else []) + [AUTH]
    elif settings.s3:
        # As s3api's docs say: authtoken first (it would strip what
        # s3token sets), s3token checking S3 signatures with Keystone.
        auth = ['authtoken', S3API, 's3token', 'keystoneauth']
    else:
        auth = KEYSTONE_AUTH
    middle = (['placement'] if settings.placement_conf else []) + (
        ['autosync'] if settings.autosync else [])
    return ' '.join([PIPELINE_BEFORE_AUTH] + auth + middle
                    + [PIPELINE_AFTER_AUTOSYNC])


def check_placement_conf(text: str, source: str) -> None:
    """Raise ValueError unless ``text`` is one [filter:placement] section
    with a ``use`` line: the proxy's conf gets it as it is."""
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text, source)
    except configparser.Error as e:
        raise ValueError('--placement-conf %s: %s' % (source, e)) from e
    found = (['DEFAULT'] if parser.defaults() else []) + parser.sections()
    if found != [PLACEMENT_SECTION] or not parser.has_option(
            PLACEMENT_SECTION, 'use'):
        raise ValueError(
            '--placement-conf %s: must hold exactly one [%s] section, '
            'with a "use" line (found sections: %s)'
            % (source, PLACEMENT_SECTION, ', '.join(found) or 'none'))


def placement_filter(settings: Settings) -> str:
    """The [filter:placement] section (empty without one)."""
    if not settings.placement_conf:
        return ''
    return '\n%s\n' % settings.placement_conf.strip()


def realm_clusters(settings: Settings) -> str:
    """The realm's cluster_x lines: every cluster, in every swift_dir."""
    return '\n'.join('cluster_%s = %s/v1/' % (c, proxy_url(settings, c))
                     for c in settings.clusters)


def autosync_options(settings: Settings, cluster: str) -> str:
    """The sites and keys: the filter's and the reconciler's options."""
    if settings.style == 'realm':
        sites = [realm_site(c) for c in settings.clusters]
        lines = ['autosync_my_cluster = %s' % realm_site(cluster)]
    else:
        sites = [proxy_url(settings, c) for c in settings.clusters]
        lines = ['autosync_my_cluster = %s' % proxy_url(settings, cluster),
                 'autosync_key = %s' % settings.autosync_key]
    lines.append('autosync_placement = %s' % ', '.join(sites))
    return '\n'.join(lines)


def autosync_filter(settings: Settings, cluster: str) -> str:
    """The [filter:autosync] section (empty without autosync)."""
    if not settings.autosync:
        return ''
    return ('\n[filter:autosync]\nuse = egg:swift-autosync#autosync\n%s\n'
            'override_auth = true\nsite_down = %s\n'
            'error_suppression_interval = %g\nread_fallback = %s\n' % (
                autosync_options(settings, cluster), settings.site_down,
                settings.error_suppression_interval,
                'true' if settings.read_fallback else 'false'))


def keystone_filters(settings: Settings) -> str:
    if settings.auth != 'keystone':
        return ''
    return keystone.proxy_filters(settings) + (
        keystone.s3token_filter(settings) if settings.s3 else '')


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
        'realm_clusters': realm_clusters(settings),
        'proxy_port': settings.port(cluster, 'proxy'),
        'proxy_log_name': 'proxy-server-%s' % cluster,
        'node': '',
        'account_port': settings.port(cluster, 'account'),
        'container_port': settings.port(cluster, 'container'),
        'object_port': settings.port(cluster, 'object'),
        'memcached_port': settings.port(cluster, 'memcached'),
        'statsd_port': settings.port(cluster, 'statsd'),
        'sync_interval': '%g' % settings.sync_interval,
        'container_updater_interval': '%g' % max(
            settings.sync_interval, CONTAINER_UPDATER_INTERVAL),
        'pipeline': pipeline(settings),
        'tempauth_users': tempauth_users(),
        'placement_filter': placement_filter(settings),
        's3api_filter': S3API_SECTION if settings.s3 else '',
        'keystone_filters': keystone_filters(settings),
        'autosync_filter': autosync_filter(settings, cluster),
        'autosync_options': autosync_options(settings, cluster),
        # Full-URL sync: the copy must keep the original's timestamp, or
        # it looks newer and is synced back forever.
        'gatekeeper_options': (
            'shunt_inbound_x_timestamp = false\n' if url_style else ''),
        'container_options': (
            'allowed_sync_hosts = 127.0.0.1\n' if url_style else ''),
        **replicator_sections(settings, cluster),
    }


def replicator_sections(settings: Settings, cluster: str) -> Dict[str, str]:
    """``account_replicator`` and so on: the [*-replicator] section of
    each storage server's conf, with --replicas 3 (else empty). DBs go
    whole through the cluster's rsync daemon, objects by ssync."""
    sections = {}
    for kind in NODE_KINDS:
        text = ''
        if settings.replicas > 1:
            text = '\n[%s-replicator]\ninterval = %g\n' % (
                kind, settings.sync_interval)
            if kind == 'object':
                text += 'sync_method = ssync\n'
            else:
                text += 'rsync_module = rsync://127.0.0.1:%d/%s\n' % (
                    settings.port(cluster, 'rsync'), kind)
        sections[kind + '_replicator'] = text
    return sections


def rsyncd_conf(layout: Layout, settings: Settings, cluster: str) -> str:
    """The cluster's rsync daemon: a module per ring, on its devices."""
    lines = ['# Cluster %s of an autosync pair; written by autosync-pair.'
             % cluster,
             'address = 127.0.0.1',
             'port = %d' % settings.port(cluster, 'rsync'),
             'use chroot = no',
             # As root, rsyncd would write as nobody otherwise.
             'uid = %d' % os.getuid(), 'gid = %d' % os.getgid(),
             'log file = %s' % layout.log(cluster, 'rsyncd')]
    for kind in NODE_KINDS:
        lines += ['[%s]' % kind, 'path = %s' % layout.devices(cluster),
                  'read only = false',
                  'lock file = %s' % os.path.join(
                      layout.run_dir(cluster), '%s.lock' % kind)]
    return '\n'.join(lines) + '\n'


def template(name: str) -> string.Template:
    with open(os.path.join(TEMPLATES_DIR, name)) as f:
        return string.Template(f.read())


def render(layout: Layout, settings: Settings) -> Dict[str, str]:
    """Every configuration file of the pair: path -> text."""
    files = {}
    for name in CONF_FILES:
        conf = template(name)
        for cluster in settings.clusters:
            files[layout.conf(cluster, name)] = conf.substitute(
                values(layout, settings, cluster))
    files.update(extra_proxy_confs(layout, settings))
    files.update(node_confs(layout, settings))
    if settings.auth == 'keystone':
        files[layout.conf('a', 'keystone.conf')] = keystone.conf_text(layout)
    return files


# Each storage node's confs past the first (--replicas 3).
NODE_CONF_FILES = ('account-server.conf', 'container-server.conf',
                   'object-server.conf', 'autosync-reconciler.conf')


def node_confs(layout: Layout, settings: Settings) -> Dict[str, str]:
    """Node 2's and 3's servers and reconciler: node 1's, on their
    own ports, logging under their own names; and each cluster's
    rsyncd.conf."""
    files = {}
    if settings.replicas == 1:
        return files
    confs = {name: template(name) for name in NODE_CONF_FILES}
    for cluster in settings.clusters:
        files[layout.conf(cluster, services.RSYNC.conf)] = rsyncd_conf(
            layout, settings, cluster)
        for node in range(2, settings.replicas + 1):
            ports = {'%s_port' % kind: settings.port(
                cluster, node_port_key(kind, node)) for kind in NODE_KINDS}
            for name, conf in confs.items():
                path = layout.conf(cluster, name.replace(
                    '.conf', '-%d.conf' % node))
                files[path] = conf.substitute(
                    values(layout, settings, cluster), node='-%d' % node,
                    **ports)
    return files


def extra_proxy_confs(layout: Layout, settings: Settings) -> Dict[str, str]:
    """The conf of each proxy past the first (``--proxies``): the
    first's, on its own port, logging under its own name."""
    conf = template('proxy-server.conf')
    files = {}
    for cluster in settings.clusters:
        for service in services.EXTRA_PROXIES[:settings.proxies - 1]:
            files[layout.conf(cluster, service.conf)] = conf.substitute(
                values(layout, settings, cluster),
                proxy_port=settings.port(cluster, service.port),
                proxy_log_name='%s-%s' % (service.name, cluster))
    return files


def write(layout: Layout, settings: Settings) -> None:
    """Write the configuration files, keeping secrets private."""
    for path, text in render(layout, settings).items():
        temporary = path + '.tmp'
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, 'w') as f:
            f.write(text)
        os.replace(temporary, path)
