"""autosync on a shared Keystone (``autosync-pair up --auth keystone``):
one real Keystone for both clusters, a region and an object-store
endpoint each, ``authtoken`` and ``keystoneauth`` in every proxy,
autosync after them with ``override_auth``.

A Keystone user's token is good at every site, and a project's account
is ``AUTH_<project id>`` at every site. What keystoneauth allows at the
site the client talks to is what happens at every site; what it refuses
happens nowhere: a reader (``project_reader_roles``) reads and changes
nothing, a token of one project cannot touch another's account. S3
clients sign with EC2 keys that ``s3token`` checks with Keystone.
"""

import contextlib
import os
from typing import Tuple

import boto3
import botocore.config
import botocore.exceptions
import pytest
from swiftclient import client

from autosync.pair import keystone

from e2e_helpers import (
    assert_sync_to,
    fails_with,
    head_container,
    pair_for_module,
    purge,
    require_unpatched_ssl,
    unique,
)

NO_NATURAL_SYNC = 86400
MEMBER = ('test', 'tester')
READER = ('test', 'reader')
OTHER_PROJECT = ('test2', 'tester2')
RESELLER = ('test', 'tester6')
# Has the service role: its token, sent as X-Service-Token beside a
# member's, opens the member's SERVICE_<project> account.
SERVICE = ('test5', 'tester5')


@pytest.fixture(scope='module')
def duo(pair_factory):
    yield from pair_for_module(pair_factory, auth='keystone', s3=True,
                               sync_interval=NO_NATURAL_SYNC)


def login(duo, who: Tuple[str, str]) -> Tuple[str, str]:
    """(token, project id) of ``who`` (project, user)."""
    return keystone.login(duo.settings, who[0], who[1],
                          keystone.user_password(*who))


def connection(duo, cluster, who=MEMBER, account: str = ''
               ) -> client.Connection:
    """``who``'s swiftclient connection to ``cluster``, through the
    Keystone catalog (its region), to its own project's account or to
    ``account``."""
    if account:
        token, _ = login(duo, who)
        return client.Connection(
            preauthurl='%s/v1/%s' % (cluster.proxy_url, account),
            preauthtoken=token, retries=0)
    return cluster.connection('%s:%s' % who)


@pytest.fixture(scope='module')
def account(duo) -> str:
    return 'AUTH_' + login(duo, MEMBER)[1]


@pytest.fixture(scope='module')
def member(duo):
    return {c.name: connection(duo, c) for c in duo.clusters}


@pytest.fixture
def container(member):
    name = unique('keystone')
    member['a'].put_container(name)
    yield name
    purge(member.values(), name)


def test_the_catalog_has_each_sites_endpoint(duo, member, account):
    for cluster in duo.clusters:
        url, _ = member[cluster.name].get_auth()
        assert url == '%s/v1/%s' % (cluster.proxy_url, account)


def test_a_members_container_at_a_is_at_b_wired(member, account,
                                                container):
    assert_sync_to(head_container(member['a'], container), 'b', container,
                   account=account)
    assert_sync_to(head_container(member['b'], container), 'a', container,
                   account=account)


def test_metadata_and_a_keystone_acl_set_at_b_reach_a(duo, member,
                                                      container):
    _, other_project = login(duo, OTHER_PROJECT)
    acl = '%s:*' % other_project
    member['b'].post_container(container, {
        'X-Container-Meta-Color': 'blue', 'X-Container-Read': acl})
    at_a = head_container(member['a'], container)
    assert at_a['x-container-meta-color'] == 'blue'
    assert at_a['x-container-read'] == acl


def test_an_object_at_a_syncs_to_b(duo, member, container):
    member['a'].put_object(container, 'obj', b'by keystone')
    duo.a.sync_once()
    assert member['b'].get_object(container, 'obj')[1] == b'by keystone'


def test_a_reader_reads_but_changes_nothing_anywhere(duo, member,
                                                    account, container):
    for cluster in duo.clusters:
        reader = connection(duo, cluster, READER)
        seen = reader.head_container(container)
        assert 'x-container-object-count' in seen
        # The sync settings are the owner's to see (swift_owner).
        assert 'x-container-sync-to' not in seen
        fails_with(403, reader.post_container, container,
                   {'X-Container-Meta-Color': 'red'})
        fails_with(403, reader.put_container, container + '-new')
    for site in member.values():
        assert 'x-container-meta-color' not in head_container(site,
                                                              container)
        assert head_container(site, container + '-new') is None


def test_another_projects_token_cannot_touch_this_account(
        duo, member, account, container):
    for cluster in duo.clusters:
        other = connection(duo, cluster, OTHER_PROJECT, account=account)
        fails_with(403, other.put_container, container + '-theirs')
        fails_with(403, other.post_container, container,
                   {'X-Container-Meta-Color': 'red'})
        fails_with(403, other.delete_container, container)
    for site in member.values():
        assert head_container(site, container + '-theirs') is None
        headers = head_container(site, container)
        assert headers is not None
        assert 'x-container-meta-color' not in headers


