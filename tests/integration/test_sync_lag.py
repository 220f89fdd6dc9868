"""The sync.lag timing on the pair: B's proxy times each object
container-sync brings it from A, and sends it to B's StatsD port (the
pair's proxies send there; this test listens)."""

import contextlib
import re
import socket
import time
from typing import Iterator, List

from e2e_helpers import Sites, pair_of_its_own

NO_NATURAL_SYNC = 86400
# Swift's StatsD timing line: <prefix>sync.lag:<ms>|ms
LAG = re.compile(rb'(?:^|\.)sync\.lag:([0-9.]+)\|ms')


duo = pair_of_its_own(sync_interval=NO_NATURAL_SYNC)


@contextlib.contextmanager
def statsd_at(port: int) -> Iterator[List[bytes]]:
    """What arrives at UDP ``port`` on 127.0.0.1 during the block."""
    got: List[bytes] = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(('127.0.0.1', port))
        sock.settimeout(0.2)
        yield got
        deadline = time.monotonic() + 2  # what is on its way still
        while time.monotonic() < deadline:
            try:
                got.append(sock.recv(65536))
            except socket.timeout:
                if got:
                    break


def test_b_times_each_object_container_sync_brings(duo):
    with Sites(duo) as sites:
        name = sites.container(prefix='lag-')
        sites.a.put_container(name)
        sites.a.put_object(name, 'one', b'1')
        sites.a.put_object(name, 'two', b'2')
        written = time.time()
        with statsd_at(duo.b.service_port('statsd')) as got:
            duo.a.sync_once()
            waited = time.time() - written
        lags = [float(found.group(1)) for packet in got
                for found in [LAG.search(packet)] if found]
        assert len(lags) == 2, got
        # From the write at A to the copy at B: not more than we waited.
        assert all(0 <= lag <= waited * 1000 + 1000 for lag in lags), lags
