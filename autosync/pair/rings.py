"""One-replica rings with one device, built in-process.

Building with Swift's RingBuilder directly is faster than three
``swift-ring-builder`` runs per ring, and it does not have the command's
habit of exiting 1 on a mere warning. Each ring is checked to exist
after it is written.
"""

import os

from autosync.pair.layout import Layout, Settings

PART_POWER = 6
RING_SERVICES = ('account', 'container', 'object')
DEVICE = 'd1'


def ring_path(layout: Layout, cluster: str, service: str) -> str:
    return os.path.join(layout.swift_dir(cluster), service + '.ring.gz')


def build_ring(path: str, port: int) -> None:
    from swift.common.ring import RingBuilder

    builder = RingBuilder(PART_POWER, 1, 1)
    builder.add_dev({'id': 0, 'region': 1, 'zone': 1, 'ip': '127.0.0.1',
                     'port': port, 'device': DEVICE, 'weight': 1.0,
                     'meta': ''})
    builder.rebalance(seed=1)
    builder.get_ring().save(path)
    if not os.path.exists(path):
        raise RuntimeError('ring %s was not written' % path)


def build_rings(layout: Layout, settings: Settings, cluster: str) -> None:
    """Write the account, container and object rings of one cluster."""
    for service in RING_SERVICES:
        build_ring(ring_path(layout, cluster, service),
                   settings.port(cluster, service))
