"""Talking to the pair over loopback HTTP: health, login, accounts.

Plain ``http.client`` on purpose: it never goes through an HTTP proxy
from the environment, and the tool needs nothing beyond the standard
library to come up.
"""

import http.client
import socket
import time
from typing import Dict, Optional, Tuple

from autosync.pair.layout import USERS

TIMEOUT = 5.0
# The first write of an account makes its DB at every replica: at a
# load average of 50 on 2 cores, a pair with three replicas took more
# than 5 s.
FIRST_WRITE_TIMEOUT = 60.0


def request(port: int, method: str, path: str,
            headers: Optional[Dict[str, str]] = None,
            timeout: float = TIMEOUT
            ) -> Tuple[int, Dict[str, str], bytes]:
    """One request to 127.0.0.1:port; raises OSError when refused."""
    return request_with_body(port, method, path, headers or {}, None,
                             timeout)


def request_with_body(port: int, method: str, path: str,
                      headers: Dict[str, str], body: Optional[bytes],
                      timeout: float = TIMEOUT
                      ) -> Tuple[int, Dict[str, str], bytes]:
    """One request with a body (None: none) to 127.0.0.1:port."""
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


def port_in_use(port: int) -> bool:
    """True when something on 127.0.0.1 already holds ``port``."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # As Swift's servers do: a port held only by connections in
    # TIME_WAIT (a server just stopped) is free for them.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(('127.0.0.1', port))
    except OSError:
        return True
    finally:
        sock.close()
    return False


def answers(port: int, service: str) -> bool:
    """True when the server on ``port`` answers its health check."""
    try:
        if service in ('memcached', 'rsync'):
            with socket.create_connection(('127.0.0.1', port), TIMEOUT):
                return True
        if service == 'keystone':
            return request(port, 'GET', '/v3')[0] == 200
        status, _, _ = request(port, 'GET', '/healthcheck')
        return status == 200
    except OSError:
        return False


def wait_until(check, timeout: float, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def login(port: int, user: str, key: str) -> Tuple[str, str]:
    """tempauth v1.0 login -> (storage URL, token)."""
    status, headers, body = request(
        port, 'GET', '/auth/v1.0',
        {'X-Auth-User': user, 'X-Auth-Key': key})
    headers = {k.lower(): v for k, v in headers.items()}
    if status // 100 != 2:
        raise RuntimeError('login as %s on port %d: %d %s'
                           % (user, port, status, body[:200]))
    return headers['x-storage-url'], headers['x-auth-token']


def create_accounts(port: int) -> None:
    """POST each tempauth account once so that it really exists.

    A HEAD of an account never written answers a made-up 200; the POST
    makes the proxy create it (account_autocreate).
    """
    done = set()
    for account, user, key, groups in USERS:
        if account in done or '.admin' not in groups.split():
            continue
        url, token = login(port, '%s:%s' % (account, user), key)
        path = url.split('127.0.0.1:%d' % port, 1)[1]
        status, _, body = request(port, 'POST', path,
                                  {'X-Auth-Token': token},
                                  FIRST_WRITE_TIMEOUT)
        if status // 100 != 2:
            raise RuntimeError('POST %s on port %d: %d %s'
                               % (path, port, status, body[:300]))
        done.add(account)
