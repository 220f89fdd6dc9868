"""Placement rules: each condition, how rules combine and the config
errors that stop the proxy at start, each naming option and value."""

import pytest

from autosync.placement import parse_placement
from autosync.rules import RuleError, choose, parse_rules

from helpers import REALM_SITES

A, B, C = REALM_SITES
KNOWN = parse_placement([A, B, C])
DEFAULT = KNOWN


def rules_from(**conf):
    return parse_rules(conf, KNOWN)


def placed(rules, account='AUTH_test', container='c'):
    """(rule name or None, site names) for one container."""
    rule, sites = choose(rules, DEFAULT, account, container)
    return rule, [site.name for site in sites]


def assert_refused(option, *phrases, **conf):
    """parse_rules(conf) raises RuleError naming ``option`` and saying
    each of ``phrases``."""
    with pytest.raises(RuleError) as caught:
        rules_from(**conf)
    assert caught.value.option == option
    for phrase in phrases:
        assert phrase in str(caught.value)


# Conditions

def test_account_condition_matches_that_account():
    rules = rules_from(rules='eu', rule_eu_account='AUTH_eu',
                       rule_eu_sites=A)
    assert placed(rules, account='AUTH_eu') == ('eu', [A])


def test_account_condition_is_exact_not_a_prefix():
    rules = rules_from(rules='eu', rule_eu_account='AUTH_eu',
                       rule_eu_sites=A)
    assert placed(rules, account='AUTH_eu2') == (None, [A, B, C])


def test_account_prefix_matches_accounts_starting_with_it():
    rules = rules_from(rules='eu', rule_eu_account_prefix='AUTH_eu',
                       rule_eu_sites=A)
    assert placed(rules, account='AUTH_eu-west') == ('eu', [A])
    assert placed(rules, account='AUTH_us') == (None, [A, B, C])


def test_container_prefix_matches_containers_starting_with_it():
    rules = rules_from(rules='logs', rule_logs_container_prefix='logs-',
                       rule_logs_sites='%s, %s' % (A, C))
    assert placed(rules, container='logs-2024') == ('logs', [A, C])
    assert placed(rules, container='my-logs-2024') == (None, [A, B, C])


def test_container_regex_matches_from_the_start_of_the_name():
    rules = rules_from(rules='logs', rule_logs_container_regex=r'logs-\d+',
                       rule_logs_sites=B)
    assert placed(rules, container='logs-2024-old') == ('logs', [B])
    assert placed(rules, container='old-logs-2024') == (None, [A, B, C])


def test_every_condition_of_a_rule_must_hold():
    rules = rules_from(rules='eulogs', rule_eulogs_account='AUTH_eu',
                       rule_eulogs_container_prefix='logs-',
                       rule_eulogs_sites=C)
    assert placed(rules, 'AUTH_eu', 'logs-1') == ('eulogs', [C])
    assert placed(rules, 'AUTH_eu', 'photos') == (None, [A, B, C])
    assert placed(rules, 'AUTH_us', 'logs-1') == (None, [A, B, C])


def test_a_rule_keeps_its_sites_in_the_order_given():
    rules = rules_from(rules='r', rule_r_account='AUTH_test',
                       rule_r_sites='%s, %s, %s' % (C, A, B))
    assert placed(rules) == ('r', [C, A, B])


# Combining rules

def test_first_matching_rule_in_rules_order_wins():
    # Listed z before a: the order of "rules", not of the options.
    rules = rules_from(rules='z, a',
                       rule_a_container_prefix='logs', rule_a_sites=A,
                       rule_z_container_prefix='logs-', rule_z_sites=C)
    assert placed(rules, container='logs-1') == ('z', [C])
    assert placed(rules, container='logsbook') == ('a', [A])


def test_default_applies_when_no_rule_matches():
    rules = rules_from(rules='logs', rule_logs_container_prefix='logs-',
                       rule_logs_sites=A)
    assert placed(rules, container='photos') == (None, [A, B, C])


def test_no_rules_means_the_default_for_every_container():
    assert rules_from() == ()
    assert placed(()) == (None, [A, B, C])


def test_non_ascii_account_and_container_names_match():
    rules = rules_from(rules='ete', rule_ete_account_prefix='AUTH_é',
                       rule_ete_container_regex='été-[0-9]',
                       rule_ete_sites=B)
    assert placed(rules, 'AUTH_équipe', 'été-2024') == ('ete', [B])
    assert placed(rules, 'AUTH_équipe', 'hiver') == (None, [A, B, C])


def test_rule_sites_are_known_sites_however_spelled():
    rules = rules_from(rules='r', rule_r_account='AUTH_test',
                       rule_r_sites='//REALM/A/')
    assert [site.name for site in rules[0].sites] == ['//REALM/A']


# Config errors

def test_unknown_site_in_rule_names_the_site_and_the_known_ones():
    assert_refused('rule_logs_sites',
                   "rule_logs_sites = '//realm/a, //realm/z'",
                   'unknown site(s) //realm/z',
                   'known: //realm/a, //realm/b, //realm/c',
                   rules='logs', rule_logs_container_prefix='logs-',
                   rule_logs_sites='%s, //realm/z' % A)


def test_malformed_rule_sites_are_refused_naming_the_option():
    assert_refused('rule_logs_sites', 'ftp://example.com',
                   rules='logs', rule_logs_container_prefix='logs-',
                   rule_logs_sites='ftp://example.com')


def test_unknown_condition_kind_is_refused():
    assert_refused('rule_logs_container_suffix',
                   "rule_logs_container_suffix = '-logs'",
                   "unknown condition 'container_suffix'",
                   'container_regex',
                   rules='logs', rule_logs_container_suffix='-logs',
                   rule_logs_sites=A)


def test_empty_condition_is_refused():
    assert_refused('rule_logs_container_prefix', 'empty condition',
                   rules='logs', rule_logs_container_prefix='',
                   rule_logs_sites=A)


def test_bad_regular_expression_is_refused():
    assert_refused('rule_logs_container_regex',
                   "rule_logs_container_regex = 'logs-('",
                   'bad regular expression',
                   rules='logs', rule_logs_container_regex='logs-(',
                   rule_logs_sites=A)


def test_rule_listed_twice_is_refused():
    assert_refused('rules', "rules = 'logs, logs'", 'listed twice',
                   rules='logs, logs', rule_logs_container_prefix='logs-',
                   rule_logs_sites=A)


def test_rule_name_with_underscore_is_refused():
    assert_refused('rules', "rule name 'eu_logs'",
                   rules='eu_logs', rule_eu_logs_container_prefix='logs-',
                   rule_eu_logs_sites=A)


def test_rule_name_with_other_bad_characters_is_refused():
    assert_refused('rules', "rule name 'eu.logs'",
                   rules='eu.logs', rule_eu_logs_sites=A)


def test_rule_without_sites_is_refused():
    assert_refused('rule_logs_sites', 'rule logs has no sites',
                   rules='logs', rule_logs_container_prefix='logs-')


def test_rule_without_condition_is_refused():
    assert_refused('rule_logs_sites', 'rule logs has no condition',
                   rules='logs', rule_logs_sites=A)


def test_option_of_a_rule_not_in_rules_is_refused():
    assert_refused('rule_old_account', "rule_old_account = 'AUTH_old'",
                   'not a condition of any rule listed in "rules"',
                   rules='logs', rule_logs_container_prefix='logs-',
                   rule_logs_sites=A, rule_old_account='AUTH_old')


def test_rule_options_without_rules_are_refused():
    assert_refused('rule_logs_container_prefix',
                   rule_logs_container_prefix='logs-', rule_logs_sites=A)
