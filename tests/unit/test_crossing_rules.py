"""Crossing writes (crossing.py): which of two changes a site keeps, and
how the site whose change was older takes the newer one whole."""

from swift.common.utils import Timestamp

from autosync.account_state import AccountState
from autosync.crossing import (
    newer_here,
    reasserting_headers,
    superseded_headers,
    taking_headers,
    winner,
)
from autosync.state import ContainerState
from autosync.verdict import SiteAnswer

from helpers import CONTAINER, client_request


def ts(seconds):
    return Timestamp(seconds).internal


def container(changed_at, **fields):
    return ContainerState('//r/b', 204, changed_at=changed_at, **fields)


# -- newer_here --

def test_a_post_older_than_the_recorded_change_is_superseded():
    assert newer_here('POST', container(ts(20)), ts(10)) == ts(20)


def test_a_post_newer_than_the_recorded_change_is_applied():
    assert newer_here('POST', container(ts(10)), ts(20)) == ''


def test_a_put_older_than_a_delete_here_is_superseded():
    gone = ContainerState('//r/b', 404, delete_timestamp=ts(20))
    assert newer_here('PUT', gone, ts(10)) == ts(20)
    assert newer_here('PUT', gone, ts(30)) == ''


def test_a_delete_is_compared_with_the_put_time_here():
    # Swift's pair, as the reconciler weighs it; the site that sent the
    # DELETE compares the same pair for a PUT from here.
    here = container(ts(40), put_timestamp=ts(10))
    assert newer_here('DELETE', here, ts(20)) == ''
    here = container(ts(1), put_timestamp=ts(30))
    assert newer_here('DELETE', here, ts(20)) == ts(30)


def test_a_put_at_a_deleted_container_is_weighed_by_its_put_time():
    gone = ContainerState('//r/b', 404, delete_timestamp=ts(20))
    assert newer_here('PUT', gone, ts(10), put_at=ts(30)) == ''
    assert newer_here('PUT', gone, ts(25), put_at=ts(15)) == ts(20)


def test_a_container_without_a_recorded_change_supersedes_nothing():
    assert newer_here('POST', container(''), ts(1)) == ''


def test_an_account_post_older_than_the_account_change_is_superseded():
    here = AccountState('//r/b', 204, changed_at=ts(20))
    assert newer_here('POST', here, ts(10)) == ts(20)
    assert newer_here('POST', here, ts(30)) == ''


# -- the answer and what the sender takes --

def test_superseded_headers_carry_the_settings_held():
    here = container(ts(20), metadata={'x-container-meta-colour': 'blue',
                                       'x-container-read': '.r:*'})
    assert superseded_headers(here, ts(20)) == {
        'X-Autosync-Superseded': ts(20),
        'X-Autosync-Put-Timestamp': '0000000000.00000',
        'x-container-meta-colour': 'blue', 'x-container-read': '.r:*'}


def test_winner_is_the_newest_superseding_answer():
    answers = [
        SiteAnswer('//r/a', 204),
        SiteAnswer('//r/b', 202, headers={'x-autosync-superseded': ts(20)}),
        SiteAnswer('//r/c', 202, headers={'x-autosync-superseded': ts(30)}),
        SiteAnswer('//r/d', 503, headers={'x-autosync-superseded': ts(40)}),
    ]
    assert winner(answers)[0] == '//r/c'
    assert winner(answers[:1]) is None


def test_taking_sets_the_newer_settings_and_removes_the_rest():
    here = container(ts(10), metadata={'x-container-meta-size': 'big',
                                       'x-container-meta-colour': 'red',
                                       'x-container-write': 'u'})
    taken = taking_headers(here, {'x-autosync-superseded': ts(20),
                                  'x-autosync-put-timestamp': ts(5),
                                  'x-container-meta-colour': 'blue'})
    assert taken == {
        'x-container-meta-colour': 'blue',
        'X-Remove-Container-Meta-size': 'x',
        'x-container-write': '',
        'X-Container-Sysmeta-Autosync-Changed-At': ts(20),
        # Taking an earlier change is no new write for a delete.
        'X-Backend-No-Timestamp-Update': 'true'}


def test_superseded_headers_carry_the_ring_key_held():
    here = container(ts(20), sync_to='//r/a/AUTH_t/c', sync_key='k-newer')
    assert superseded_headers(here, ts(20))['X-Container-Sync-Key'] == \
        'k-newer'


