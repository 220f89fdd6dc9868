"""Placement rules: which sites a new container belongs on.

A rule has a name, one or more conditions, all of which must hold, and
the sites it places a matching container on. Rules are tried in order;
the first that matches wins, else the default placement applies::

    rules = logs, eu
    rule_logs_container_prefix = logs-
    rule_logs_sites = //realm/a, //realm/c
    rule_eu_account = AUTH_eu
    rule_eu_sites = //realm/a

Conditions: ``account`` (exact), ``account_prefix``, ``container_prefix``,
``container_regex`` (Python ``re``, matched from the start of the name).
Pure: parsing and matching only.
"""

import re
from dataclasses import dataclass
from typing import Callable, Dict, Optional, Sequence, Tuple

from swift.common.utils import list_from_csv

from autosync.config import ConfigError
from autosync.placement import PlacementError, Site, parse_placement

Matcher = Callable[[str, str], bool]  # (account, container) -> matches


def _account(value: str) -> Matcher:
    return lambda account, container: account == value


def _account_prefix(value: str) -> Matcher:
    return lambda account, container: account.startswith(value)


def _container_prefix(value: str) -> Matcher:
    return lambda account, container: container.startswith(value)


def _container_regex(value: str) -> Matcher:
    pattern = re.compile(value)  # re.error is reported by the caller
    return lambda account, container: bool(pattern.match(container))


CONDITIONS: Dict[str, Callable[[str], Matcher]] = {
    'account': _account,
    'account_prefix': _account_prefix,
    'container_prefix': _container_prefix,
    'container_regex': _container_regex,
}


class RuleError(ConfigError):
    """A rule the placement filter cannot use."""

    section = 'filter:placement'


@dataclass(frozen=True)
class Rule:
    name: str
    conditions: Tuple[Tuple[str, str], ...]
    matchers: Tuple[Matcher, ...]
    sites: Tuple[Site, ...]

    def matches(self, account: str, container: str) -> bool:
        return all(match(account, container) for match in self.matchers)


def parse_sites(option: str, value, known: Optional[Sequence[Site]]
                ) -> Tuple[Site, ...]:
    """A placement from config, every site of it among ``known``."""
    try:
        sites = parse_placement(value)
    except PlacementError as err:
        raise RuleError(option, value, str(err)) from err
    if known is not None:
        unknown = [s.name for s in sites if s not in known]
        if unknown:
            raise RuleError(option, value, 'unknown site(s) %s; known: %s'
                            % (', '.join(unknown),
                               ', '.join(s.name for s in known)))
    return sites


def parse_rules(conf: dict, known: Sequence[Site]) -> Tuple[Rule, ...]:
    rules = []
    names = list_from_csv(conf.get('rules', ''))
    for name in names:
        if not re.match(r'^[A-Za-z0-9-]+$', name):
            # No underscores: rule_<name>_<condition> must split one way.
            raise RuleError('rules', conf.get('rules'),
                            'rule name %r: use letters, digits and -' % name)
        rules.append(_parse_rule(conf, name, known))
    if len(set(names)) != len(names):
        raise RuleError('rules', conf.get('rules'), 'a rule is listed twice')
    orphans = sorted(
        key for key in conf if key.startswith('rule_') and
        not any(key.startswith('rule_%s_' % name) for name in names))
    if orphans:
        raise RuleError(orphans[0], conf[orphans[0]],
                        'not a condition of any rule listed in "rules"')
    return tuple(rules)


def _parse_rule(conf: dict, name: str, known: Sequence[Site]) -> Rule:
    prefix = 'rule_%s_' % name
    sites_option = prefix + 'sites'
    if sites_option not in conf:
        raise RuleError(sites_option, None, 'rule %s has no sites' % name)
    sites = parse_sites(sites_option, conf[sites_option], known)
    conditions, matchers = [], []
    for key in sorted(conf):
        if not key.startswith(prefix) or key == sites_option:
            continue
        kind, value = key[len(prefix):], conf[key]
        if kind not in CONDITIONS:
            raise RuleError(key, value, 'unknown condition %r; use %s' % (
                kind, ', '.join(sorted(CONDITIONS))))
        if not value:
            raise RuleError(key, value, 'empty condition')
        try:
            matchers.append(CONDITIONS[kind](value))
        except re.error as err:
            raise RuleError(key, value, 'bad regular expression: %s'
                            % err) from err
        conditions.append((kind, value))
    if not conditions:
        raise RuleError(sites_option, conf[sites_option],
                        'rule %s has no condition' % name)
    return Rule(name, tuple(conditions), tuple(matchers), sites)


def choose(rules: Sequence[Rule], default: Tuple[Site, ...], account: str,
           container: str) -> Tuple[Optional[str], Tuple[Site, ...]]:
    """(name of the rule that matched or None, the placement)."""
    for rule in rules:
        if rule.matches(account, container):
            return rule.name, rule.sites
    return None, default
