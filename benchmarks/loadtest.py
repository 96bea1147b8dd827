"""`make loadtest`: 50 logged-in clients for 60 seconds on gunicorn, the database restarted at
a third of the run and Redis at two thirds (the fault test); then a realistic mixed workload on
one server and on two (benchmarks/mixed.py).

1. A throw-away PostgreSQL 15 cluster: initdb in a temporary folder, a free port, listening on
   127.0.0.1 only, started with PostgreSQL's own pg_ctl (as the ``postgres`` system user when
   run as root: PostgreSQL refuses to run as root). Restarting it harms nothing else; it is
   stopped and deleted at the end whatever happens. The database is prepared there as for
   the benchmark (migrate, demo data, scale data).
2. A throw-away Redis the same way: ``redis-server`` on a free port of 127.0.0.1, nothing
   saved (``--save "" --appendonly no``), its own temporary folder, stopped and deleted at
   the end. gunicorn's ``REDIS_URL`` names it: the shared cache is there, as in production.
3. gunicorn started from gunicorn.conf.py on 127.0.0.1, as in production.
4. The clients mix reads (dashboard, lists, action and meeting pages) and writes (editing an
   action, adding a follow-up task to a meeting, recording an action review, adding a
   contact), each write with a unique marker; after an error a client waits a second, as a
   person reading the error page would. A probe reads a page that needs the database (the
   About page: its session and its person) every 100 ms.
5. At a third of the run the database is restarted: ``pg_ctl stop -m fast``, a few seconds
   down, ``pg_ctl start``. The outage runs from the stop being issued to the server
   accepting connections again (pg_isready). At two thirds, Redis is stopped (SIGTERM), kept
   down a few seconds, and started again, empty.
6. Afterwards, the verdict. Every write acknowledged by a redirect must be in the database,
   in the record or in its history. No server error (5xx, or no answer at all) from a
   request that did not overlap the database outage: none during the Redis outage either.
   Every error during the database outage must be the French 503 page with Retry-After, not
   a traceback. The application must answer again, with gunicorn never restarted, within
   RECOVERY_LIMIT seconds of the database coming back: the recovery time is from then to the
   first successful answer (2xx or 3xx, each needs the database) to a request sent after the
   stop. For Redis: the requests overlapping its outage, their latency against the 10 s
   before, and the first success after it came back.
7. Then the mixed workload (benchmarks/mixed.py, LOADTEST_MIXED_SECONDS on one server, as
   long on two; 0: skipped): LOADTEST_PEOPLE accounts of the scale data log in through the
   login form and browse with think time; p50/p95 per page, throughput, Redis hits and
   misses. Its server errors and lost writes fail the run too.

Refused concurrent edits (the page comes back with the conflict) are counted apart: they are
the application protecting a person's work, not a loss. Everything targets 127.0.0.1, and is
bounded in time (LOADTEST_SECONDS, LOADTEST_MIXED_SECONDS, a 60 s timeout per request) and in
count.

Prints the mixed workload's tables, then the fault run's figures and its verdict; writes
benchmarks/results/loadtest.json and loadtest-mixed.json; exits 1 when a check fails.
"""

import collections
import contextlib
import http.client
import json
import logging
import math
import os
import platform
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import bench  # noqa: E402

