"""Per-site answers -> the client's answer (verdict.py)."""

import json

import pytest

from autosync.verdict import SiteAnswer, delete_outcome, failures, render

OK = SiteAnswer('a', 204, 'No Content')
GONE = SiteAnswer('b', 404, 'Not Found')
FULL = SiteAnswer('c', 409, 'Conflict')
DOWN = SiteAnswer('d', 503, 'Service Unavailable')
SILENT = SiteAnswer('e', None, 'no answer within 10s')


def test_delete_everywhere_2xx_is_204():
    assert delete_outcome([OK, SiteAnswer('b', 204)]) == (204, [])


def test_delete_2xx_and_404_is_204():
    assert delete_outcome([GONE, OK]) == (204, [])


def test_delete_404_everywhere_is_404():
    assert delete_outcome([GONE, SiteAnswer('x', 404)]) == (404, [])


def test_delete_409_anywhere_is_409_naming_the_site():
    assert delete_outcome([OK, FULL, DOWN]) == (409, [FULL])


@pytest.mark.parametrize('bad', [DOWN, SILENT, SiteAnswer('f', 401)])
def test_delete_other_failure_is_503_naming_the_site(bad):
    assert delete_outcome([OK, GONE, bad]) == (503, [bad])


def test_failures_are_answers_without_2xx():
    assert failures([OK, GONE, SILENT]) == [GONE, SILENT]


def test_answer_without_status_describes_what_happened():
    assert SILENT.describe() == 'no answer within 10s'
    assert not SILENT.ok


def test_text_body_has_one_line_per_site():
    body, content_type = render('why', [OK, SILENT], 'text/plain')
    assert content_type.startswith('text/plain')
    assert body.decode().splitlines() == [
        'why', '  a: 204 No Content', '  e: no answer within 10s']


def test_json_body_when_client_accepts_json():
    body, content_type = render('why', [OK, SILENT],
                                'application/json;q=0.9, */*')
    assert content_type.startswith('application/json')
    assert json.loads(body) == {'message': 'why', 'sites': [
        {'site': 'a', 'status': 204, 'detail': 'No Content'},
        {'site': 'e', 'status': None, 'detail': 'no answer within 10s'}]}


def test_text_body_without_accept():
    body, content_type = render('why', [OK], '')
    assert content_type.startswith('text/plain')
