"""Planning a client's change: facts in, one request per site out
(plan.py)."""

from autosync import plan
from autosync.placement import parse_placement, sync_target
from autosync.protocol import (
    CHANGED_AT_HEADER,
    SET_PLACEMENT_HEADER,
    SYNC_KEY,
    SYNC_TO,
)

A, B, C = parse_placement('//r/a, //r/b, //r/c')


def change(method='PUT', placement=(A, B, C), **facts):
    facts.setdefault('container', 'c')
    return plan.Change(method, 'AUTH_test', here=A, placement=placement,
                       **facts)


def by_site(planned):
    return {site_change.site: site_change for site_change in planned}


def test_ring_sends_each_site_to_the_next():
    ring = plan.sync_ring((A, B, C), 'AUTH_test', 'c', 'k')
    assert ring == {A: (sync_target(B, 'AUTH_test', 'c'), 'k'),
                    B: (sync_target(C, 'AUTH_test', 'c'), 'k'),
                    C: (sync_target(A, 'AUTH_test', 'c'), 'k')}


def test_one_site_ring_clears_the_sync_headers():
    assert plan.sync_ring((A,), 'AUTH_test', 'c', 'k') == {A: ('', '')}


def test_every_other_site_gets_the_method_and_its_own_target():
    ring = plan.sync_ring((A, B, C), 'AUTH_test', 'c', 'k')
    planned = by_site(plan.site_changes(
        change(ring=ring, version='1.0', changed_at='2.0'),
        {'X-Container-Meta-Color': 'blue'}, {}))
    assert set(planned) == {B, C}
    for site in (B, C):
        headers = planned[site].headers
        assert planned[site].method == 'PUT'
        assert (headers[SYNC_TO], headers[SYNC_KEY]) == ring[site]
        assert headers[SET_PLACEMENT_HEADER] == '1.0 //r/a, //r/b, //r/c'
        assert headers[CHANGED_AT_HEADER] == '2.0'
        assert headers['X-Container-Meta-Color'] == 'blue'


def test_account_change_carries_no_container_headers():
    planned = plan.site_changes(change('POST', container=None),
                                {'X-Account-Meta-Color': 'red'}, {})
    assert [(p.site, p.method) for p in planned] == [(B, 'POST'),
                                                     (C, 'POST')]
    for site_change in planned:
        assert site_change.headers == {'X-Account-Meta-Color': 'red'}


def test_planned_headers_are_a_copy_per_site():
    honoured = {'X-Container-Meta-Color': 'blue'}
    planned = plan.site_changes(change('POST'), honoured, {})
    planned[0].headers['X-Container-Meta-Color'] = 'changed'
    assert planned[1].headers['X-Container-Meta-Color'] == 'blue'
    assert honoured == {'X-Container-Meta-Color': 'blue'}


def test_placement_change_puts_metadata_at_a_new_site():
    ring = plan.sync_ring((A, C), 'AUTH_test', 'c', 'k')
    planned = by_site(plan.site_changes(
        change('POST', placement=(A, C), previous=(A, B), ring=ring,
               version='3.0', changed_at='3.0'),
        {'X-Container-Meta-Size': 'L'},
        {'X-Container-Meta-Color': 'blue', 'x-container-meta-size': 'S'}))
    joining = planned[C]
    assert joining.method == 'PUT'
    assert joining.headers['X-Container-Meta-Color'] == 'blue'
    # The client's value wins, whatever the case of the recorded name.
    assert [v for k, v in joining.headers.items()
            if k.lower() == 'x-container-meta-size'] == ['L']


def test_placement_change_unwires_a_site_taken_off():
    ring = plan.sync_ring((A, C), 'AUTH_test', 'c', 'k')
    planned = by_site(plan.site_changes(
        change('POST', placement=(A, C), previous=(A, B), ring=ring,
               version='3.0'),
        {'X-Auth-Token': 't', 'X-Container-Meta-Color': 'blue'}, {}))
    unwired = planned[B]
    assert unwired.method == 'POST'
    assert unwired.headers == {'X-Auth-Token': 't', SYNC_TO: '',
                               SYNC_KEY: '',
                               SET_PLACEMENT_HEADER: '3.0 //r/a, //r/c'}


def test_other_sites_are_the_placement_then_the_unwired():
    assert change(placement=(A, C), previous=(A, B, C)).other_sites == (C, B)


def test_forwarded_headers_leave_out_what_autosync_sets():
    headers = {'Host': 'x', 'Content-Length': '5', SYNC_TO: '//r/x',
               'X-Container-Sysmeta-Autosync-Placement': '//r/a',
               'X-Backend-Storage-Policy-Index': '1', 'X-Auth-Token': 't',
               'X-Container-Meta-Color': 'blue'}
    assert plan.forwarded_headers(headers, False) == {
        'X-Container-Meta-Color': 'blue'}
    assert plan.forwarded_headers(headers, True) == {
        'X-Container-Meta-Color': 'blue', 'X-Auth-Token': 't'}


def test_forwarded_headers_leave_out_an_s3_clients_signature():
    # s3api passes them on in its Swift requests; another site's s3api
    # would take the request for an S3 one.
    headers = {'Authorization': 'AWS4-HMAC-SHA256 Credential=test:tester',
               'X-Amz-Date': '20261206T220731Z',
               'X-Amz-Content-SHA256': 'UNSIGNED-PAYLOAD',
               'X-Container-Meta-Color': 'blue'}
    assert plan.forwarded_headers(headers, True) == {
        'X-Container-Meta-Color': 'blue'}


def test_non_owner_honoured_headers_lose_owner_only_ones():
    forwarded = {'X-Container-Read': '.r:*', 'X-Container-Meta-A': '1',
                 'X-Account-Access-Control': '{}'}
    owner_only = frozenset(['x-container-read'])
    assert plan.honoured(forwarded, False, owner_only, True) == {
        'X-Container-Meta-A': '1', 'X-Account-Access-Control': '{}'}
    assert plan.honoured(forwarded, True, owner_only, False) == {
        'X-Container-Read': '.r:*', 'X-Container-Meta-A': '1'}


def test_current_metadata_as_wsgi_headers():
    info = {'meta': {'color': 'bl\u00e9'}, 'read_acl': '.r:*',
            'write_acl': ''}
    assert plan.current_metadata(info) == {
        'X-Container-Meta-color': 'bl\u00c3\u00a9',
        'X-Container-Read': '.r:*'}


def test_emptiness_checks_ask_every_other_site_with_tokens_only():
    checks = plan.emptiness_checks(
        change('DELETE'), {'X-Auth-Token': 't', 'X-Container-Meta-A': '1'})
    assert [(c.site, c.method, c.headers) for c in checks] == [
        (B, 'HEAD', {'X-Auth-Token': 't'}),
        (C, 'HEAD', {'X-Auth-Token': 't'})]

