"""Serve the pair's Keystone (``keystone.py``) on 127.0.0.1, in threads,
with the standard library's WSGI server: a test pair needs no Apache::

    python -m autosync.pair.keystone_server KEYSTONE_CONF PORT
"""

import os
import socketserver
import sys
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


class ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    """One access line per request on stderr (the log file), as the
    server's own, without the reverse DNS lookup."""

    def address_string(self) -> str:
        return self.client_address[0]


def main(argv=None) -> int:
    argv = list(sys.argv if argv is None else argv)
    if len(argv) != 3:
        sys.stderr.write('usage: python -m autosync.pair.keystone_server '
                         'KEYSTONE_CONF PORT\n')
        return 2
    conf, port = argv[1], int(argv[2])
    # Keystone finds its conf here; oslo.config would read argv as its
    # own options.
    os.environ['OS_KEYSTONE_CONFIG_FILES'] = conf
    sys.argv = argv[:1]
    from keystone.server.wsgi import initialize_public_application

    app = initialize_public_application()
    make_server('127.0.0.1', port, app, server_class=ThreadingWSGIServer,
                handler_class=QuietHandler).serve_forever()
    return 0


if __name__ == '__main__':
    sys.exit(main())
