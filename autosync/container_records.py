"""A container server filter that answers many container HEADs in one
request, for another site's reconciler (``peer_batch.py`` asks it).

A reconciler pass reads every container it checks at every other site.
One signed HEAD per container through the other site's proxy, on a
connection of its own, cost four to nine times a container-sync pass
over the same DBs (README, "Reconciler passes"). With this filter in
the container servers' pipeline, that site's proxy asks each container
server once for all the containers it holds of a batch, and the server
reads each from its DB as its HEAD would
(``swift/container/server.py``): the same headers, no request per
container. Put it before the container server::

    [pipeline:main]
    pipeline = healthcheck recon autosync_records container-server

    [filter:autosync_records]
    use = egg:swift-autosync#container_records
    # devices and mount_check are the container server's ([DEFAULT]);
    # set allow_versions here too if the container server has it on.
    # allow_versions = false

Without it a container server answers the batch 400 (not a container
path) and the reconciler reads those containers one HEAD at a time, as
it did before: adding the filter is a matter of speed, not correctness.

The request (backend only, from the proxy; the container server is not
reachable by clients)::

    POST /<device>/0/<account>
    X-Autosync-Records: 1

    [[<partition>, "<container>"], ...]

answered 200 with ``{"<container>": {"status": 204 or 404, "headers":
{...}}, ...}``: each container's HEAD status and headers, names as
HTTP carries them; a container whose DB is not on this device is
answered ``{"status": 404, "headers": {}}``.
"""

import json
import os

from eventlet import sleep
from swift.common.constraints import check_drive
from swift.common.request_helpers import (
    is_sys_or_user_meta,
    split_and_validate_path,
)
from swift.common.swob import (
    HTTPBadRequest,
    HTTPException,
    HTTPInsufficientStorage,
    Request,
    Response,
    str_to_wsgi,
)
from swift.common.utils import (
    config_true_value,
    get_logger,
    hash_path,
    storage_directory,
)
from swift.container.backend import DATADIR, ContainerBroker
from swift.container.server import gen_resp_headers

from autosync.protocol import (
    ACL_HEADERS,
    RECORDS_ENV_KEY,
    SYNC_KEY,
    SYNC_TO,
    VERSIONS_LOCATION,
)

# The most containers one request may name: a bound on one request's
# work (the proxy sends peer_batch.MAX_NAMES at most).
MAX_CONTAINERS = 1000
# The metadata a container HEAD shows beside user and system metadata
# (the container server's save_headers; versioned_writes' legacy header
# too where its allow_versions is on, so this filter's too).
SAVED_HEADERS = ACL_HEADERS + (SYNC_KEY.lower(), SYNC_TO.lower())


def parse_asked(body: bytes):
    """The (partition, container) pairs a request's body names;
    ValueError naming what is wrong."""
    asked = json.loads(body)
    if not isinstance(asked, list) or len(asked) > MAX_CONTAINERS or \
            not all(_is_pair(entry) for entry in asked):
        raise ValueError('expected a list of at most %d [partition, '
                         'container name]' % MAX_CONTAINERS)
    return [tuple(entry) for entry in asked]


def _is_pair(entry) -> bool:
    return isinstance(entry, list) and len(entry) == 2 and \
        type(entry[0]) is int and entry[0] >= 0 and \
        isinstance(entry[1], str) and entry[1] != ''


class ContainerRecords(object):

    def __init__(self, app, conf: dict):
        self.app = app
        self.root = conf.get('devices', '/srv/node')
        self.mount_check = config_true_value(conf.get('mount_check', 'true'))
        self.saved = SAVED_HEADERS + (
            (VERSIONS_LOCATION.lower(),) if config_true_value(
                conf.get('allow_versions', 'false')) else ())
        self.logger = get_logger(conf, log_route='autosync_records')

    def __call__(self, env, start_response):
        if env.get(RECORDS_ENV_KEY) != '1' or \
                env['REQUEST_METHOD'] != 'POST':
            return self.app(env, start_response)
        return self.answer(Request(env))(env, start_response)

    def answer(self, req: Request) -> Response:
        try:
            drive, _, account = split_and_validate_path(req, 3, 3)
            asked = parse_asked(req.body)
        except HTTPException as err:
            return err
        except (ValueError, TypeError) as err:
            return HTTPBadRequest(body=str(err).encode('utf-8'),
                                  request=req)
        try:
            check_drive(self.root, drive, self.mount_check)
        except ValueError:
            return HTTPInsufficientStorage(drive=drive, request=req)
        records = {}
        for part, name in asked:
            records[name] = self.head(drive, part, account, name)
            # Each read blocks: let the server's other requests in
            # between, as it would between HEADs.
            sleep()
        return Response(status=200, request=req,
                        content_type='application/json',
                        body=json.dumps(records).encode('ascii'))

    def head(self, drive: str, part: int, account: str,
             container: str) -> dict:
        """What this server's HEAD of the container answers (status and
        headers; ``server.py``'s HEAD), read from its DB here."""
        hsh = hash_path(account, container)
        path = os.path.join(self.root, drive,
                            storage_directory(DATADIR, part, hsh),
                            hsh + '.db')
        broker = ContainerBroker(path, account=account, container=container,
                                 logger=self.logger, pending_timeout=0.1,
                                 stale_reads_ok=True)
        if not os.path.exists(broker.db_file):
            return {'status': 404, 'headers': {}}
        try:
            info, deleted = broker.get_info_is_deleted()
            metadata = broker.metadata
        except Exception as err:
            # The asker reads this one with a HEAD of its own.
            self.logger.error('autosync_records: cannot read %s: %s',
                              broker.db_file, err)
            return {'status': 500, 'headers': {}}
        headers = {name: str(value) for name, value in
                   gen_resp_headers(info, is_deleted=deleted).items()}
        if deleted:
            return {'status': 404, 'headers': headers}
        headers.update(
            (str_to_wsgi(name), str_to_wsgi(value))
            for name, (value, _) in metadata.items()
            if value != '' and (name.lower() in self.saved or
                                is_sys_or_user_meta('container', name)))
        return {'status': 204, 'headers': headers}


def filter_factory(global_conf, **local_conf):
    conf = dict(global_conf, **local_conf)

    def records_filter(app):
        return ContainerRecords(app, conf)
    return records_filter
