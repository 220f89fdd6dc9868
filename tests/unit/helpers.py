"""Small stand-ins for Swift's test doubles (its test tree is not shipped).

* ``FakeSwift``: an in-memory account/container store behind the WSGI
  interface, enough of a proxy for autosync: it authorizes through
  ``env['swift.authorize']``, drops owner-only headers for non-owners as
  the proxy does, answers HEAD with stored metadata (so
  ``get_container_info`` works), refuses to delete a non-empty container,
  and records a container's PUT and DELETE times as Swift's container
  server does (a deleted container answers 404 with them).
* ``FakeLogger``: records log lines and statsd counters.
* ``InternalClientShim``: what the reconciler uses of Swift's
  InternalClient, over a WSGI app (a FakeSwift), acting as the owner.
* ``PeerSite``: a real HTTP server on 127.0.0.1 running autosync in front
  of a FakeSwift: another site, reached over loopback, behind what Swift's
  gatekeeper does (sysmeta and backend headers stripped both ways).
* ``write_realms_conf`` and ``RealmsConf``: a swift_dir with a
  container-sync-realms.conf, and its realms loaded (conftest's
  ``realms_conf`` fixture writes one and removes it at teardown).
* The names and values the test modules share (``ACCOUNT``,
  ``CONTAINER``, site URLs, keys, realm names).
"""

import collections
import email.utils
import hashlib
import io
import json
import math
import os
import tempfile
import threading
import zlib
from urllib.parse import quote

import eventlet
import eventlet.wsgi
from swift.common.container_sync_realms import ContainerSyncRealms
from swift.common.internal_client import UnexpectedResponse
from swift.common.middleware.gatekeeper import (
    inbound_exclusions,
    make_exclusion_test,
)
from swift.common.request_helpers import remove_items
from swift.common.swob import Request, Response, wsgi_to_str
from swift.common.utils import (
    Timestamp,
    hash_path,
    split_path,
    storage_directory,
)
from swift.container.backend import DATADIR, ContainerBroker
from swift.container.server import ContainerController

from autosync import config, container_records
from autosync.clusters import acting_as_owner
from autosync.middleware import Autosync
from autosync.placement import quoted_path

# Names and values the test modules share.
KEY = 'unit-test-key'  # autosync_key
SYNC_KEY = 'the-ring-key'  # a container's X-Container-Sync-Key
ACCOUNT_NAME = 'AUTH_test'
CONTAINER_NAME = 'c'
ACCOUNT = '/v1/' + ACCOUNT_NAME  # a test account every FakeSwift site has
CONTAINER = ACCOUNT + '/' + CONTAINER_NAME
# Sites of a full-URL placement.
A = 'http://a.example.com:8080'
B = 'http://b.example.com:8080'
C = 'http://c.example.com:8080'
D = 'http://d.example.com:8080'
E = 'http://e.example.com:8080'
# Sites of a realm placement, for code that reads no realms conf.
REALM_SITES = ('//realm/a', '//realm/b', '//realm/c')
# What write_realms_conf writes unless told otherwise.
REALM = 'r1'
REALM_KEY = 'realmkey'
# The sysmeta autosync keeps with a container, as the container server
# stores it.
PLACEMENT = 'X-Container-Sysmeta-Autosync-Placement'
VERSION = 'X-Container-Sysmeta-Autosync-Placement-Version'
CHANGED = 'X-Container-Sysmeta-Autosync-Changed-At'

OWNER_HEADERS = ('x-container-sync-to', 'x-container-sync-key',
                 'x-container-read', 'x-container-write')
# What Swift's gatekeeper, first in a proxy's pipeline, strips from
# requests and responses: sysmeta and backend headers.
GATEKEEPER_HIDES = make_exclusion_test(inbound_exclusions)
REALMS_CONF = 'container-sync-realms.conf'


