"""Read the ``[filter:autosync]`` options into one frozen object.

Every value is checked when the filter loads; a bad one raises
``ConfigError`` naming the option and the value, so the proxy refuses to
start instead of running misconfigured.
"""

from dataclasses import dataclass
from typing import Optional, Tuple

from swift.common.utils import config_true_value

from autosync.placement import (
    REALM_STYLE,
    URL_STYLE,
    PlacementError,
    Site,
    check_member,
    parse_placement,
    parse_site,
)

DEFAULT_CONN_TIMEOUT = 0.5
DEFAULT_NODE_TIMEOUT = 10.0
DEFAULT_SIGNATURE_WINDOW = 60.0
# What a change does when another site cannot take it now.
SITE_DOWN_REFUSE = 'refuse'
SITE_DOWN_DEFER = 'defer'
SITE_DOWN_MODES = (SITE_DOWN_REFUSE, SITE_DOWN_DEFER)
# Swift's proxy defaults for error-limiting its storage nodes.
DEFAULT_ERROR_SUPPRESSION_INTERVAL = 60.0
DEFAULT_ERROR_SUPPRESSION_LIMIT = 10
BOOLEAN_WORDS = ('true', '1', 'yes', 'on', 't', 'y',
                 'false', '0', 'no', 'off', 'f', 'n')


class ConfigError(ValueError):
    """A filter option with a value autosync cannot run with; the message
    names the section, the option and the value."""

    section = 'filter:autosync'

    def __init__(self, option: str, value, why: str, section=None):
        self.section = section or self.section
        super().__init__('[%s] %s = %r: %s' % (
            self.section, option, value, why))
        self.option = option
        self.value = value
        self.why = why


@dataclass(frozen=True)
class AutosyncConfig:
    my_cluster: Optional[Site]
    placement: Tuple[Site, ...]
    key: Optional[str]
    key2: Optional[str]
    override_auth: bool
    forward_auth_token: bool
    conn_timeout: float
    node_timeout: float
    signature_window: float
    swift_dir: str
    site_down: str = SITE_DOWN_REFUSE
    error_suppression_interval: float = DEFAULT_ERROR_SUPPRESSION_INTERVAL
    error_suppression_limit: int = DEFAULT_ERROR_SUPPRESSION_LIMIT
    read_fallback: bool = False

    @property
    def enabled(self) -> bool:
        return self.my_cluster is not None

    @property
    def defers(self) -> bool:
        return self.site_down == SITE_DOWN_DEFER

    @property
    def style(self) -> Optional[str]:
        return self.my_cluster.style if self.my_cluster else None


def _boolean(conf: dict, option: str) -> bool:
    value = conf.get(option, 'false')
    if str(value).strip().lower() not in BOOLEAN_WORDS:
        raise ConfigError(option, value, 'expected true or false')
    return config_true_value(value)


def _seconds(conf: dict, option: str, default: float) -> float:
    value = conf.get(option, default)
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise ConfigError(option, value,
                          'expected a number of seconds') from None
    if not seconds > 0 or seconds == float('inf'):
        raise ConfigError(option, value, 'expected a positive number')
    return seconds


def positive(conf: dict, option: str, default, kind=float,
             section=None):
    """``option`` of ``conf`` as a positive ``kind``; ConfigError naming
    ``section``, the option and the value otherwise."""
    value = conf.get(option, default)
    try:
        number = kind(value)
    except (TypeError, ValueError):
        number = 0
    if number <= 0:
        raise ConfigError(option, value, 'expected a positive number',
                          section=section)
    return number


def _choice(conf: dict, option: str, choices, default: str) -> str:
    value = conf.get(option, default)
    if str(value).strip().lower() not in choices:
        raise ConfigError(option, value, 'expected %s' % ' or '.join(
            choices))
    return str(value).strip().lower()


def _count(conf: dict, option: str, default: int) -> int:
    value = conf.get(option, default)
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ConfigError(option, value, 'expected a whole number') \
            from None
    if number < 0:
        raise ConfigError(option, value, 'expected 0 or more')
    return number


def _secret(conf: dict, option: str) -> Optional[str]:
    value = conf.get(option, '').strip()
    return value or None


