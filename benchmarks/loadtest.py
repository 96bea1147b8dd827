"""`make loadtest`: 50 logged-in clients for 60 seconds on gunicorn + PostgreSQL.

The clients mix reads (dashboard, lists, action and meeting pages) and writes (editing an
action, adding a follow-up task to a meeting, recording an action review, adding a contact),
each write with a unique marker. Afterwards the database is checked: every write acknowledged
by a redirect (success) must be there — in the record or in its history — and no request may
have answered 5xx. Refused concurrent edits (the page comes back with the conflict) are counted
apart: they are the application protecting a person's work, not a loss.

Reports throughput, latency (median, 95th percentile), errors, and the result of the check.
"""

import http.client
import json
import os
import random
import statistics
import sys
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import bench  # noqa: E402

CLIENTS = int(os.environ.get("LOADTEST_CLIENTS", "50"))
SECONDS = int(os.environ.get("LOADTEST_SECONDS", "60"))
CSRF = "loadtestcsrf0123456789abcdefghij"  # a 32-character CSRF secret
ACCOUNTS = ["anact.coordinateur", "inrs.coordinateur"]


class Client:
    def __init__(self, host, port, session):
        self.connection = http.client.HTTPConnection(host, port, timeout=60)
        self.headers = {"Cookie": f"sessionid={session}; csrftoken={CSRF}"}

    def request(self, method, path, fields=None):
        headers = dict(self.headers)
        body = None
        if fields is not None:
            body = urllib.parse.urlencode(fields, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["X-CSRFToken"] = CSRF
        started = time.perf_counter()
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            text = response.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException):
            self.connection.close()
            return 0, "", time.perf_counter() - started
        return response.status, text, time.perf_counter() - started


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
        self.latencies = []
        self.statuses = {}
        self.acknowledged = []  # (kind, marker, detail)
        self.conflicts = 0

    def record(self, status, seconds):
        with self.lock:
            self.latencies.append(seconds)
            self.statuses[status] = self.statuses.get(status, 0) + 1

    def client(self, number, client, deadline):
        rng = random.Random(number)
        count = 0
        while time.perf_counter() < deadline:
            count += 1
            marker = f"charge-{number}-{count}"
            choice = rng.random()
            if choice < 0.6:
                status, _, seconds = client.request("GET", rng.choice(self.targets["reads"]))
                self.record(status, seconds)
            elif choice < 0.75:
                self.edit_action(client, rng, marker)
            elif choice < 0.85:
                self.add_follow_up(client, marker)
            elif choice < 0.95:
                self.record_review(client, rng, marker)
            else:
                self.add_contact(client, marker)

    def post_form(self, client, path, change):
        status, html, seconds = client.request("GET", path)
        self.record(status, seconds)
        if status != 200:
            return None
        data = main_form(html, path)
        if data is None:
            return None
        change(data)
        status, html, seconds = client.request("POST", path, data)
        self.record(status, seconds)
        if status == 200 and ("conflict" in html or "conflit" in html):
            with self.lock:
                self.conflicts += 1
        return status

    def edit_action(self, client, rng, marker):
        pk = rng.choice(self.targets["actions"])

        def change(data):
            data["description"] = f"Point d’étape {marker}"

        if self.post_form(client, f"/actions/{pk}/modifier/", change) == 302:
            with self.lock:
                self.acknowledged.append(("action", marker, pk))

    def add_follow_up(self, client, marker):
        path = f"/rendez-vous/{self.targets['meeting']}/decisions-et-suites/"

        def change(data):
            total = int(data.get("follow_ups-TOTAL_FORMS", 0))
            data[f"follow_ups-{total}-title"] = f"Relancer {marker}"
            data["follow_ups-TOTAL_FORMS"] = str(total + 1)

        if self.post_form(client, path, change) == 302:
            with self.lock:
                self.acknowledged.append(("follow_up", marker, None))

    def record_review(self, client, rng, marker):
        pk = rng.choice(self.targets["reviewed_actions"])
        path = f"/rendez-vous/{self.targets['meeting']}/revue/?action={pk}"

        def change(data):
            data["action"] = str(pk)
            data["status"] = "in_progress"
            data["progress"] = str(rng.randint(10, 90))
            data["comment"] = f"Avancement {marker}"

        status, html, seconds = client.request("GET", path)
        self.record(status, seconds)
        data = main_form(html, path.split("?")[0]) if status == 200 else None
        if data is None:
            return
        change(data)
        status, html, seconds = client.request("POST", path.split("?")[0], data)
        self.record(status, seconds)
        if status == 302:
            with self.lock:
                self.acknowledged.append(("review", marker, pk))

    def add_contact(self, client, marker):
        def change(data):
            data.update(first_name="Camille", last_name=marker, email=f"{marker}@charge.example")
            data["organisation"] = str(self.targets["organisation"])

        if self.post_form(client, "/contacts/nouveau/", change) == 302:
            with self.lock:
                self.acknowledged.append(("contact", marker, None))


def targets():
    from django.utils import timezone

    from partnership.models import Action, Agreement, Meeting, Organisation

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
    from partnership.models import Action, ActionReview, Contact, FollowUpTask

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


def main():
    os.environ.update(bench.ENVIRONMENT)
    python = str(ROOT / ".venv/bin/python")
    print(f"Preparing {bench.DATABASE_URL} (migrate, demo data, scale data)...", flush=True)
    bench.prepare_database(python)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partnership.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client as DjangoClient

    sessions = []
    for number in range(CLIENTS):
        client = DjangoClient()
        client.force_login(get_user_model().objects.get(username=ACCOUNTS[number % 2]))
        sessions.append(client.cookies["sessionid"].value)
    run = Run(targets())

    import tempfile

    static_root = tempfile.mkdtemp(prefix="loadtest-static-")
    bench.run(
        python,
        "manage.py",
        "collectstatic",
        "--noinput",
        "-v0",
        env={**os.environ, "STATIC_ROOT": static_root},
    )
    process, base = bench.start_gunicorn(static_root)
    host, port = base.removeprefix("http://").split(":")
    print(f"{CLIENTS} clients for {SECONDS} s against {base}...", flush=True)
    try:
        deadline = time.perf_counter() + SECONDS
        threads = [
            threading.Thread(
                target=run.client, args=(n, Client(host, int(port), sessions[n]), deadline)
            )
            for n in range(CLIENTS)
        ]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
    finally:
        process.terminate()
        process.wait(timeout=60)

    missing = check(run)
    latencies = sorted(run.latencies)
    server_errors = sum(n for status, n in run.statuses.items() if status >= 500 or status == 0)
    report = {
        "clients": CLIENTS,
        "seconds": round(elapsed, 1),
        "requests": len(latencies),
        "requests_per_second": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1) if latencies else None,
        "p95_ms": round(latencies[int(len(latencies) * 0.95) - 1] * 1000, 1) if latencies else None,
        "statuses": {str(k): v for k, v in sorted(run.statuses.items())},
        "writes_acknowledged": len(run.acknowledged),
        "edits_refused_as_conflicts": run.conflicts,
        "acknowledged_writes_missing": len(missing),
        "missing_by_kind": {
            kind: sum(1 for k, _ in missing if k == kind) for kind in {k for k, _ in missing}
        },
        "server_errors": server_errors,
    }
    (ROOT / "benchmarks/results").mkdir(exist_ok=True)
    (ROOT / "benchmarks/results/loadtest.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    if missing or server_errors:
        print(f"FAILED: {len(missing)} acknowledged writes missing, {server_errors} 5xx")
        raise SystemExit(1)
    print("Nothing lost, no server error.")


if __name__ == "__main__":
    main()
