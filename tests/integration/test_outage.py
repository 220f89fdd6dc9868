"""A site that is down: the client is told which one, quickly, and
repeating the change once it is back makes both sites agree."""

import json
import os
import subprocess
import sys
import time

import pytest
from swiftclient import client

from e2e_helpers import assert_synced_both_ways, head_container

CONN_TIMEOUT = 0.5  # autosync's default, which the pair keeps
# A refused connection fails at once; conn_timeout bounds the rest.
PROMPT = CONN_TIMEOUT + 3.0


@pytest.fixture
def b_stopped(pair):
    """B down for the test; up again afterwards whatever happened, since
    the whole session shares the pair."""
    pair.b.stop()
    try:
        yield pair.b
    finally:
        pair.b.start()


def test_put_with_b_down_is_503_naming_b_then_agrees_when_repeated(
        sites, b_stopped, record_property):
    container = sites.container()
    started = time.monotonic()
    with pytest.raises(client.ClientException) as caught:
        sites.a.put_container(container, headers={
            'Accept': 'application/json',
            'X-Container-Meta-Colour': 'blue'})
    elapsed = time.monotonic() - started
    record_property('seconds_to_503', round(elapsed, 3))
    print('503 with B down after %.3fs' % elapsed)
    assert caught.value.http_status == 503
    assert elapsed < PROMPT, elapsed
    verdict = json.loads(caught.value.http_response_content)
    sites_said = {each['site'].lower(): each for each in verdict['sites']}
    assert set(sites_said) == {'//autosync/a', '//autosync/b'}, verdict
    assert '//autosync/b' in verdict['message'].lower(), verdict
    assert sites_said['//autosync/a']['status'] == 201, verdict
    assert sites_said['//autosync/b']['status'] is None, verdict
    assert head_container(sites.a, container) is not None

    with pytest.raises(client.ClientException) as again:
        sites.a.put_container(container)
    assert again.value.http_status == 503
    lines = again.value.http_response_content.decode().splitlines()
    assert any(line.strip().lower().startswith('//autosync/b:')
               for line in lines), lines

    b_stopped.start()
    sites.a.put_container(container,
                          headers={'X-Container-Meta-Colour': 'blue'})
    assert_synced_both_ways(sites, container)
    assert sites.b.head_container(container)['x-container-meta-colour'] \
        == 'blue'


def test_swift_cli_shows_the_site_that_is_down_and_why(
        pair, sites, b_stopped):
    """The stock CLI prints only the first 60 characters of an error
    body: they name B and what happened, not the site that worked."""
    container = sites.container()
    swift = os.path.join(os.path.dirname(sys.executable), 'swift')
    result = subprocess.run(
        [swift, '--retries', '0', 'post', container],
        env=dict(os.environ, **pair.env('a')), capture_output=True,
        text=True, timeout=60)
    assert result.returncode != 0, result
    assert '//autosync/b: connection refused' in result.stderr.lower(), \
        result.stderr
