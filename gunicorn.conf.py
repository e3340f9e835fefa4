"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py` (or `make serve`).

Every value can be overridden on the command line or through GUNICORN_CMD_ARGS; the address and
the number of workers also come from GUNICORN_BIND and WEB_CONCURRENCY.
"""

import gc
import multiprocessing
import os

wsgi_app = "tracker.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY") or min(2 * multiprocessing.cpu_count() + 1, 9))
# A worker that takes longer than this is killed and restarted; PostgreSQL cancels a statement
# after DJANGO_STATEMENT_TIMEOUT_MS (15 s by default) first, so a slow query is a clean error.
timeout = int(os.environ.get("GUNICORN_TIMEOUT") or 30)
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a slow leak cannot grow for ever; not so often that each worker
# keeps restarting under load, losing its cached pages and its database connection (at a
# thousand requests a second, 1000 meant a new worker every second).
max_requests = 20000
max_requests_jitter = 2000
accesslog = "-"
errorlog = "-"
# Headers and request lines beyond these are refused before Django sees them.
limit_request_line = 8190
limit_request_fields = 100


def _gc_threshold() -> int:
    raw = os.environ.get("GUNICORN_GC_THRESHOLD") or "50000"
    if not (raw.isascii() and raw.isdigit() and int(raw) > 0):
        raise SystemExit(f"GUNICORN_GC_THRESHOLD must be a whole number above 0, not {raw!r}")
    return int(raw)


# Python's cyclic garbage collector runs each time 700 more objects have been made than freed:
# several times for each page a worker builds, each time walking what is new since. Once a
# worker has loaded the site, it freezes what it loaded (not garbage: never walked again) and
# lets GC_THRESHOLD objects come before the next collection.
GC_THRESHOLD = _gc_threshold()


def post_worker_init(worker):
    """Called in each worker once it has loaded the WSGI application."""
    gc.freeze()
    gc.set_threshold(GC_THRESHOLD, *gc.get_threshold()[1:])