CLIENTS = int(os.environ.get("LOADTEST_CLIENTS", "50"))
SECONDS = int(os.environ.get("LOADTEST_SECONDS", "60"))
RESTART_AT = float(os.environ.get("LOADTEST_RESTART_AT", SECONDS / 3))
DOWN_SECONDS = float(os.environ.get("LOADTEST_DOWN_SECONDS", "3"))
REDIS_RESTART_AT = float(os.environ.get("LOADTEST_REDIS_RESTART_AT", SECONDS * 2 / 3))
REDIS_DOWN_SECONDS = float(os.environ.get("LOADTEST_REDIS_DOWN_SECONDS", "3"))
# The realistic run after the fault run: this many seconds on one server, then on two (0: none).
MIXED_SECONDS = int(os.environ.get("LOADTEST_MIXED_SECONDS", "60"))
PEOPLE = int(os.environ.get("LOADTEST_PEOPLE", "60"))
POSTGRES_BIN = Path(os.environ.get("LOADTEST_POSTGRES_BIN", "/usr/lib/postgresql/15/bin"))
RECOVERY_LIMIT = 30  # seconds from the database accepting connections to a page served
REQUEST_TIMEOUT = 60
MAX_OPERATIONS_PER_CLIENT = 5000
ERROR_PAUSE = 1.0  # a person reads the error page before trying again
PROBE_INTERVAL = 0.1
PROBE_PATH = "/a-propos/"
DATABASE_NAME = "partnership_loadtest"
CSRF = "loadtestcsrf0123456789abcdefghij"  # a 32-character CSRF secret
ACCOUNTS = ["anact.coordinateur", "inrs.coordinateur"]
# What the 503 page says in French (templates/503.html, locale/fr).
UNAVAILABLE_TEXT = "Service momentanément indisponible"


class ThrowAwayPostgres:
    """A PostgreSQL cluster of our own in a temporary folder, on a free port of 127.0.0.1."""

    def __init__(self):
        self.folder = Path(tempfile.mkdtemp(prefix="loadtest-postgres-"))
        self.data = self.folder / "data"
        self.sockets = self.folder / "sockets"
        self.log = self.folder / "postgres.log"
        self.port = bench.free_port()
        self.as_postgres_user = os.geteuid() == 0
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/{DATABASE_NAME}"

    def command(self, program, *args):
        argv = [str(POSTGRES_BIN / program), *map(str, args)]
        if self.as_postgres_user:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        # -l sends the server's own output to its log: nothing holds these pipes open.
        result = subprocess.run(argv, cwd=self.folder, capture_output=True, text=True)
        if result.returncode:
            raise RuntimeError(f"{program} failed:\n{result.stdout}{result.stderr}")

    def create(self):
        self.sockets.mkdir()
        if self.as_postgres_user:
            for path in (self.folder, self.sockets):
                shutil.chown(path, "postgres", "postgres")
        self.command(
            "initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "--encoding=UTF8",
            "--locale=C.UTF-8", "--no-sync",
        )  # fmt: skip
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"listen_addresses = '127.0.0.1'\nport = {self.port}\n"
                f"unix_socket_directories = '{self.sockets}'\n"
            )
        self.start()

    def start(self):
        self.command("pg_ctl", "start", "-D", self.data, "-l", self.log, "-w", "-t", "60")
        for _ in range(300):
            ready = subprocess.run(
                [str(POSTGRES_BIN / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port)]
            )
            if ready.returncode == 0:
                return
            time.sleep(0.1)
        raise RuntimeError(f"PostgreSQL does not accept connections:\n{self.log.read_text()}")

    def stop(self, mode="fast"):
        self.command("pg_ctl", "stop", "-D", self.data, "-m", mode, "-w", "-t", "60")

    def destroy(self):
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(RuntimeError):
                self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)


class ThrowAwayRedis:
    """A Redis server of our own on a free port of 127.0.0.1, nothing saved to disk, its
    own folder: restarting it harms nothing else; stopped and deleted at the end."""

    def __init__(self):
        self.folder = Path(tempfile.mkdtemp(prefix="loadtest-redis-"))
        self.port = bench.free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
                "--logfile",
                str(self.folder / "redis.log"),
                "--daemonize",
                "no",
            ],  # fmt: skip
            cwd=self.folder,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(300):
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock,
            ):
                sock.sendall(b"PING\r\n")
                if sock.recv(64).startswith(b"+PONG"):
                    return
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        raise RuntimeError(f"redis-server does not answer on port {self.port}")

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # SIGTERM: Redis shuts down (nothing to save)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def destroy(self):
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


# partnership.core.fragments.Drawn.told: how many of a page's fragments were kept.
KEPT_FRAGMENTS = re.compile(r'fragments;desc="(\d+)/(\d+) kept"')


