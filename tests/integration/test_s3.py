"""S3 clients through Swift's s3api: one namespace of buckets across
sites, with boto3 against real clusters (``autosync-pair up --s3``:
s3api before tempauth in every proxy, S3 keys ``test:tester`` /
``testing``).

s3api turns each S3 call into Swift requests that pass through the rest
of the pipeline, autosync included, so a bucket is a container like any
other: made, changed and deleted at every site, its ring wired. What
autosync refuses must reach the S3 client as an S3 error: s3api maps
the status (409 on a DELETE: BucketNotEmpty; 400: InvalidRequest with
autosync's reason). Objects travel by container-sync, forced here with a
pass (the daemons run once a day); before it, ``read_fallback`` (on in
this pair) serves a GetObject at B from A.
"""

import hashlib
import os
import uuid

import boto3
import botocore.config
import botocore.exceptions
import pytest

from autosync.protocol import READ_FROM_HEADER

from e2e_helpers import (
    assert_sync_to,
    connections,
    head_container,
    pair_for_module,
    purge,
    require_unpatched_ssl,
)

NO_NATURAL_SYNC = 86400
USER, KEY = 'test:tester', 'testing'
MIB = 1024 * 1024
READ_FROM = READ_FROM_HEADER.lower()


@pytest.fixture(scope='module')
def duo(pair_factory):
    yield from pair_for_module(pair_factory, s3=True, read_fallback=True,
                               sync_interval=NO_NATURAL_SYNC)


def s3_client(cluster):
    """boto3 against ``cluster``'s proxy, no retries: an error is seen
    as the proxy gave it."""
    return boto3.client(
        's3', endpoint_url=cluster.proxy_url, aws_access_key_id=USER,
        aws_secret_access_key=KEY, region_name='us-east-1',
        config=botocore.config.Config(
            retries={'max_attempts': 1},
            s3={'addressing_style': 'path'}))


@pytest.fixture(scope='module')
def s3(duo):
    require_unpatched_ssl()
    return {cluster.name: s3_client(cluster) for cluster in duo.clusters}


@pytest.fixture(scope='module')
def swift(duo):
    return connections(duo)


@pytest.fixture
def bucket(s3, swift):
    """A bucket of the test's own, made at A; removed at every site
    after, with its multipart segments container."""
    name = 'e2e-s3-%s' % uuid.uuid4().hex[:12]
    s3['a'].create_bucket(Bucket=name)
    yield name
    for container in (name, name + '+segments'):
        purge(swift.values(), container)


def error_code(call, *args, **kwargs) -> str:
    """The S3 error code of a call that must fail."""
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        call(*args, **kwargs)
    return caught.value.response['Error']['Code']


def test_the_pair_puts_s3api_right_before_tempauth(duo):
    with open(os.path.join(duo.a.swift_dir, 'proxy-server.conf')) as f:
        pipeline = next(line for line in f if line.startswith('pipeline'))
    names = pipeline.split()
    assert names.index('s3api') + 1 == names.index('tempauth')
    assert names.index('tempauth') < names.index('autosync')


def test_env_gives_the_s3_endpoint_and_keys(duo):
    env = duo.env('b')
    assert env['AWS_ENDPOINT_URL'] == duo.b.proxy_url
    assert (env['AWS_ACCESS_KEY_ID'], env['AWS_SECRET_ACCESS_KEY']) == (
        USER, KEY)


def test_create_bucket_at_a_makes_it_at_b_wired(s3, swift, bucket):
    s3['b'].head_bucket(Bucket=bucket)
    assert bucket in [b['Name'] for b in s3['b'].list_buckets()['Buckets']]
    assert_sync_to(head_container(swift['a'], bucket), 'b', bucket)
    assert_sync_to(head_container(swift['b'], bucket), 'a', bucket)


def test_an_object_put_at_a_is_read_and_listed_at_b_after_sync(
        duo, s3, swift, bucket):
    body = os.urandom(4096)
    put = s3['a'].put_object(Bucket=bucket, Key='dir/obj', Body=body,
                             Metadata={'color': 'blue'})
    # Before sync B has no copy (not listed), and reads A's
    # (read_fallback; s3api shows S3 clients no X-Autosync-Read-From).
    assert 'Contents' not in s3['b'].list_objects_v2(Bucket=bucket)
    early = s3['b'].get_object(Bucket=bucket, Key='dir/obj')
    assert early['Body'].read() == body
    assert early['ETag'] == put['ETag']
    duo.a.sync_once()
    assert READ_FROM not in swift['b'].head_object(bucket, 'dir/obj')
    got = s3['b'].get_object(Bucket=bucket, Key='dir/obj')
    assert got['Body'].read() == body
    assert got['ETag'] == put['ETag']
    assert got['Metadata'] == {'color': 'blue'}
    listed = s3['b'].list_objects_v2(Bucket=bucket, Prefix='dir/')
    assert [o['Key'] for o in listed['Contents']] == ['dir/obj']


