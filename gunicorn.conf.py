"""Gunicorn settings for production: `gunicorn -c gunicorn.conf.py partnership.wsgi`.

Every value can be overridden by the environment (GUNICORN_* below) or the command line.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
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
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None  # empty: no access log
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