class FakeLogger(object):
    """Collects what autosync logs and counts."""

    def __init__(self):
        self.lines = collections.defaultdict(list)
        self.counters = collections.Counter()
        self.timings = collections.defaultdict(list)

    def _log(self, level, msg, *args):
        if len(args) == 1 and isinstance(args[0], dict):
            args = args[0]  # as logging does: '%(name)s' % {'name': ...}
        self.lines[level].append(msg % args if args else msg)

    def debug(self, msg, *args, **kwargs):
        self._log('debug', msg, *args)

    def info(self, msg, *args, **kwargs):
        self._log('info', msg, *args)

    def warning(self, msg, *args, **kwargs):
        self._log('warning', msg, *args)

    def error(self, msg, *args, **kwargs):
        self._log('error', msg, *args)

    def exception(self, msg, *args, **kwargs):
        self._log('error', msg, *args)

    def increment(self, metric, sample_rate=1):
        self.counters[metric] += 1

    def timing(self, metric, timing_ms, sample_rate=1):
        self.timings[metric].append(timing_ms)

    def all_lines(self):
        return [line for lines in self.lines.values() for line in lines]


class FakeSwift(object):
    """A proxy-shaped WSGI app over an in-memory account/container store.

    ``calls`` lists (method, path, headers, environ-copy) for every call.
    ``objects`` maps a container path to its object count, to make
    DELETE answer 409. ``forced`` maps (method, path) to a status to
    answer instead of doing the work. ``put_timestamps`` and
    ``delete_timestamps`` map a container path to when it was last PUT
    and deleted (HEAD shows them as X-Backend-PUT/DELETE-Timestamp);
    ``listings`` maps a container (account) path to the entries a GET
    lists, by ``marker`` and ``limit``. ``object_store`` maps an object
    path to its ``StoredObject``; ``tombstones`` maps a deleted object's
    path to when it was deleted (its 404 says so in
    X-Backend-Timestamp, as an object server's does).
    """

    def __init__(self):
        self.store = {}
        self.object_store = {}
        self.tombstones = {}
        self.objects = collections.Counter()
        self.forced = {}
        self.put_timestamps = {}
        self.delete_timestamps = {}
        self.listings = collections.defaultdict(list)
        self.calls = []
        self.lock = threading.Lock()

    def __call__(self, env, start_response):
        req = Request(env)
        with self.lock:
            self.calls.append((req.method, req.path,
                               dict(req.headers), dict(env)))
        resp = self.handle(req)
        return resp(env, start_response)

    def handle(self, req):
        if (req.method, req.path) in self.forced:
            return Response(status=self.forced[(req.method, req.path)],
                            body=b'forced by test')
        authorize = req.environ.get('swift.authorize')
        if authorize and not req.environ.get('swift.authorize_override'):
            denial = authorize(req)
            if denial:
                return denial
        if not req.environ.get('swift_owner'):
            for header in OWNER_HEADERS:
                req.headers.pop(header, None)
        version, account, container, obj = split_path(req.path, 2, 4, True)
        if obj:
            handler = getattr(self, 'object_' + req.method, None)
            return handler(req, req.path) if handler else Response(
                status=405)
        handler = getattr(self, 'do_' + req.method, None)
        if handler is None:
            return Response(status=405)
        return handler(req, req.path, container)

    def do_HEAD(self, req, path, container):
        timestamps = self._timestamps(path) if container else {}
        if path not in self.store:
            return Response(status=404, headers=timestamps)
        headers = dict(self.store[path], **timestamps)
        headers['X-Container-Object-Count'] = str(self.objects[path])
        return Response(status=204, headers=headers)

    def do_GET(self, req, path, container):
        resp = self.do_HEAD(req, path, container)
        if not resp.is_success:
            return resp
        # A page from ``marker``, as the container and account servers.
        marker = wsgi_to_str(req.params.get('marker', ''))
        listed = [entry for entry in self.listings[path]
                  if entry['name'] > marker][
                      :int(req.params.get('limit', 10000))]
        resp.status = 200
        resp.content_type = 'application/json; charset=utf-8'
        resp.body = json.dumps(listed).encode('utf-8')
        return resp

    def do_PUT(self, req, path, container):
        existed = path in self.store
        metadata = self.store.setdefault(path, {})
        metadata.update(self._metadata(req))
        if container:
            self.put_timestamps[path] = Timestamp.now().internal
        return Response(status=202 if existed else 201)

    def do_POST(self, req, path, container):
        if path not in self.store:
            return Response(status=404)
        self.store[path].update(self._metadata(req))
        return Response(status=204)

    def do_DELETE(self, req, path, container):
        if path not in self.store:
            return Response(status=404)
        if self.objects[path]:
            return Response(status=409, body=b'There was a conflict')
        del self.store[path]
        if container:
            self.delete_timestamps[path] = Timestamp.now().internal
        return Response(status=204)

    def _timestamps(self, path):
        zero = Timestamp(0).internal
        # A container server tells its DB's sharding state with them.
        return {'X-Backend-PUT-Timestamp':
                self.put_timestamps.get(path, zero),
                'X-Backend-DELETE-Timestamp':
                self.delete_timestamps.get(path, zero),
                'X-Backend-Sharding-State': 'unsharded'}

    @staticmethod
    def _metadata(req):
        # X-Remove-<level>-Meta-<name> clears <name>, as the proxy does.
        removed = {k.replace('-Remove', '', 1): '' for k in req.headers
                   if k.lower().startswith(('x-remove-container-meta-',
                                            'x-remove-account-meta-'))}
        kept = {k: v for k, v in req.headers.items()
                if k.lower().startswith(('x-container-', 'x-account-',
                                         'x-versions-', 'x-history-'))}
        return dict(kept, **removed)

    # -- objects, as the object server keeps them --

    def object_PUT(self, req, path):
        if '/'.join(path.split('/', 4)[:4]) not in self.store:
            return Response(status=404)  # as the proxy: no container
        stored = StoredObject.from_put(req)
        self.object_store[path] = stored
        self.tombstones.pop(path, None)
        return Response(status=201, headers={
            'ETag': stored.headers['ETag'],
            'Last-Modified': stored.headers['Last-Modified']})

    def object_HEAD(self, req, path):
        # swob answers a range (206, 416) and a condition (304, 412) on
        # the stored body, and a HEAD without it, as Swift's servers do.
        stored = self.object_store.get(path)
        if stored is None:
            deleted = self.tombstones.get(path)
            return Response(status=404, headers={
                'X-Backend-Timestamp': deleted} if deleted else {})
        return Response(request=req, conditional_response=True,
                        body=stored.body, headers=dict(stored.headers))

    object_GET = object_HEAD

    def object_POST(self, req, path):
        stored = self.object_store.get(path)
        if stored is None:
            return Response(status=404)
        # An object POST replaces all user metadata, as Swift's does.
        kept = {k: v for k, v in stored.headers.items()
                if not k.lower().startswith('x-object-meta-')}
        stored.headers = dict(kept, **object_metadata(req))
        return Response(status=202)

    def object_DELETE(self, req, path):
        deleted_at = request_timestamp(req).internal
        existed = self.object_store.pop(path, None) is not None
        # The object server writes the tombstone even when it had no
        # object: a PUT that arrives late must not bring it back.
        self.tombstones[path] = deleted_at
        return Response(status=204 if existed else 404,
                        headers={'X-Backend-Timestamp': deleted_at})

    def calls_for(self, method, path=None):
        return [c for c in self.calls if c[0] == method and
                (path is None or c[1] == path)]