def test_delete_is_refused_while_b_holds_objects(duo, member, container):
    member['a'].put_object(container, 'obj', b'at both')
    duo.a.sync_once()
    member['a'].delete_object(container, 'obj')
    fails_with(409, member['a'].delete_container, container)
    for site in member.values():
        assert head_container(site, container) is not None


def test_a_reseller_makes_a_container_in_a_members_account_everywhere(
        duo, member, account):
    name = unique('keystone-reseller')
    try:
        reseller = connection(duo, duo.a, RESELLER, account=account)
        reseller.put_container(name)
        for site in member.values():
            assert head_container(site, name) is not None
    finally:
        purge(member.values(), name)


def test_a_service_token_keeps_its_rights_at_every_site(duo):
    token, project_id = login(duo, MEMBER)
    service_token, _ = login(duo, SERVICE)
    account = 'SERVICE_' + project_id
    urls = {c.name: '%s/v1/%s' % (c.proxy_url, account)
            for c in duo.clusters}
    name = unique('keystone-service')
    for url in urls.values():  # a user's token alone opens nothing
        fails_with(403, client.put_container, url, token, name)
        fails_with(403, client.put_container, url, service_token, name)
    for url in urls.values():
        with pytest.raises(client.ClientException) as caught:
            client.head_container(url, token, name,
                                  service_token=service_token)
        assert caught.value.http_status == 404
    client.put_container(urls['a'], token, name,
                         service_token=service_token)
    try:
        for site, other in (('a', 'b'), ('b', 'a')):
            assert_sync_to(client.head_container(
                urls[site], token, name, service_token=service_token),
                other, name, account=account)
        client.post_container(urls['b'], token, name,
                              {'X-Container-Meta-Color': 'blue'},
                              service_token=service_token)
        assert client.head_container(
            urls['a'], token, name, service_token=service_token
        )['x-container-meta-color'] == 'blue'
        client.put_object(urls['a'], token, name, 'obj', b'for a service',
                          service_token=service_token)
        duo.a.sync_once()
        assert client.get_object(urls['b'], token, name, 'obj',
                                 service_token=service_token)[1] == \
            b'for a service'
        fails_with(403, client.delete_container, urls['b'], token, name)
    finally:
        for url in urls.values():
            for obj in ('obj',):
                with contextlib.suppress(client.ClientException):
                    client.delete_object(url, token, name, obj,
                                         service_token=service_token)
        with contextlib.suppress(client.ClientException):
            duo.a.sync_once()
        client.delete_container(urls['a'], token, name,
                                service_token=service_token)
    for url in urls.values():
        with pytest.raises(client.ClientException) as caught:
            client.head_container(url, token, name,
                                  service_token=service_token)
        assert caught.value.http_status == 404


def s3_client(cluster, who=MEMBER):
    """boto3 at ``cluster`` with ``who``'s EC2 keys (the user name and
    the password), no retries."""
    require_unpatched_ssl()
    return boto3.client(
        's3', endpoint_url=cluster.proxy_url, aws_access_key_id=who[1],
        aws_secret_access_key=keystone.user_password(*who),
        region_name='us-east-1', config=botocore.config.Config(
            retries={'max_attempts': 1},
            s3={'addressing_style': 'path'}))


def test_s3_through_s3token_is_one_namespace(duo, member):
    bucket = unique('keystone-s3')
    s3 = {c.name: s3_client(c) for c in duo.clusters}
    try:
        s3['a'].create_bucket(Bucket=bucket)
        s3['b'].head_bucket(Bucket=bucket)
        s3['a'].put_object(Bucket=bucket, Key='obj', Body=b'by s3token')
        duo.a.sync_once()
        assert s3['b'].get_object(Bucket=bucket, Key='obj')[
            'Body'].read() == b'by s3token'
        s3['a'].delete_object(Bucket=bucket, Key='obj')
        with pytest.raises(botocore.exceptions.ClientError) as caught:
            s3['a'].delete_bucket(Bucket=bucket)
        assert caught.value.response['Error']['Code'] == 'BucketNotEmpty'
    finally:
        purge(member.values(), bucket)


def test_an_s3_reader_cannot_make_a_bucket_anywhere(duo, member):
    bucket = unique('keystone-s3')
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        s3_client(duo.a, READER).create_bucket(Bucket=bucket)
    assert caught.value.response['Error']['Code'] == 'AccessDenied'
    for site in member.values():
        assert head_container(site, bucket) is None


def test_env_gives_the_s3_keys_of_the_user(duo):
    env = duo.env('b', 'test:tester')
    assert env['OS_REGION_NAME'] == 'b'
    assert (env['AWS_ACCESS_KEY_ID'], env['AWS_SECRET_ACCESS_KEY']) == (
        'tester', 'testing')
    assert env['AWS_ENDPOINT_URL'] == duo.b.proxy_url


def test_the_proxies_run_keystone_before_autosync(duo):
    with open(os.path.join(duo.b.swift_dir, 'proxy-server.conf')) as f:
        names = next(line for line in f
                     if line.startswith('pipeline')).split()
    assert 'tempauth' not in names
    assert [names.index(name) for name in (
        'authtoken', 's3api', 's3token', 'keystoneauth', 'autosync')] == \
        list(range(names.index('authtoken'), names.index('autosync') + 1))
