"""Unit tests talk to loopback peer servers from the same process: patch
sockets for eventlet, as Swift's proxy does at start, so the fan-out's
green threads really run in parallel."""

import eventlet

eventlet.monkey_patch(socket=True, select=True, thread=False, time=False)