class StoredObject(object):
    """An object's body and the headers its GET and HEAD show."""

    def __init__(self, body: bytes, headers: dict):
        self.body = body
        self.headers = headers

    @classmethod
    def from_put(cls, req):
        body = req.body
        timestamp = request_timestamp(req)
        headers = {
            'ETag': hashlib.md5(body).hexdigest(),
            'X-Timestamp': timestamp.normal,
            # As the object server: the time rounded up to the second.
            'Last-Modified': email.utils.formatdate(
                math.ceil(float(timestamp)), usegmt=True),
            'Content-Type': req.headers.get('Content-Type',
                                            'application/octet-stream')}
        headers.update(object_metadata(req))
        return cls(body, headers)


def request_timestamp(req) -> Timestamp:
    """The request's X-Timestamp (the proxy sets one on every object
    change), or now."""
    return Timestamp(req.headers.get('X-Timestamp') or Timestamp.now())


def object_metadata(req) -> dict:
    return {k: v for k, v in req.headers.items()
            if k.lower().startswith('x-object-meta-')}


class InternalClientShim(object):
    """What LocalCluster uses of Swift's InternalClient, over a WSGI app,
    acting as the owner as make_internal_client's client does."""

    def __init__(self, app):
        self.app = acting_as_owner(app)

    def make_request(self, method, path, headers, acceptable_statuses,
                     body_file=None, params=None):
        resp = Request.blank(path, environ={'REQUEST_METHOD': method},
                             headers=headers).get_response(self.app)
        if resp.status_int in acceptable_statuses or \
                resp.status_int // 100 in acceptable_statuses:
            return resp
        raise UnexpectedResponse('Unexpected response: %s' % resp.status,
                                 resp)

    def iter_objects(self, account, container):
        resp = self.make_request('GET', quoted_path(account, container),
                                 {}, (2,))
        return iter(json.loads(resp.body))