class Answer:
    __slots__ = (
        "operation",
        "method",
        "path",
        "status",
        "started",
        "ended",
        "error",
        "page",
        "fragments",
    )

    def __init__(self, operation, method, path, status, started, ended, error=None, page=None):
        self.operation, self.method, self.path = operation, method, path
        self.status, self.started, self.ended = status, started, ended
        self.error = error  # the exception's class when no answer came
        self.page = page  # for a server error: was it the French 503 with Retry-After?
        self.fragments = None  # (found kept, in all), from the page's Server-Timing header

    @property
    def failed(self):
        return self.status == 0 or self.status >= 500

    @property
    def succeeded(self):
        return 200 <= self.status < 400


class Client:
    """One person's browser: a session cookie, a new connection to 127.0.0.1 per request."""

    def __init__(self, run, port, session):
        self.run = run
        self.port = port
        self.headers = {"Cookie": f"sessionid={session}; csrftoken={CSRF}"}

    def request(self, operation, method, path, fields=None):
        headers = dict(self.headers)
        body = None
        if fields is not None:
            body = urllib.parse.urlencode(fields, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["X-CSRFToken"] = CSRF
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)
        started = self.run.clock()
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as error:
            answer = Answer(operation, method, path, 0, started, self.run.clock(), type(error))
            text = ""
        else:
            answer = Answer(operation, method, path, response.status, started, self.run.clock())
            kept = KEPT_FRAGMENTS.search(response.getheader("Server-Timing") or "")
            if kept:
                answer.fragments = (int(kept[1]), int(kept[2]))
            if answer.failed:
                answer.page = (
                    response.status == 503
                    and response.getheader("Retry-After") is not None
                    and UNAVAILABLE_TEXT in text
                    and "Traceback" not in text
                )
        finally:
            connection.close()
        self.run.record(answer)
        if answer.failed and operation != "probe":
            time.sleep(ERROR_PAUSE)
        return answer.status, text


