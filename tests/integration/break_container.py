"""Change a container at one cluster behind autosync's back, as an
operator's mistake or a half-applied change would: run through the pair's
launcher so Swift reads that cluster's swift.conf::

    python -m autosync.pair.launcher SWIFT_DIR break_container:main \\
        INTERNAL_CLIENT_CONF ACCOUNT CONTAINER (NAME=VALUE... | DELETE)

NAME=VALUE pairs are POSTed; DELETE deletes the container there only, as
a delete that crossed a re-create elsewhere leaves it.
"""

import sys

from autosync.clusters import make_internal_client
from autosync.placement import quoted_path


def main() -> int:
    conf, account, container, *pairs = sys.argv[1:]
    client = make_internal_client(conf, quiet=True)
    if pairs == ['DELETE']:
        client.make_request('DELETE', quoted_path(account, container), {},
                            acceptable_statuses=(2,))
        return 0
    headers = dict(pair.split('=', 1) for pair in pairs)
    client.make_request('POST', quoted_path(account, container), headers,
                        acceptable_statuses=(2,))
    return 0