def owner_authorize(req):
    """swift.authorize that makes the caller the owner, as tempauth does
    for an account admin."""
    req.environ['swift_owner'] = True
    return None


def denied_authorize(req):
    return Response(status=403, body=b'denied')


def client_request(path, method='PUT', headers=None,
                   authorize=owner_authorize, environ=None):
    """A request as it reaches autosync after auth let the client in."""
    env = {'REQUEST_METHOD': method}
    if authorize is not None:
        env['swift.authorize'] = authorize
    env.update(environ or {})
    return Request.blank(path, environ=env, headers=headers)


def make_filter(app, logger=None, realms=None, **conf):
    """Build the filter through config parsing, as filter_factory does."""
    cfg = config.parse(conf, realms)
    return Autosync(app, cfg, logger=logger or FakeLogger(), realms=realms)


class PeerSite(object):
    """Another site: autosync + FakeSwift behind a loopback HTTP server.

    Start with ``start()`` (binds 127.0.0.1 on a free port, so ``url`` is
    known before the filter config is), then ``serve(**conf)``.
    """

    def __init__(self):
        self.swift = FakeSwift()
        self.logger = FakeLogger()
        self.sock = eventlet.listen(('127.0.0.1', 0))
        self.port = self.sock.getsockname()[1]
        self.url = 'http://127.0.0.1:%d' % self.port
        self.app = None
        self.delay = 0
        self.thread = None
        self.received = []
        self.methods = []
        # What the site's auth does for a request without its own
        # swift.authorize: by default, tempauth's for no token.
        self.authorize = denied_authorize

    def serve(self, realms=None, **conf):
        self.app = make_filter(self.swift, logger=self.logger,
                               realms=realms, **conf)
        self.thread = eventlet.spawn(
            eventlet.wsgi.server, self.sock, self._wsgi,
            log=open(os.devnull, 'w'), log_output=False)
        return self

    def _wsgi(self, env, start_response):
        self.received.append({k[5:].replace('_', '-').lower(): v
                              for k, v in env.items()
                              if k.startswith('HTTP_')})
        self.methods.append(env['REQUEST_METHOD'])
        if self.delay:
            eventlet.sleep(self.delay)
        # What tempauth does for a request without a token.
        env.setdefault('swift.authorize', self.authorize)
        return self.app(env, gatekept(env, start_response))

    def stop(self):
        if self.thread is not None:
            self.thread.kill()
        self.sock.close()


def gatekept(env, start_response):
    """Strip from the request, and from its response, what Swift's
    gatekeeper strips (``start_response`` for the response)."""
    remove_items(Request(env).headers, GATEKEEPER_HIDES)

    def start(status, headers, exc_info=None):
        return start_response(status, [
            (name, value) for name, value in headers
            if not GATEKEEPER_HIDES(name)], exc_info)
    return start


def realm_lines(realm, key, sites, key2=None):
    """One realm's section of container-sync-realms.conf."""
    lines = ['[%s]' % realm, 'key = %s' % key]
    if key2:
        lines.append('key2 = %s' % key2)
    return lines + ['cluster_%s = %s/v1/' % (cluster, url)
                    for cluster, url in sites]


def write_realms_conf(sites, key=REALM_KEY, key2=None, realm=REALM,
                      others=()):
    """A swift_dir with container-sync-realms.conf naming each
    (cluster, url) pair of ``realm``, then each realm of ``others``, a
    (realm, key, sites) triple; returns the swift_dir path."""
    swift_dir = tempfile.mkdtemp(prefix='autosync-test-')
    lines = realm_lines(realm, key, sites, key2)
    for other, other_key, other_sites in others:
        lines += realm_lines(other, other_key, other_sites)
    with open(os.path.join(swift_dir, REALMS_CONF), 'w') as f:
        f.write('\n'.join(lines) + '\n')
    return swift_dir


