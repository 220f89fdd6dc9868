"""Issue 5: a container keeps the placement recorded when it was made;
only its owner changes it, and a change rewires the ring over the new
sites, unwiring (never deleting) the sites it leaves."""

from helpers import ACCOUNT, CONTAINER, PLACEMENT, VERSION, client_request


def names(*sites):
    return ', '.join(site.url for site in sites)


def request(here, method='PUT', placement=None, requested=False,
            headers=None, authorize='owner'):
    environ = {}
    if placement is not None:
        environ['swift.placement'] = [site.url for site in placement]
    if requested:
        environ['autosync.placement_requested'] = True
    kwargs = {} if authorize == 'owner' else {'authorize': authorize}
    return client_request(CONTAINER, method, headers=headers,
                          environ=environ, **kwargs).get_response(here.app)


def sync_to(site):
    return site.swift.store[CONTAINER].get('X-Container-Sync-To')


def test_new_container_records_its_placement_at_every_site(sites):
    a, b, c = sites.url_style(3)
    assert request(a, placement=(a, c)).status_int == 201
    for site in (a, c):
        stored = site.swift.store[CONTAINER]
        assert stored[PLACEMENT] == names(a, c)
        assert stored[VERSION] == a.swift.store[CONTAINER][VERSION]
    assert CONTAINER not in b.swift.store
    assert b.received == []
    # Sent as a signed header, recorded as sysmeta, never stored as sent.
    assert not any('Set-Placement' in name
                   for name in c.swift.store[CONTAINER])


def test_ring_covers_only_the_placement(sites):
    a, b, c = sites.url_style(3)
    request(a, placement=(a, c))
    assert sync_to(a).startswith(c.url)
    assert sync_to(c).startswith(a.url)


def test_later_rules_do_not_move_an_existing_container(sites):
    a, b, c = sites.url_style(3)
    request(a, placement=(a, b))
    # The rules now say A, C: a POST still goes to where it lives.
    resp = request(a, 'POST', placement=(a, c),
                   headers={'X-Container-Meta-Colour': 'red'})
    assert resp.status_int == 204
    assert b.swift.store[CONTAINER]['X-Container-Meta-Colour'] == 'red'
    assert c.received == []
    assert a.swift.store[CONTAINER][PLACEMENT] == names(a, b)


def test_delete_goes_to_the_recorded_placement(sites):
    a, b, c = sites.url_style(3)
    request(a, placement=(a, b))
    c.swift.store[CONTAINER] = {}  # a copy the placement never had
    assert request(a, 'DELETE', placement=(a, c)).status_int == 204
    assert CONTAINER not in b.swift.store
    assert CONTAINER in c.swift.store
    assert c.received == []


def test_owner_sees_the_placement_on_head(sites):
    a, b = sites.url_style(2)
    request(a)
    resp = request(a, 'HEAD')
    assert resp.headers['X-Autosync-Placement'] == names(a, b)


def test_owner_sees_the_placement_on_a_container_listing(sites):
    a, b = sites.url_style(2)
    request(a)
    resp = request(a, 'GET')
    assert resp.headers['X-Autosync-Placement'] == names(a, b)


def test_others_do_not_see_the_placement(sites):
    a, b = sites.url_style(2)
    request(a)
    resp = request(a, 'HEAD', authorize=lambda req: None)
    assert resp.status_int == 204
    assert 'X-Autosync-Placement' not in resp.headers


# -- the owner changes a placement --

def test_added_site_gets_the_container_with_its_metadata(sites):
    a, b, c = sites.url_style(3)
    request(a, placement=(a, b), headers={'X-Container-Meta-Colour': 'blue',
                                         'X-Container-Read': '.r:*'})
    key = a.swift.store[CONTAINER]['X-Container-Sync-Key']
    resp = request(a, 'POST', placement=(a, b, c), requested=True)
    assert resp.status_int == 204
    assert resp.headers['X-Autosync-Placement'] == names(a, b, c)
    at_c = c.swift.store[CONTAINER]
    assert c.methods == ['PUT']
    assert at_c['X-Container-Meta-Colour'] == 'blue'
    assert at_c['X-Container-Read'] == '.r:*'
    # One ring over the three, with the key the container had.
    assert sync_to(a).startswith(b.url)
    assert sync_to(b).startswith(c.url)
    assert sync_to(c).startswith(a.url)
    assert {site.swift.store[CONTAINER]['X-Container-Sync-Key']
            for site in (a, b, c)} == {key}
    assert {site.swift.store[CONTAINER][PLACEMENT]
            for site in (a, b, c)} == {names(a, b, c)}


