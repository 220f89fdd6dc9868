"""Read swift.conf from the configured swift_dir, not /etc/swift.

Swift reads ``/etc/swift/swift.conf`` (hash prefix and suffix, storage
policies, constraints) at import time. A command given a conf whose
``swift_dir`` is elsewhere (``autosync status``; every process of the
pair) must point Swift there before it reads a ring.
"""


def use_swift_dir(swift_dir: str) -> None:
    """Make Swift read swift.conf from ``swift_dir`` from now on."""
    from swift.common import constraints, storage_policy, utils

    utils.set_swift_dir(swift_dir)
    storage_policy.reload_storage_policies()
    constraints.reload_constraints()