def parse(conf: dict, realms=None, section=None) -> AutosyncConfig:
    """Build the config from the merged filter conf (or the ``section``
    of another conf that holds the same options).

    ``realms`` is Swift's ``ContainerSyncRealms`` for this swift_dir; it
    is needed to check realm-style placements.
    """
    try:
        return _parse(conf, realms)
    except ConfigError as err:
        if section is None:
            raise
        raise ConfigError(err.option, err.value, err.why,
                          section=section) from None


def _parse(conf: dict, realms) -> AutosyncConfig:
    my_cluster_value = conf.get('autosync_my_cluster', '').strip()
    my_cluster = None
    if my_cluster_value:
        try:
            my_cluster = parse_site(my_cluster_value)
        except PlacementError as err:
            raise ConfigError('autosync_my_cluster', my_cluster_value,
                              str(err)) from err

    placement = (my_cluster,) if my_cluster else ()
    placement_value = conf.get('autosync_placement', '').strip()
    if placement_value:
        if not my_cluster:
            raise ConfigError('autosync_placement', placement_value,
                              'autosync_my_cluster must be set too')
        try:
            placement = parse_placement(placement_value)
            check_member(my_cluster, placement)
        except PlacementError as err:
            raise ConfigError('autosync_placement', placement_value,
                              str(err)) from err
        if placement[0].style != my_cluster.style:
            raise ConfigError(
                'autosync_placement', placement_value,
                'sites must be of the same style as autosync_my_cluster')

    cfg = AutosyncConfig(
        my_cluster=my_cluster,
        placement=placement,
        key=_secret(conf, 'autosync_key'),
        key2=_secret(conf, 'autosync_key2'),
        override_auth=_boolean(conf, 'override_auth'),
        forward_auth_token=_boolean(conf, 'forward_auth_token'),
        conn_timeout=_seconds(conf, 'conn_timeout', DEFAULT_CONN_TIMEOUT),
        node_timeout=_seconds(conf, 'node_timeout', DEFAULT_NODE_TIMEOUT),
        signature_window=_seconds(conf, 'signature_window',
                                  DEFAULT_SIGNATURE_WINDOW),
        swift_dir=conf.get('swift_dir', '/etc/swift'),
        site_down=_choice(conf, 'site_down', SITE_DOWN_MODES,
                          SITE_DOWN_REFUSE),
        error_suppression_interval=_seconds(
            conf, 'error_suppression_interval',
            DEFAULT_ERROR_SUPPRESSION_INTERVAL),
        error_suppression_limit=_count(conf, 'error_suppression_limit',
                                       DEFAULT_ERROR_SUPPRESSION_LIMIT),
        read_fallback=_boolean(conf, 'read_fallback'),
    )
    _check_keys(cfg, conf, realms)
    return cfg


def _check_keys(cfg: AutosyncConfig, conf: dict, realms) -> None:
    if cfg.style == URL_STYLE:
        if cfg.key2 and not cfg.key:
            raise ConfigError('autosync_key', conf.get('autosync_key', ''),
                              'autosync_key2 is set, autosync_key is not')
        if cfg.override_auth and not cfg.key:
            raise ConfigError(
                'override_auth', conf.get('override_auth'),
                'needs autosync_key: peers must prove who they are')
        if len(cfg.placement) > 1 and not cfg.key:
            raise ConfigError(
                'autosync_key', conf.get('autosync_key', ''),
                'needed to sign requests to the other sites of '
                'autosync_placement')
    if cfg.style == REALM_STYLE:
        option = 'autosync_placement' if conf.get('autosync_placement') \
            else 'autosync_my_cluster'
        for site in cfg.placement:
            _check_realm_site(site, realms, cfg.swift_dir, option,
                              conf.get(option))


def _check_realm_site(site: Site, realms, swift_dir: str, option: str,
                      value) -> None:
    where = '%s/container-sync-realms.conf' % swift_dir.rstrip('/')
    if realms is None or not realms.key(site.realm):
        raise ConfigError(option, value, 'realm %s has no key in %s' % (
            site.realm, where))
    if not realms.endpoint(site.realm, site.cluster):
        raise ConfigError(option, value, 'no cluster_%s in realm %s of %s'
                          % (site.cluster.lower(), site.realm, where))
