"""Sites, placements and the container-sync ring (placement.py)."""

import pytest

from autosync.placement import (
    PlacementError,
    check_member,
    next_in_ring,
    parse_placement,
    parse_site,
    quoted_path,
    sync_target,
)

from helpers import A, B, C, D, E


def ring_of(names):
    sites = parse_placement(names)
    return [(s.name, next_in_ring(sites, s).name) for s in sites]


def test_ring_of_one_site_syncs_to_itself():
    assert ring_of([A]) == [(A, A)]


def test_ring_of_two_sites_pairs_them():
    assert ring_of([A, B]) == [(A, B), (B, A)]


def test_ring_of_three_sites_is_a_b_c_a():
    assert ring_of([A, B, C]) == [(A, B), (B, C), (C, A)]


def test_ring_of_five_sites_follows_the_placement_order():
    assert ring_of([C, A, E, B, D]) == [
        (C, A), (A, E), (E, B), (B, D), (D, C)]


def test_csv_and_list_placements_parse_alike():
    assert parse_placement('%s,%s' % (A, B)) == parse_placement([A, B])


def test_spaces_and_trailing_slashes_are_tolerated():
    sites = parse_placement(' %s/ ,  %s ' % (A, B))
    assert [s.url for s in sites] == [A, B]


def test_realm_site_is_case_insensitive_and_slash_tolerant():
    assert parse_site('//Realm/DC1/') == parse_site('//realm/dc1')


def test_url_site_gets_its_default_port():
    assert parse_site('http://Proxy.example.com').url == \
        'http://proxy.example.com:80'
    assert parse_site('https://proxy.example.com').url == \
        'https://proxy.example.com:443'


def test_ipv6_url_site_keeps_its_brackets():
    assert parse_site('http://[::1]:8080').url == 'http://[::1]:8080'


@pytest.mark.parametrize('text', [
    'ftp://a.example.com', 'a.example.com:8080', 'http://',
    'http://a.example.com:99999', 'http://a.example.com:port',
    'http://a.example.com/v1', 'http://user:pw@a.example.com',
    'http://a.example.com?x=1', '//realm', '//realm/a/b', '// realm/a',
    '', '   '])
def test_bad_site_is_refused(text):
    with pytest.raises(PlacementError):
        parse_site(text)


@pytest.mark.parametrize('names', [
    [A, A], [A, A + '/'], [A, A.upper()], ['//r/a', '//R/A'],
    ['http://a.example.com', 'http://a.example.com:80']])
def test_duplicate_sites_are_refused(names):
    with pytest.raises(PlacementError, match='listed twice'):
        parse_placement(names)


def test_mixed_styles_are_refused():
    with pytest.raises(PlacementError, match='mix'):
        parse_placement([A, '//r/b'])


@pytest.mark.parametrize('value', ['', ' , ', [], None, 42])
def test_empty_or_odd_placement_is_refused(value):
    with pytest.raises(PlacementError):
        parse_placement(value)


def test_cluster_outside_the_placement_is_refused():
    with pytest.raises(PlacementError, match='not in the placement'):
        check_member(parse_site(C), parse_placement([A, B]))


def test_url_sync_target_is_next_site_and_quoted_path():
    assert sync_target(parse_site(B), 'AUTH_x', 'c') == \
        B + '/v1/AUTH_x/c'


@pytest.mark.parametrize('container, quoted', [
    ('my photos', 'my%20photos'), ('résumé', 'r%C3%A9sum%C3%A9'),
    ('100%', '100%25'), ('what?', 'what%3F'), ('#1', '%231')])
def test_url_sync_target_quotes_the_container(container, quoted):
    assert sync_target(parse_site(B), 'AUTH_x', container) == \
        B + '/v1/AUTH_x/' + quoted


@pytest.mark.parametrize('container, quoted', [
    ('my photos', 'my%20photos'), ('日本', '%E6%97%A5%E6%9C%AC'),
    ('a%b?c#d', 'a%25b%3Fc%23d')])
def test_realm_sync_target_quotes_the_container(container, quoted):
    assert sync_target(parse_site('//r1/dc2'), 'AUTH_x', container) == \
        '//R1/DC2/AUTH_x/' + quoted


def test_quoted_path_of_an_account_has_no_container():
    assert quoted_path('AUTH_ü') == '/v1/AUTH_%C3%BC'
