"""`make bench`: throughput, latency and SQL queries of the main pages on gunicorn + PostgreSQL.

1. Prepares the benchmark database (migrate, demo data, scale data) on PostgreSQL.
2. Starts gunicorn as in production (gunicorn.conf.py: gthread workers) with whitenoise.
3. Logs in once as the demo coordinator (the session cookie is shared by the load clients:
   a password hash costs ~0.3 s of CPU and would dominate the figures otherwise).
4. For each page: wrk for BENCH_SECONDS with BENCH_CONNECTIONS connections: requests per
   second, median and 95th percentile latency; and the SQL queries of one request, counted
   in-process on the same database.
5. The same for a trivial authenticated page (the About page: same middleware, a static
   template), first and again last, and each page's throughput as a ratio of the mean of the
   two (the speed of a shared machine drifts during a run).
6. Every page is requested for BENCH_WARM_UP_SECONDS (1 s) before the first measure, and
   each measure follows another such warm-up, not counted: the first requests of every worker
   compile the page's templates and open its database connection.
7. Every page is drawn for every request (there is no page cache), with the shared cache on
   Redis (BENCH_REDIS_URL) as in production: the fragments it keeps (the dashboard's sections
   shared by the people who see the same agreements, the side-by-side page's projects) are
   found there, as they are between two writes. The CPU time the process spends drawing each
   page, measured in-process, the median of BENCH_DRAWS requests: drawn whole (every table's
   version changed first, so nothing kept is found: the queries counted are those), and with
   what is kept found.

BENCH_PAGES=dashboard,action_update,... (URL names) measures only those pages, and
BENCH_DRAW_ONLY=1 only the in-process figures (no wrk, no gunicorn): quick before/after;
BENCH_PREPARED=1 skips step 1 on a database already prepared.

Prints a table and writes benchmarks/results/latest.json. Targets (reported, not asserted):
every page ≥ 25 % of the trivial page's throughput, p95 < 150 ms except exports, ≤ 15 queries.
"""

import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/partnership_bench"
)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/1")
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
DRAWS = int(os.environ.get("BENCH_DRAWS", "5"))
DRAW_ONLY = os.environ.get("BENCH_DRAW_ONLY", "") not in ("", "0")
ONLY_PAGES = {name for name in os.environ.get("BENCH_PAGES", "").split(",") if name}
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "8"))
THREADS = int(os.environ.get("BENCH_THREADS", "2"))
WARM_UP_SECONDS = int(os.environ.get("BENCH_WARM_UP_SECONDS", "1"))
USERNAME = "anact.coordinateur"
TARGET_RATIO, TARGET_P95_MS, TARGET_QUERIES = 0.25, 150, 15

ENVIRONMENT = {
    "DATABASE_URL": DATABASE_URL,
    "REDIS_URL": REDIS_URL,
    "CACHE_KEY_PREFIX": "bench",
    "DEBUG": "false",
    "SECRET_KEY": "benchmark-only-secret-key-not-for-production-0123456789",
    "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    "SECURE_SSL_REDIRECT": "false",
    "SESSION_COOKIE_SECURE": "false",
    "SECURE_HSTS_SECONDS": "0",
    "LOG_LEVEL": "WARNING",
    "GUNICORN_ACCESS_LOG": "",
}


def run(*args, **kwargs):
    return subprocess.run(args, check=True, cwd=ROOT, **kwargs)


