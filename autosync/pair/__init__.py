"""``autosync-pair``: two (or more) real Swift clusters on one machine.

The pair is two independent Swift clusters, A and B (``--sites 3``: A, B
and C, and so on), on 127.0.0.1, built from the installed ``swift``
package: each has its own swift_dir, rings, storage servers, proxy (with
autosync in its pipeline), memcached, container-sync daemon and
updaters. All share one container-sync realm.

Modules, one job each:

- ``layout``: settings (ports, style, secrets) and where every file lives.
- ``render``: settings -> configuration files, from ``templates/``.
- ``rings``: one-device, one-replica rings.
- ``launcher``: runs a Swift entry point with its own swift_dir.
- ``services``: the processes of one cluster and their command lines.
- ``process``: start and stop processes through PID files.
- ``health``: waits for servers, tempauth login, account creation.
- ``control``: up, down, status, one sync pass (the Python API).
- ``cli``: the ``autosync-pair`` command.
"""