def test_added_site_gets_a_changed_value_once_whatever_its_case(sites):
    """The container's metadata comes with lower-case names, the
    client's with title case: one name, one value at the new site."""
    a, b, c = sites.url_style(3)
    request(a, placement=(a, b), headers={'X-Container-Meta-Colour': 'blue'})
    resp = request(a, 'POST', placement=(a, b, c), requested=True,
                   headers={'X-Container-Meta-Colour': 'red'})
    assert resp.status_int == 204, resp.body
    assert {site.swift.store[CONTAINER]['X-Container-Meta-Colour']
            for site in (a, b, c)} == {'red'}


def test_removed_site_is_unwired_and_kept(sites):
    a, b, c = sites.url_style(3)
    request(a, placement=(a, b, c))
    resp = request(a, 'POST', placement=(a, c), requested=True)
    assert resp.status_int == 204
    assert resp.headers['X-Autosync-Unwired'] == b.url
    at_b = b.swift.store[CONTAINER]
    assert at_b['X-Container-Sync-To'] == ''
    assert at_b['X-Container-Sync-Key'] == ''
    assert at_b[PLACEMENT] == names(a, c)
    assert sync_to(a).startswith(c.url)
    assert sync_to(c).startswith(a.url)


def test_one_site_placement_syncs_nowhere(sites):
    a, b = sites.url_style(2)
    request(a)
    resp = request(a, 'POST', placement=(a,), requested=True)
    assert resp.status_int == 204
    assert resp.headers['X-Autosync-Unwired'] == b.url
    for site in (a, b):
        stored = site.swift.store[CONTAINER]
        assert stored['X-Container-Sync-To'] == ''
        assert stored['X-Container-Sync-Key'] == ''
        assert stored[PLACEMENT] == names(a)


def test_one_site_placement_lets_versioning_be_enabled(sites):
    a, b = sites.url_style(2)
    request(a)
    request(a, 'POST', placement=(a,), requested=True)
    resp = request(a, 'POST', placement=(a, b),
                   headers={'X-Versions-Enabled': 'true'})
    assert resp.status_int == 204
    assert b.methods.count('POST') == 1  # the unwiring only


def test_owner_deletes_an_unwired_copy_there_only(sites):
    a, b, c = sites.url_style(3)
    request(a, placement=(a, b, c))
    request(a, 'POST', placement=(a, c), requested=True)
    b_filter = b.app
    resp = client_request(CONTAINER, 'DELETE').get_response(b_filter)
    assert resp.status_int == 204
    assert CONTAINER not in b.swift.store
    assert CONTAINER in a.swift.store and CONTAINER in c.swift.store
    assert a.swift.calls_for('DELETE') == []
    assert c.methods.count('DELETE') == 0


def test_outside_the_placement_without_a_copy_is_still_409(sites):
    a, b, c = sites.url_style(3)
    request(a, placement=(a, c))
    resp = client_request(CONTAINER, 'DELETE', environ={
        'swift.placement': [a.url, c.url]}).get_response(b.app)
    assert resp.status_int == 409
    resp = client_request(CONTAINER, 'PUT', environ={
        'swift.placement': [a.url, c.url]}).get_response(b.app)
    assert resp.status_int == 409
    assert CONTAINER not in b.swift.store


def test_account_delete_placed_elsewhere_is_409_not_a_traceback(sites):
    """A placement middleware may place an account away from this site."""
    a, b = sites.url_style(2)
    resp = client_request(ACCOUNT, 'DELETE', environ={
        'swift.placement': [a.url]}).get_response(b.app)
    assert resp.status_int == 409
    assert b'not at this site' in resp.body


def test_same_placement_asked_again_changes_nothing_else(sites):
    a, b = sites.url_style(2)
    request(a)
    version = a.swift.store[CONTAINER][VERSION]
    resp = request(a, 'POST', placement=(a, b), requested=True)
    assert resp.status_int == 204
    assert 'X-Autosync-Unwired' not in resp.headers
    assert a.swift.store[CONTAINER][VERSION] == version


def test_a_change_leaving_this_site_is_refused_here(sites):
    a, b, c = sites.url_style(3)
    request(a, placement=(a, b))
    resp = request(a, 'POST', placement=(b, c), requested=True)
    assert resp.status_int == 409
    assert b'not at this site' in resp.body
    assert c.received == []


def test_an_older_change_never_overwrites_a_newer_one(sites):
    a, b = sites.url_style(2)
    request(a)
    # B has meanwhile recorded a later decision than the one A sends.
    b.swift.store[CONTAINER][VERSION] = '9999999999.00000'
    resp = request(a, 'POST', headers={'X-Container-Meta-X': '1'})
    assert resp.status_int == 503
    assert b'newer placement change' in resp.body
    assert 'X-Container-Meta-X' not in b.swift.store[CONTAINER]