class RealmsConf(object):
    """A swift_dir that write_realms_conf wrote."""

    def __init__(self, swift_dir):
        self.swift_dir = swift_dir

    def load(self):
        """The realms, as a proxy's container_sync loads them: a new
        ContainerSyncRealms each call."""
        return ContainerSyncRealms(os.path.join(self.swift_dir, REALMS_CONF),
                                   FakeLogger())


def container_db(devices, headers=None, device='sda', name='c', part=0):
    """The DB of AUTH_test/<name> on ``device``, in partition ``part``,
    where a container server keeps it, holding ``headers`` as its
    metadata."""
    hashed = hash_path(ACCOUNT_NAME, name)
    where = os.path.join(str(devices), device,
                         storage_directory(DATADIR, part, hashed))
    os.makedirs(where)
    broker = ContainerBroker(os.path.join(where, hashed + '.db'),
                             account=ACCOUNT_NAME, container=name)
    broker.initialize(Timestamp.now().internal, 0)
    now = Timestamp.now().internal
    broker.update_metadata({header: (value, now)
                            for header, value in (headers or {}).items()})
    return broker


# -- container servers behind autosync's records filter --

def part_of(name):
    """The partition the fake ring gives ``name``: not 0, which the
    request to a server names, so a wrong one is not found."""
    return 1 + zlib.crc32(name.encode('utf-8')) % 7


class FakeRing(object):
    """A container ring: a name's primary nodes as ``placed`` has them,
    else ``nodes``."""

    def __init__(self, nodes, placed=None, account=None):
        self.nodes = nodes
        self.placed = placed or {}
        self.account = account or ACCOUNT_NAME

    def get_nodes(self, account, container):
        assert account == self.account
        return part_of(container), [
            dict(node) for node in self.placed.get(container, self.nodes)]


class ContainerServer(object):
    """Swift's container server on 127.0.0.1 over a devices dir of its
    own (sda), behind the records filter unless ``records`` is False.
    ``requests``: (method, path, names asked) of each request it was
    sent; ``delay``: seconds before it answers."""

    def __init__(self, devices, records=True):
        self.devices = str(devices)
        os.makedirs(os.path.join(self.devices, 'sda'))
        conf = {'devices': self.devices, 'mount_check': 'false',
                'log_requests': 'false'}
        self.server = ContainerController(conf)
        self.app = container_records.filter_factory({}, **conf)(
            self.server) if records else self.server
        self.requests = []
        self.delay = 0
        self.sock = eventlet.listen(('127.0.0.1', 0))
        self.node = {'ip': '127.0.0.1', 'device': 'sda',
                     'port': self.sock.getsockname()[1]}
        self.pool = eventlet.GreenPool()
        self.log = open(os.devnull, 'w')
        self.thread = eventlet.spawn(
            eventlet.wsgi.server, self.sock, self._wsgi, log=self.log,
            log_output=False, custom_pool=self.pool)

    def _wsgi(self, env, start_response):
        body = env['wsgi.input'].read()
        self.requests.append((env['REQUEST_METHOD'], env['PATH_INFO'],
                              [name for _, name in json.loads(body)]))
        env['wsgi.input'] = io.BytesIO(body)
        if self.delay:
            eventlet.sleep(self.delay)
        return self.app(env, start_response)

    @property
    def asked(self):
        return [names for _, _, names in self.requests]

    def make(self, name, headers=None):
        """AUTH_test/<name>'s DB in its partition here."""
        return container_db(self.devices, headers, name=name,
                            part=part_of(name))

    def head(self, name):
        """What this container server answers a HEAD of ``name``."""
        return Request.blank('/sda/%d/%s/%s' % (
            part_of(name), ACCOUNT_NAME, quote(name)),
            method='HEAD').get_response(self.server)

    def stop(self):
        self.thread.kill()
        for thread in list(self.pool.coroutines_running):
            thread.kill()
        self.sock.close()
        self.log.close()
