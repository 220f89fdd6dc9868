"""The rings: one replica on one device, or (``--replicas 3``) three
replicas on three devices, one per storage node, each in a zone of its
own; built in-process.

Building with Swift's RingBuilder directly is faster than three
``swift-ring-builder`` runs per ring, and it does not have the command's
habit of exiting 1 on a mere warning. Each ring is checked to exist
after it is written.
"""

import os
from typing import List

from autosync.pair.layout import (
    Layout,
    Settings,
    device_name,
    node_port_key,
)

PART_POWER = 6
RING_SERVICES = ('account', 'container', 'object')


def ring_path(layout: Layout, cluster: str, service: str) -> str:
    return os.path.join(layout.swift_dir(cluster), service + '.ring.gz')


def build_ring(path: str, ports: List[int]) -> None:
    """A ring with a replica on each of ``ports``' nodes."""
    from swift.common.ring import RingBuilder

    builder = RingBuilder(PART_POWER, len(ports), 1)
    for index, port in enumerate(ports):
        builder.add_dev({'id': index, 'region': 1, 'zone': index + 1,
                         'ip': '127.0.0.1', 'port': port,
                         'device': device_name(index + 1), 'weight': 1.0,
                         'meta': ''})
    builder.rebalance(seed=1)
    builder.get_ring().save(path)
    if not os.path.exists(path):
        raise RuntimeError('ring %s was not written' % path)


def build_rings(layout: Layout, settings: Settings, cluster: str) -> None:
    """Write the account, container and object rings of one cluster."""
    for service in RING_SERVICES:
        build_ring(ring_path(layout, cluster, service), [
            settings.port(cluster, node_port_key(service, node))
            for node in range(1, settings.replicas + 1)])