def test_taking_the_newer_changes_key_when_an_older_put_set_its_own():
    # The older crossing PUT landed here after the newer one's peer PUT:
    # it made a key of its own, which the other site does not hold.
    here = container(ts(10), sync_to='//r/a/AUTH_t/c', sync_key='k-older')
    taken = taking_headers(here, {'x-autosync-superseded': ts(20),
                                  'x-autosync-put-timestamp': ts(5),
                                  'x-container-sync-key': 'k-newer'})
    assert taken['X-Container-Sync-Key'] == 'k-newer'
    assert 'X-Container-Sync-To' not in taken  # sync points stay


def test_taking_leaves_the_key_alone_when_it_is_the_same():
    here = container(ts(10), sync_to='//r/a/AUTH_t/c', sync_key='k')
    taken = taking_headers(here, {'x-autosync-superseded': ts(20),
                                  'x-autosync-put-timestamp': ts(5),
                                  'x-container-sync-key': 'k'})
    assert 'X-Container-Sync-Key' not in taken


def test_taking_nothing_from_a_site_that_deleted_the_container():
    here = container(ts(10), metadata={'x-container-meta-colour': 'red'})
    assert taking_headers(here, {'x-autosync-superseded': ts(20)}) is None


def test_taking_nothing_when_a_newer_change_is_recorded_here_meanwhile():
    here = container(ts(30), metadata={'x-container-meta-colour': 'red'})
    assert taking_headers(here, {'x-autosync-superseded': ts(20)}) is None


def test_taking_an_account_acl_and_metadata():
    here = AccountState('//r/a', 204, changed_at=ts(10), acl='{"admin":["u"]}',
                        metadata={'x-account-meta-old': '1'})
    taken = taking_headers(here, {'x-autosync-superseded': ts(20),
                                  'x-account-meta-new': '2'})
    assert taken == {
        'x-account-meta-new': '2', 'X-Remove-Account-Meta-old': 'x',
        'X-Account-Sysmeta-Core-Access-Control': '',
        'X-Account-Sysmeta-Autosync-Changed-At': ts(20)}


# -- through the filter --

def delete(here):
    return client_request(CONTAINER, 'DELETE').get_response(here.app)


def put(here, headers=None):
    return client_request(CONTAINER, 'PUT', headers=headers).get_response(
        here.app)


def test_a_delete_crossing_a_newer_change_leaves_that_site_alone(sites):
    a, b = sites.url_style(2)
    put(a)
    b.swift.put_timestamps[CONTAINER] = ts(9999999999)
    resp = delete(a)
    assert resp.status_int == 204
    assert resp.headers['X-Autosync-Superseded'] == b.url
    assert CONTAINER in b.swift.store
    assert b.logger.counters['peer.superseded'] == 1


def test_the_client_cannot_send_a_change_time_of_its_own(sites):
    a, b = sites.url_style(2)
    put(a, {'X-Autosync-Client-Change-At': ts(9999999999)})
    sent = b.received[-1]['x-autosync-client-change-at']
    assert sent == a.swift.store[CONTAINER][
        'X-Container-Sysmeta-Autosync-Changed-At']


def test_taking_the_same_change_that_reached_here_on_top_of_an_older():
    # The newer change was applied here over this site's own older one,
    # whose extra items it did not name.
    here = container(ts(20), metadata={'x-container-meta-colour': 'blue',
                                       'x-container-meta-mine': '1'})
    taken = taking_headers(here, {'x-autosync-superseded': ts(20),
                                  'x-autosync-put-timestamp': ts(5),
                                  'x-container-meta-colour': 'blue'})
    assert taken['X-Remove-Container-Meta-mine'] == 'x'


def test_reasserting_a_change_carries_its_settings_and_time_only():
    honoured = {'X-Container-Meta-Colour': 'red', 'X-Auth-Token': 't',
                'X-Storage-Policy': 'gold', 'X-Remove-Container-Meta-A': 'x',
                'X-Container-Read': '.r:*'}
    assert reasserting_headers(True, honoured, ts(20)) == {
        'X-Container-Meta-Colour': 'red', 'X-Remove-Container-Meta-A': 'x',
        'X-Container-Read': '.r:*',
        'X-Container-Sysmeta-Autosync-Changed-At': ts(20),
        'X-Backend-No-Timestamp-Update': 'true'}
    assert reasserting_headers(False, {'X-Account-Meta-K': 'v'}, ts(20)) == {
        'X-Account-Meta-K': 'v',
        'X-Account-Sysmeta-Autosync-Changed-At': ts(20)}
