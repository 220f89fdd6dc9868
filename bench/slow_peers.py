"""Stand-in sites for bench/fanout.py: COUNT HTTP servers on 127.0.0.1,
each answering every request with ``201`` after DELAY seconds.

They run in a process of their own, as other sites would, so that their
work does not count in the fan-out's own process. The first line on
stdout lists the servers' URLs; the process ends when its parent does
(or on SIGTERM).

    python bench/slow_peers.py COUNT DELAY
"""

import warnings

# Swift runs on eventlet; its deprecation notice is noise here.
warnings.filterwarnings('ignore', message=r'\s*Eventlet is deprecated')

import eventlet  # noqa: E402

eventlet.monkey_patch(socket=True, select=True, thread=False, time=False)

import os  # noqa: E402
import sys  # noqa: E402

import eventlet.wsgi  # noqa: E402


def slow_app(delay: float):
    def answer(env, start_response):
        eventlet.sleep(delay)
        start_response('201 Created', [('Content-Length', '0')])
        return [b'']
    return answer


def serve(count: int, delay: float) -> None:
    app = slow_app(delay)
    urls = []
    for _ in range(count):
        sock = eventlet.listen(('127.0.0.1', 0), backlog=128)
        urls.append('http://127.0.0.1:%d' % sock.getsockname()[1])
        eventlet.spawn(eventlet.wsgi.server, sock, app,
                       log=open(os.devnull, 'w'), log_output=False)
    print(' '.join(urls), flush=True)
    parent = os.getppid()
    while os.getppid() == parent:
        eventlet.sleep(0.5)


if __name__ == '__main__':
    serve(int(sys.argv[1]), float(sys.argv[2]))