def main_form(html, path):
    from tests.html_forms import _FormParser

    parser = _FormParser()
    parser.feed(html)
    forms = [f for f in parser.forms if f["method"] == "post" and f["action"] in ("", path)]
    if not forms:
        return None
    data = {}
    for name, value in max(forms, key=lambda form: len(form["fields"]))["fields"]:
        if name in data:
            previous = data[name]
            data[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            data[name] = value
    data.pop("csrfmiddlewaretoken", None)
    return data


class Run:
    def __init__(self, targets):
        self.targets = targets
        self.lock = threading.Lock()
        self.answers = []
        self.acknowledged = []  # (kind, marker, detail)
        self.conflicts = 0
        self.stopping = threading.Event()
        self.origin = time.perf_counter()
        self.outage = None  # (stop issued, accepting connections again), in clock seconds
        self.redis_outage = None  # the same for Redis
        self.fault_error = None

    def clock(self):
        return time.perf_counter() - self.origin

    def record(self, answer):
        with self.lock:
            self.answers.append(answer)

    def go_on(self, deadline):
        return self.clock() < deadline and not self.stopping.is_set()

    def client(self, number, client, deadline):
        rng = random.Random(number)
        for count in range(1, MAX_OPERATIONS_PER_CLIENT + 1):
            if not self.go_on(deadline):
                return
            marker = f"charge-{number}-{count}"
            choice = rng.random()
            if choice < 0.6:
                client.request("read", "GET", rng.choice(self.targets["reads"]))
            elif choice < 0.75:
                self.edit_action(client, rng, marker)
            elif choice < 0.85:
                self.add_follow_up(client, marker)
            elif choice < 0.95:
                self.record_review(client, rng, marker)
            else:
                self.add_contact(client, marker)

    def probe(self, client, deadline):
        """A page that needs the database, every PROBE_INTERVAL: when it answers again."""
        while self.go_on(deadline):
            client.request("probe", "GET", PROBE_PATH)
            time.sleep(PROBE_INTERVAL)

    def restart_database(self, postgres, at):
        """Stop the database at ``at`` seconds, keep it down DOWN_SECONDS, start it again."""
        while self.clock() < at:
            if self.stopping.wait(0.05):
                return
        try:
            stopped = self.clock()
            postgres.stop("fast")
            time.sleep(DOWN_SECONDS)
            if self.stopping.is_set():
                return
            postgres.start()
            self.outage = (stopped, self.clock())
        except Exception as error:  # reported, and fails the run
            self.fault_error = f"{type(error).__name__}: {error}"

    def restart_redis(self, redis, at):
        """Stop Redis at ``at`` seconds, keep it down REDIS_DOWN_SECONDS, start it again
        (empty: nothing is saved)."""
        while self.clock() < at:
            if self.stopping.wait(0.05):
                return
        try:
            stopped = self.clock()
            redis.stop()
            time.sleep(REDIS_DOWN_SECONDS)
            if self.stopping.is_set():
                return
            redis.start()
            self.redis_outage = (stopped, self.clock())
        except Exception as error:  # reported, and fails the run
            self.fault_error = f"{type(error).__name__}: {error}"

    def post_form(self, client, operation, path, change, post_path=None):
        status, html = client.request(operation, "GET", path)
        post_path = post_path or path
        data = main_form(html, post_path) if status == 200 else None
        if data is None:
            return None
        change(data)
        status, html = client.request(operation, "POST", post_path, data)
        if status == 200 and ("conflict" in html or "conflit" in html):
            with self.lock:
                self.conflicts += 1
        return status

    def acknowledge(self, status, *write):
        if status == 302:
            with self.lock:
                self.acknowledged.append(write)

    def edit_action(self, client, rng, marker):
        pk = rng.choice(self.targets["actions"])

        def change(data):
            data["description"] = f"Point d’étape {marker}"

        status = self.post_form(client, "edit_action", f"/actions/{pk}/modifier/", change)
        self.acknowledge(status, "action", marker, pk)

    def add_follow_up(self, client, marker):
        path = f"/rendez-vous/{self.targets['meeting']}/decisions-et-suites/"

        def change(data):
            # As a person does: type the title in the first empty row the page offers (the
            # formset's extra rows), or in one more row if none is left.
            total = int(data.get("follow_ups-TOTAL_FORMS", 0))
            row = next(
                (n for n in range(total) if not data.get(f"follow_ups-{n}-id")),
                total,
            )
            data[f"follow_ups-{row}-title"] = f"Relancer {marker}"
            data["follow_ups-TOTAL_FORMS"] = str(max(total, row + 1))

        status = self.post_form(client, "add_follow_up", path, change)
        self.acknowledge(status, "follow_up", marker, None)

    def record_review(self, client, rng, marker):
        pk = rng.choice(self.targets["reviewed_actions"])
        path = f"/rendez-vous/{self.targets['meeting']}/revue/"

        def change(data):
            data["action"] = str(pk)
            data["status"] = "in_progress"
            data["progress"] = str(rng.randint(10, 90))
            data["comment"] = f"Avancement {marker}"

        status = self.post_form(client, "record_review", f"{path}?action={pk}", change, path)
        self.acknowledge(status, "review", marker, pk)

    def add_contact(self, client, marker):
        def change(data):
            data.update(first_name="Camille", last_name=marker, email=f"{marker}@charge.example")
            data["organisation"] = str(self.targets["organisation"])

        status = self.post_form(client, "add_contact", "/contacts/nouveau/", change)
        self.acknowledge(status, "contact", marker, None)


def targets():
    from django.utils import timezone

    from partnership.agreements.models import Agreement
    from partnership.directory.models import Organisation
    from partnership.meetings.models import Meeting
    from partnership.programmes.models import Action

    agreement = Agreement.objects.get(reference="AC-ANACT-INRS")
    year = timezone.localdate().year
    actions = list(
        Action.objects.filter(programme__agreement=agreement, programme__year=year)
        .exclude(status__in=["completed", "cancelled"])
        .values_list("pk", flat=True)
    )
    meeting = Meeting.objects.filter(agreement=agreement, status="held").order_by("-starts_at")
    meeting = (
        meeting.first() or Meeting.objects.filter(agreement=agreement, status="planned").first()
    )
    return {
        "reads": [
            "/",
            "/actions/",
            "/rendez-vous/",
            f"/accords/{agreement.pk}/",
            *[f"/actions/{pk}/" for pk in actions[:5]],
            f"/rendez-vous/{meeting.pk}/",
        ],
        "actions": actions,
        "reviewed_actions": actions,
        "meeting": meeting.pk,
        "organisation": Organisation.objects.get(acronym="Anact").pk,
    }


def check(run):
    from partnership.directory.models import Contact
    from partnership.meetings.models import ActionReview, FollowUpTask
    from partnership.programmes.models import Action

    missing = []
    for kind, marker, detail in run.acknowledged:
        if kind == "action":
            found = Action.history.filter(id=detail, description__contains=marker).exists()
        elif kind == "follow_up":
            found = FollowUpTask.objects.filter(title__contains=marker).exists()
        elif kind == "review":
            found = ActionReview.history.filter(comment__contains=marker).exists()
        else:
            found = Contact.objects.filter(last_name=marker).exists()
        if not found:
            missing.append((kind, marker))
    return missing


def percentile(values, share):
    """The nearest-rank percentile of sorted values."""
    return values[min(len(values) - 1, max(0, math.ceil(len(values) * share) - 1))]


def by_status(answers):
    counts = collections.Counter(answer.status for answer in answers)
    return {str(status): counts[status] for status in sorted(counts)}


def gunicorn_log_summary(text):
    """Workers started and timed out, and the log lines of errors by logger and message."""
    lines = collections.Counter()
    for match in re.finditer(r"^\S+ \S+ (WARNING|ERROR) (\S+) (.*)$", text, re.MULTILINE):
        level, logger, message = match.groups()
        message = re.sub(r"/\S*", "<path>", message)
        message = re.sub(r"\d+", "N", message)
        lines[f"{level} {logger} {message[:120]}"] += 1
    return {
        "workers_booted": text.count("Booting worker"),
        "worker_timeouts": text.count("WORKER TIMEOUT"),
        "lines": dict(lines.most_common(12)),
    }


def redis_restart_figures(run):
    """What the Redis outage did: the requests overlapping it, their failures and latency
    against the rest of the run, and how soon after Redis was back a request succeeded."""
    if run.redis_outage is None:
        return {"error": run.fault_error or "Redis was not restarted (run too short)"}
    stopped, back = run.redis_outage
    database = run.outage or (float("inf"), float("-inf"))

    def overlaps(answer, outage):
        return answer.started < outage[1] and answer.ended > outage[0]

    # The requests overlapping the database outage are judged by its rules, not here.
    clients = [a for a in run.answers if a.operation != "probe" and not overlaps(a, database)]
    during = [a for a in clients if overlaps(a, (stopped, back))]
    # Latency of the requests sent while Redis was down against those sent in the 10 s
    # before (by when they were sent: the long ones are likelier to overlap any window).
    sent_during = [a for a in clients if stopped <= a.started < back]
    sent_before = [a for a in clients if stopped - 10 <= a.started < stopped]
    after = [a for a in run.answers if a.started >= stopped and a.ended >= back]
    first = min((a.ended for a in after if a.succeeded), default=None)

    def p50(answers):
        values = [a.ended - a.started for a in answers]
        return round(statistics.median(values) * 1000, 1) if values else None

    return {
        "stop_issued_at_s": round(stopped, 2),
        "accepting_again_at_s": round(back, 2),
        "outage_s": round(back - stopped, 2),
        "requests_overlapping_outage": len(during),
        "also_overlapping_the_database_outage_left_out": len(
            [a for a in run.answers if overlaps(a, (stopped, back)) and overlaps(a, database)]
        ),
        "succeeded_during_outage": len([a for a in during if a.succeeded]),
        "failed_during_outage": len([a for a in during if a.failed]),
        "failed_during_outage_by_status": by_status([a for a in during if a.failed]),
        "p50_ms_sent_during_outage": p50(sent_during),
        "p50_ms_sent_10_s_before": p50(sent_before),
        "first_success_after_redis_back_s": round(first - back, 2) if first else None,
    }


def report(run, missing, elapsed, gunicorn_restarted, log_text):
    clients = [a for a in run.answers if a.operation != "probe"]
    probe = [a for a in run.answers if a.operation == "probe"]
    latencies = sorted(a.ended - a.started for a in clients)
    operations = collections.defaultdict(list)
    for answer in run.answers:
        operations[f"{answer.operation} {answer.method}"].append(answer)

    outage = run.outage
    if outage is not None:
        stopped, back = outage
        during = [a for a in run.answers if a.started < back and a.ended > stopped]
        outside = [a for a in run.answers if not (a.started < back and a.ended > stopped)]
        # Sent after the stop and answered after the database came back.
        after = [a for a in run.answers if a.started >= stopped and a.ended >= back]
        first = min((a.ended for a in after if a.succeeded), default=None)
        probe_after = [a for a in after if a.operation == "probe"]
        first_probe = min((a.ended for a in probe_after if a.succeeded), default=None)
        late = [a.ended for a in run.answers if a.failed and a.ended > back]
        last_failure = max(late, default=None)
    else:
        stopped = back = first = first_probe = last_failure = None
        during, outside = [], run.answers
    failed_during = [a for a in during if a.failed]
    wrong_pages = [a for a in failed_during if not a.page]
    outside_errors = [a for a in outside if a.failed]

    def since_back(moment):
        return round(moment - back, 2) if moment is not None else None

    figures = {
        "when": time.strftime("%Y-%m-%d %H:%M"),
        "machine": (
            f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
        ),
        "clients": CLIENTS,
        "seconds": round(elapsed, 1),
        "requests": len(clients),
        "requests_per_second": round(len(clients) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1) if latencies else None,
        "p95_ms": round(percentile(latencies, 0.95) * 1000, 1) if latencies else None,
        "statuses": by_status(clients),
        "statuses_by_operation": {name: by_status(a) for name, a in sorted(operations.items())},
        "writes_acknowledged": len(run.acknowledged),
        "edits_refused_as_conflicts": run.conflicts,
        "acknowledged_writes_missing": len(missing),
        "missing_by_kind": dict(collections.Counter(kind for kind, _ in missing)),
        "database_restart": {
            "stop_issued_at_s": round(stopped, 2) if stopped is not None else None,
            "accepting_again_at_s": round(back, 2) if back is not None else None,
            "outage_s": round(back - stopped, 2) if outage else None,
            "error": run.fault_error,
        },
        "requests_overlapping_outage": len([a for a in during if a.operation != "probe"]),
        "failed_requests_during_outage": len([a for a in failed_during if a.operation != "probe"]),
        "probe_failures_during_outage": len([a for a in failed_during if a.operation == "probe"]),
        "failed_during_outage_by_status": by_status(failed_during),
        "error_pages_not_the_french_503": len(wrong_pages),
        "server_errors_outside_outage": len(outside_errors),
        "server_errors_outside_outage_by_status": by_status(outside_errors),
        "no_answer": dict(
            collections.Counter(a.error.__name__ for a in run.answers if a.error is not None)
        ),
        "recovery_s": since_back(first),
        "probe_recovery_s": since_back(first_probe),
        "last_failure_after_database_back_s": since_back(last_failure),
        "probe_requests": len(probe),
        "redis_restart": redis_restart_figures(run),
        "gunicorn": {"restarted": gunicorn_restarted, **gunicorn_log_summary(log_text)},
    }
    failures = []
    if missing:
        failures.append(f"{len(missing)} acknowledged writes missing")
    if outside_errors:
        failures.append(f"{len(outside_errors)} server errors outside the database outage")
    if wrong_pages:
        failures.append(f"{len(wrong_pages)} errors during the outage were not the French 503")
    if outage is None:
        failures.append(f"the database was not restarted ({run.fault_error or 'run too short'})")
    elif first is None or first - back > RECOVERY_LIMIT:
        failures.append(f"no page served within {RECOVERY_LIMIT} s of the database coming back")
    if run.redis_outage is None:
        failures.append(f"Redis was not restarted ({run.fault_error or 'run too short'})")
    elif figures["redis_restart"]["failed_during_outage"]:
        failures.append(
            f"{figures['redis_restart']['failed_during_outage']} requests failed during the "
            "Redis outage"
        )
    if gunicorn_restarted:
        failures.append("gunicorn stopped during the run")
    return figures, failures


def mixed_phases(python, static_root, work, redis, people):
    """The realistic run (benchmarks/mixed.py): the people log in, then MIXED_SECONDS on one
    server, and as long on two servers sharing the database and Redis."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections

    from benchmarks import mixed

    servers = []
    try:
        for number in range(2):
            servers.append(bench.start_gunicorn(static_root, work / f"gunicorn-mixed-{number}.log"))
        ports = [int(base.rsplit(":", 1)[1]) for _process, base in servers]
        print(f"{len(people)} people log in through the login form...", flush=True)
        with ThreadPoolExecutor(max_workers=4) as pool:
            sessions = pool.map(
                lambda pair: mixed.log_in(ports[pair[0] % 2], pair[1].username),
                enumerate(people),
            )
            for someone, session in zip(people, sessions, strict=True):
                someone.session = session
        refused = [someone.username for someone in people if someone.session is None]
        people = [someone for someone in people if someone.session is not None]
        phases = []
        for count in (1, 2):
            print(f"Mixed workload, {count} server(s), {MIXED_SECONDS} s...", flush=True)
            run, elapsed, keyspace = mixed.run_phase(
                f"{count}", people, ports[:count], MIXED_SECONDS, redis.port
            )
            missing = check(run)
            connections.close_all()
            phases.append(mixed.figures(run, elapsed, keyspace, count, people, missing))
        return {"logins_refused": refused, "phases": phases}
    finally:
        for process, _base in servers:
            bench.stop_gunicorn(process)


def main():
    # SIGTERM ends the run as Ctrl-C does: through the finally blocks that clean up.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    python = str(ROOT / ".venv/bin/python")
    postgres = ThrowAwayPostgres()
    redis = ThrowAwayRedis()
    work = Path(tempfile.mkdtemp(prefix="loadtest-"))
    process = None
    mixed_report = None
    try:
        print(f"Throw-away PostgreSQL in {postgres.folder}, port {postgres.port}...", flush=True)
        postgres.create()
        print(f"Throw-away Redis in {redis.folder}, port {redis.port}...", flush=True)
        redis.start()
        os.environ.update(
            {
                **bench.ENVIRONMENT,
                "DATABASE_URL": postgres.url,
                "REDIS_URL": redis.url,
                "CACHE_KEY_PREFIX": "loadtest",
            }
        )
        bench.DATABASE_URL = postgres.url  # prepare_database creates the database it names
        print(f"Preparing {postgres.url} (migrate, demo data, scale data)...", flush=True)
        bench.prepare_database(python)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partnership.settings")
        import django

        django.setup()
        logging.getLogger("partnership.security").setLevel(logging.WARNING)  # 51 logins
        from django.contrib.auth import get_user_model
        from django.db import connections
        from django.test import Client as DjangoClient

        from benchmarks import mixed

        sessions = []
        for number in range(CLIENTS + 1):  # the last one is the probe's
            browser = DjangoClient()
            browser.force_login(get_user_model().objects.get(username=ACCOUNTS[number % 2]))
            sessions.append(browser.cookies["sessionid"].value)
        run = Run(targets())
        people = mixed.choose_people(PEOPLE) if MIXED_SECONDS > 0 else []
        connections.close_all()  # the restart breaks them; the check opens a new one

        static_root = str(work / "static")
        bench.run(
            python, "manage.py", "collectstatic", "--noinput", "-v0",
            env={**os.environ, "STATIC_ROOT": static_root},
        )  # fmt: skip
        log_path = work / "gunicorn.log"
        process, base = bench.start_gunicorn(static_root, log_path)
        port = int(base.rsplit(":", 1)[1])
        print(
            f"{CLIENTS} clients for {SECONDS} s against http://127.0.0.1:{port}, the database "
            f"restarted at {RESTART_AT:.0f} s ({DOWN_SECONDS:.0f} s down), Redis at "
            f"{REDIS_RESTART_AT:.0f} s ({REDIS_DOWN_SECONDS:.0f} s down)...",
            flush=True,
        )
        run.origin = time.perf_counter()
        deadline = SECONDS
        threads = [
            threading.Thread(
                target=run.client, args=(n, Client(run, port, sessions[n]), deadline), daemon=True
            )
            for n in range(CLIENTS)
        ]
        threads.append(
            threading.Thread(
                target=run.probe, args=(Client(run, port, sessions[CLIENTS]), deadline), daemon=True
            )
        )
        faults = [
            threading.Thread(target=run.restart_database, args=(postgres, RESTART_AT)),
            threading.Thread(target=run.restart_redis, args=(redis, REDIS_RESTART_AT)),
        ]
        try:
            for thread in [*threads, *faults]:
                thread.start()
            for thread in [*threads, *faults]:
                thread.join()
        finally:
            run.stopping.set()
            for fault in faults:
                fault.join(timeout=120)
        elapsed = run.clock()
        gunicorn_restarted = process.poll() is not None
        bench.stop_gunicorn(process)
        missing = check(run)
        connections.close_all()
        figures, failures = report(run, missing, elapsed, gunicorn_restarted, log_path.read_text())
        if failures:
            kept = Path(tempfile.mkstemp(prefix="loadtest-gunicorn-", suffix=".log")[1])
            shutil.copyfile(log_path, kept)
            failures.append(f"gunicorn's log is kept in {kept}")
        if people:
            mixed_report = mixed_phases(python, static_root, work, redis, people)
            for phase in mixed_report["phases"]:
                if phase["server_errors"] or phase["acknowledged_writes_missing"]:
                    failures.append(
                        f"mixed workload on {phase['servers']} server(s): "
                        f"{phase['server_errors']} server errors, "
                        f"{phase['acknowledged_writes_missing']} acknowledged writes missing"
                    )
    finally:
        if process is not None:
            bench.stop_gunicorn(process)
        postgres.destroy()
        redis.destroy()
        shutil.rmtree(work, ignore_errors=True)

    (ROOT / "benchmarks/results").mkdir(exist_ok=True)
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    figures["load_average_at_end"] = load
    if mixed_report is not None:
        mixed_report = {
            "when": figures["when"],
            "machine": figures["machine"],
            "load_average_at_end": load,
            **mixed_report,
        }
        (ROOT / "benchmarks/results/loadtest-mixed.json").write_text(
            json.dumps(mixed_report, indent=2, ensure_ascii=False) + "\n"
        )
        print()
        print(f"Mixed workload ({figures['machine']}, load average at the end: {load})")
        if mixed_report["logins_refused"]:
            print(f"Logins refused: {', '.join(mixed_report['logins_refused'])}")
        for phase in mixed_report["phases"]:
            print()
            print(mixed.table(phase))
        print()
    (ROOT / "benchmarks/results/loadtest.json").write_text(
        json.dumps(figures, indent=2, ensure_ascii=False) + "\n"
    )
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    if failures:
        print("FAILED: " + "; ".join(failures))
        raise SystemExit(1)
    redis_figures = figures["redis_restart"]
    print(
        f"Nothing lost ({figures['writes_acknowledged']} acknowledged writes, 0 missing); "
        f"0 server errors outside the database outage ({figures['database_restart']['outage_s']} s,"
        f" {figures['failed_requests_during_outage']} requests failed during it, each with the "
        f"French 503 page); recovered {figures['recovery_s']} s after the database came back. "
        f"Redis restarted ({redis_figures['outage_s']} s down): "
        f"{redis_figures['requests_overlapping_outage']} requests overlapped its outage, "
        f"{redis_figures['failed_during_outage']} failed (p50 "
        f"{redis_figures['p50_ms_sent_during_outage']} ms for those sent during it, against "
        f"{redis_figures['p50_ms_sent_10_s_before']} ms in the 10 s before)."
    )


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        raise SystemExit("Interrupted: gunicorn and the throw-away database are stopped.") from None
