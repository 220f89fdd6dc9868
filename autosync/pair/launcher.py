"""Run one Swift entry point with its own swift_dir.

Swift reads ``/etc/swift/swift.conf`` (hash prefix/suffix, storage
policies, constraints) at import time, whatever ``swift_dir`` the server
or daemon configuration says. Two clusters on one machine need two
swift.conf files, so this launcher points Swift at the cluster's
swift_dir, reloads what was read at import, then runs the unmodified
entry point::

    python -m autosync.pair.launcher SWIFT_DIR swift.proxy.server:main \\
        proxy-server.conf -v

Nothing is written to /etc/swift.
"""

import importlib
import sys

from autosync.swiftdir import use_swift_dir


def load_entry_point(spec: str):
    """Return the callable named by ``module:function``."""
    module_name, _, function_name = spec.partition(':')
    return getattr(importlib.import_module(module_name), function_name)


def main(argv=None) -> int:
    argv = list(sys.argv if argv is None else argv)
    if len(argv) < 3:
        sys.stderr.write(
            'usage: python -m autosync.pair.launcher SWIFT_DIR '
            'MODULE:FUNCTION [ARGS...]\n')
        return 2
    swift_dir, spec = argv[1], argv[2]
    use_swift_dir(swift_dir)
    entry_point = load_entry_point(spec)
    sys.argv = [spec.split(':')[0]] + argv[3:]
    return entry_point()


if __name__ == '__main__':
    sys.exit(main())