def prepare_database(python):
    name = DATABASE_URL.rsplit("/", 1)[1]
    exists = subprocess.run(
        [
            "psql",
            DATABASE_URL.rsplit("/", 1)[0] + "/postgres",
            "-tAc",
            f"SELECT 1 FROM pg_database WHERE datname = '{name}'",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if not exists:
        run(
            "psql", DATABASE_URL.rsplit("/", 1)[0] + "/postgres", "-qc", f'CREATE DATABASE "{name}"'
        )
    run(python, "manage.py", "migrate", "--noinput", "-v0")
    run(python, "manage.py", "load_demo", "-v0")
    run(python, "manage.py", "generate_scale_data")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(static_root, log_path=None, **environment):
    """gunicorn as in production, on 127.0.0.1 and a free port: (process, base URL).

    Its output goes to a file (``log_path``, or a temporary one): a pipe nobody reads would
    fill up and stall the workers once they log many errors."""
    port = free_port()
    if log_path is None:
        log_path = Path(tempfile.mkstemp(prefix="bench-gunicorn-", suffix=".log")[1])
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                str(ROOT / ".venv/bin/gunicorn"),
                "-c",
                "gunicorn.conf.py",
                "--bind",
                f"127.0.0.1:{port}",
                "partnership.wsgi",
            ],
            cwd=ROOT,
            env={**os.environ, "STATIC_ROOT": static_root, **environment},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=2)
            return process, base
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(0.2)
    process.kill()
    raise SystemExit("gunicorn did not start:\n" + log_path.read_text())


def stop_gunicorn(process):
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=45)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def pages():
    """(label, method, url, POST data or None) of the benchmarked pages, from the data."""
    from django.urls import NoReverseMatch, reverse
    from django.utils import timezone

    from conventions.models import Convention
    from partnership.agreements.models import Agreement
    from partnership.meetings.models import FollowUpTask, Meeting
    from partnership.programmes.models import Action, Programme

    agreement = Agreement.objects.get(reference="AC-ANACT-INRS")
    big = Agreement.objects.filter(reference__startswith="ECH-AC-").order_by("reference").first()
    programme = Programme.objects.filter(agreement=big or agreement).order_by("-year").first()
    action = Action.objects.filter(programme=programme).order_by("pk").first()
    convention = Convention.objects.filter(agreement=big or agreement).order_by("pk").first()
    meeting = (
        Meeting.objects.filter(agreement=big or agreement, starts_at__lt=timezone.now())
        .order_by("-starts_at")
        .first()
    )
    task = FollowUpTask.objects.filter(meeting__agreement=agreement).order_by("pk").first()
    candidates = [
        ("Tableau de bord", "GET", ("home", []), None),
        ("Accord-cadre (hub)", "GET", ("agreement_detail", [(big or agreement).pk]), None),
        ("Programme et ses actions", "GET", ("programme_detail", [programme.pk]), None),
        ("Actions filtrées", "GET", ("action_list", []), "?status=in_progress&kind=study"),
        ("Action", "GET", ("action_detail", [action.pk]), None),
        ("Conventions", "GET", ("conventions:convention_list", []), None),
        ("Convention", "GET", ("conventions:convention_detail", [convention.pk]), None),
        ("Réunion", "GET", ("meeting_detail", [meeting.pk]), None),
        ("Calendrier des actions", "GET", ("programme_timeline", [programme.pk]), None),
        ("Bilan annuel", "GET", ("programme_report", [programme.pk]), None),
        ("Export CSV", "GET", ("programme_report_csv", [programme.pk]), None),
        ("Export XLSX", "GET", ("programme_report_xlsx", [programme.pk]), None),
        ("Recherche", "GET", ("search", []), "?q=pr%C3%A9vention"),
        ("Formulaire d’action (GET)", "GET", ("action_update", [action.pk]), None),
        (
            "Programmations respectives côte à côte",
            "GET",
            ("programming", [agreement.pk, timezone.localdate().year + 1]),
            None,
        ),
        ("Notifications", "GET", ("notification_list", []), None),
        ("Notifications non lues", "GET", ("notification_list", []), "?non-lues=1"),
        ("Tâche de suivi terminée (POST)", "POST", ("followuptask_done", [task.pk]), "done=1"),
    ]
    result, missing = [], []
    for label, method, (name, args), extra in candidates:
        if ONLY_PAGES and name not in ONLY_PAGES:
            continue
        try:
            url = reverse(name, args=args)
        except NoReverseMatch:
            missing.append(label)
            continue
        if method == "GET":
            result.append((label, method, url + (extra or ""), None))
        else:
            result.append((label, method, url, extra))
    return result, missing