def test_a_key_at_no_site_is_no_such_key_at_b(s3, bucket):
    assert error_code(s3['b'].get_object, Bucket=bucket,
                      Key='nowhere') == 'NoSuchKey'


def test_delete_an_empty_bucket_at_b_is_gone_at_both(s3, swift, bucket):
    s3['b'].delete_bucket(Bucket=bucket)
    for site in 'ab':
        assert error_code(s3[site].head_bucket, Bucket=bucket) == '404'
        assert head_container(swift[site], bucket) is None


def test_delete_a_bucket_b_still_holds_objects_in_is_bucket_not_empty(
        duo, s3, swift, bucket):
    s3['a'].put_object(Bucket=bucket, Key='obj', Body=b'at both')
    duo.a.sync_once()
    # Empty at A; B keeps its copy until the next pass carries the delete.
    s3['a'].delete_object(Bucket=bucket, Key='obj')
    assert error_code(s3['a'].delete_bucket,
                      Bucket=bucket) == 'BucketNotEmpty'
    for site in 'ab':
        s3[site].head_bucket(Bucket=bucket)
    assert s3['b'].get_object(Bucket=bucket, Key='obj')[
        'Body'].read() == b'at both'


def test_bucket_versioning_on_a_synced_bucket_is_an_s3_error(s3, bucket):
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        s3['a'].put_bucket_versioning(
            Bucket=bucket, VersioningConfiguration={'Status': 'Enabled'})
    error = caught.value.response['Error']
    assert caught.value.response['ResponseMetadata'][
        'HTTPStatusCode'] == 400
    assert error['Code'] == 'InvalidRequest'
    assert 'versioning' in error['Message'].lower()
    for site in 'ab':
        assert s3[site].get_bucket_versioning(Bucket=bucket).get(
            'Status') is None


def test_a_multipart_upload_at_a_reaches_b_as_one_object(duo, s3, swift,
                                                         bucket):
    parts = [os.urandom(5 * MIB), os.urandom(MIB)]
    multipart_upload(s3['a'], bucket, 'big', parts)
    duo.a.sync_once()
    got = s3['b'].get_object(Bucket=bucket, Key='big')
    body = got['Body'].read()
    assert hashlib.md5(body).hexdigest() == hashlib.md5(
        b''.join(parts)).hexdigest()
    # The same manifest at both sites, its segments in B's own
    # bucket+segments: B assembled it.
    manifests = [swift[site].head_object(bucket, 'big') for site in 'ab']
    assert [m.get('x-static-large-object') for m in manifests] == [
        'True', 'True']
    assert manifests[0]['etag'] == manifests[1]['etag']
    assert swift['b'].head_container(bucket + '+segments')[
        'x-container-object-count'] == str(len(parts))
    # s3api keeps the multipart ETag (md5 of the parts' md5s, -2) in
    # object sysmeta, which container-sync's PUT cannot set at B (its
    # gatekeeper strips it): B shows the manifest's, as s3api does for
    # any SLO it did not upload (README, S3 clients).
    assert s3['a'].head_object(Bucket=bucket, Key='big')['ETag'].endswith(
        '-2"')
    assert got['ETag'] == '"%s-N"' % manifests[1]['etag'].strip('"')


def multipart_upload(client, bucket: str, key: str, parts) -> None:
    upload = client.create_multipart_upload(Bucket=bucket, Key=key)
    done = []
    for number, part in enumerate(parts, 1):
        etag = client.upload_part(
            Bucket=bucket, Key=key, UploadId=upload['UploadId'],
            PartNumber=number, Body=part)['ETag']
        done.append({'PartNumber': number, 'ETag': etag})
    client.complete_multipart_upload(
        Bucket=bucket, Key=key, UploadId=upload['UploadId'],
        MultipartUpload={'Parts': done})


def test_delete_bucket_after_a_multipart_object_waits_for_sync(
        duo, s3, swift, bucket):
    multipart_upload(s3['a'], bucket, 'big', [os.urandom(5 * MIB), b'end'])
    duo.a.sync_once()
    s3['a'].delete_object(Bucket=bucket, Key='big')
    # s3api deletes bucket+segments first; B's copy still holds the
    # segments until A's next pass carries their deletes.
    assert error_code(s3['a'].delete_bucket,
                      Bucket=bucket) == 'ServiceUnavailable'
    s3['b'].head_bucket(Bucket=bucket)
    duo.a.sync_once()
    s3['a'].delete_bucket(Bucket=bucket)
    for site in 'ab':
        assert head_container(swift[site], bucket) is None
