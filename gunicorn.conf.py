"""Gunicorn settings for production: `gunicorn -c gunicorn.conf.py partnership.wsgi`.

Every value can be overridden by the environment (GUNICORN_* below) or the command line.
"""

import gc
import multiprocessing
import os

# Listen on the loopback only: the TLS-terminating proxy in front, on the same machine, is the
# only one that reaches gunicorn. Another address (GUNICORN_BIND) goes with the proxy's
# address in FORWARDED_ALLOW_IPS, and a firewall that lets nobody else in.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# gthread workers: a few processes, each with threads, suit an I/O-bound Django app on PostgreSQL.
worker_class = "gthread"
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", 4))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 30
keepalive = 5
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 2000))
max_requests_jitter = 200
# The application is loaded once, before the workers are forked: a worker replaced after
# max_requests starts at once instead of importing Django again (a second of CPU during which
# the requests it accepted waited: the benchmark's 95th percentiles showed it).
preload_app = os.environ.get("GUNICORN_PRELOAD", "true").lower() in ("1", "true", "yes")


def pre_fork(server, worker):
    """The objects of the preloaded application (about 150,000: modules, classes, URL patterns,
    translations) are moved out of the garbage collector's sight before each worker is forked:
    a full collection in a worker no longer walks them (about 4 ms of a dashboard's 40), and
    their memory pages stay shared with the master instead of being copied when it does."""
    gc.collect()
    gc.freeze()


accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None  # empty: no access log
errorlog = "-"

# Whom gunicorn believes about the request's scheme (X-Forwarded-Proto...): the same trust as
# the application's (partnership/settings.py, TRUSTED_PROXY_COUNT, with the same default).
# No proxy: nobody's forwarded headers are believed. Behind proxies: only the next one's,
# at FORWARDED_ALLOW_IPS (the loopback by default, where gunicorn listens).
_debug = os.environ.get("DEBUG", "").strip().lower() in ("1", "true", "yes", "on")
trusted_proxy_count = int(os.environ.get("TRUSTED_PROXY_COUNT") or (0 if _debug else 1))
forwarded_allow_ips = (
    os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1") if trusted_proxy_count > 0 else ""
)
# The access log never holds a calendar feed's key (partnership/core/logs.py).
logger_class = "partnership.core.logs.AccessLogger"