def draw(client, method, url, data, times=DRAWS):
    """The SQL queries of one request, its status, and the CPU time (ms) the process spends
    drawing the page (in-process, no HTTP: the application's own cost): drawn whole, its
    fragments too (every table's version changed first: nothing kept is found), and the
    median of ``times`` requests, with what it keeps in the shared cache found there."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from partnership.core import fragments

    def request():
        if method == "GET":
            return client.get(url, secure=True)
        return client.post(url, data=dict([data.split("=")]), secure=True)

    fragments.change_every_version()
    with CaptureQueriesContext(connection) as queries:
        response = request()
    count = len(queries)  # now: each request empties the connection's log of queries
    whole, kept = [], []
    for _ in range(times):
        fragments.change_every_version()
        started = time.process_time()
        request()
        whole.append(time.process_time() - started)
        started = time.process_time()
        request()
        kept.append(time.process_time() - started)
    return (
        count,
        response.status_code,
        round(sorted(kept)[times // 2] * 1000, 1),
        round(sorted(whole)[times // 2] * 1000, 1),
    )


def wrk(base, method, url, cookie, body, csrf, seconds=None):
    env = {
        **os.environ,
        "BENCH_METHOD": method,
        "BENCH_COOKIE": cookie,
        "BENCH_BODY": body or "",
        "BENCH_CSRF": csrf,
        "BENCH_REFERER": base + "/",
    }
    output = subprocess.run(
        [
            "wrk",
            f"-t{THREADS}",
            f"-c{CONNECTIONS}",
            f"-d{seconds or SECONDS}s",
            "--timeout",
            "10s",
            "-s",
            str(ROOT / "benchmarks/wrk_report.lua"),
            base + url,
        ],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stdout
    figures = json.loads(output.strip().splitlines()[-1])
    seconds = figures["duration_us"] / 1e6
    return {
        "rps": round(figures["requests"] / seconds, 1),
        "p50_ms": round(figures["p50_us"] / 1000, 1),
        "p95_ms": round(figures["p95_us"] / 1000, 1),
        "errors": figures["errors"] + figures["bad_status"],
    }


def main():
    if not DRAW_ONLY and not shutil.which("wrk"):
        raise SystemExit("wrk is missing: `make bench` installs it (apt-get install wrk).")
    os.environ.update(ENVIRONMENT)
    python = str(ROOT / ".venv/bin/python")
    if os.environ.get("BENCH_PREPARED", "") in ("", "0"):  # 1: the database is ready
        print(f"Preparing {DATABASE_URL} (migrate, demo data, scale data)...", flush=True)
        prepare_database(python)
    static_root = tempfile.mkdtemp(prefix="bench-static-")
    run(
        python,
        "manage.py",
        "collectstatic",
        "--noinput",
        "-v0",
        env={**os.environ, "STATIC_ROOT": static_root},
    )
    os.environ["STATIC_ROOT"] = static_root

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partnership.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client(enforce_csrf_checks=False)
    client.force_login(get_user_model().objects.get(username=USERNAME))
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    csrf = "benchcsrf0123456789abcdefghijklm"  # a 32-character CSRF secret
    cookie = f"{settings.SESSION_COOKIE_NAME}={session}; {settings.CSRF_COOKIE_NAME}={csrf}"

    measured, missing = pages()
    drawn = {}
    for label, method, url, body in [
        ("Page triviale (À propos)", "GET", "/a-propos/", None),
        *measured,
    ]:
        drawn[url] = draw(client, method, url, body)
        print(
            f"  {label}: {drawn[url][2]} ms of CPU ({drawn[url][3]} drawn whole), "
            f"{drawn[url][0]} queries",
            flush=True,
        )
    if DRAW_ONLY:
        return

    figures = {}
    process, base = start_gunicorn(static_root)
    every_page = [("trivial", "GET", "/a-propos/", None), *measured]
    try:
        # Every page once before the first measure, not counted: the trivial page was measured
        # first on workers that had drawn nothing yet (the machine's caches cold, each
        # worker's first requests opening its connection), which made its figure at the start
        # as low as 0.55 of the one at the end and every ratio look better than it was.
        for _label, method, url, body in every_page:
            wrk(base, method, url, cookie, body, csrf, seconds=WARM_UP_SECONDS)
        for _label, method, url, body in every_page:
            # Warm-up, not counted: a worker replaced after max_requests compiles the page's
            # templates again on its first requests.
            wrk(base, method, url, cookie, body, csrf, seconds=WARM_UP_SECONDS)
            figures[url] = wrk(base, method, url, cookie, body, csrf)
        # The trivial page once more at the end: on a shared machine the speed drifts during
        # a run, and each page's ratio is to the mean of the two.
        trivial_at_end = wrk(base, "GET", "/a-propos/", cookie, None, csrf)
    finally:
        stop_gunicorn(process)

    rows = []
    trivial = figures["/a-propos/"]
    trivial_rps = (trivial["rps"] + trivial_at_end["rps"]) / 2
    for label, method, url, _body in [
        ("Page triviale (À propos)", "GET", "/a-propos/", None),
        *measured,
    ]:
        queries, status, milliseconds, whole = drawn[url]
        rows.append(
            {
                "page": label,
                "url": url,
                "method": method,
                "status": status,
                **figures[url],
                "ratio": round(figures[url]["rps"] / trivial_rps, 2),
                "draw_ms": milliseconds,
                "drawn_whole_ms": whole,
                "queries": queries,
            }
        )
        print(
            f"  {label}: {figures[url]['rps']} req/s, p95 {figures[url]['p95_ms']} ms, "
            f"{queries} queries",
            flush=True,
        )

    report = {
        "when": time.strftime("%Y-%m-%d %H:%M"),
        "machine": (
            f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
        ),
        "settings": {
            "seconds": SECONDS,
            "connections": CONNECTIONS,
            "threads": THREADS,
            "gunicorn": "gunicorn.conf.py (gthread)",
        },
        "load": " ".join(f"{value:.2f}" for value in os.getloadavg()),
        "targets": {"ratio": TARGET_RATIO, "p95_ms": TARGET_P95_MS, "queries": TARGET_QUERIES},
        "pages": rows,
        "trivial_rps": {"start": trivial["rps"], "end": trivial_at_end["rps"]},
        "not_measured": missing,
    }
    (ROOT / "benchmarks/results").mkdir(exist_ok=True)
    (ROOT / "benchmarks/results/latest.json").write_text(
        json.dumps(report, indent=2, ensure_ascii=False)
    )
    print()
    print(table(report))


def _misses(figures, queries, export):
    misses = []
    if figures["ratio"] < TARGET_RATIO:
        misses.append("ratio")
    if figures["p95_ms"] >= TARGET_P95_MS and not export:
        misses.append("p95")
    if queries > TARGET_QUERIES:
        misses.append("queries")
    return "missed: " + ", ".join(misses) if misses else "met"


def table(report):
    lines = [
        f"Machine: {report['machine']} — {report['when']} — wrk {report['settings']['threads']} "
        f"threads, {report['settings']['connections']} connections, "
        f"{report['settings']['seconds']} s per page",
        "",
        f"Load average when it ended: {report['load']}",
        "",
        "Every page drawn for every request (no page cache), shared cache on Redis:",
        "",
    ]
    if "trivial_rps" in report:
        start, end = report["trivial_rps"]["start"], report["trivial_rps"]["end"]
        lines += [
            f"The trivial page gave {start} req/s at the start and {end} at the end: each ratio"
            " is to their mean.",
            "",
        ]
    lines += [
        "| Page | req/s | ratio | p50 ms | p95 ms | targets | CPU ms | drawn whole | queries "
        "| errors |",
        "|---|---:|---:|---:|---:|---|---:|---:|---:|---:|",
    ]
    for row in report["pages"]:
        export = "Export" in row["page"]
        lines.append(
            f"| {row['page']} | {row['rps']} | {row['ratio']:.2f} | {row['p50_ms']} | "
            f"{row['p95_ms']} | {_misses(row, row['queries'], export)} | {row['draw_ms']} | "
            f"{row.get('drawn_whole_ms', '')} | {row['queries']} | {row['errors']} |"
        )
    if report["not_measured"]:
        lines.append("")
        lines.append("Not measured (page not built yet): " + ", ".join(report["not_measured"]))
    return "\n".join(lines)


if __name__ == "__main__":
    main()
