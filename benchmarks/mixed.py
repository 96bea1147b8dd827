"""The realistic run of `make loadtest`: many people of the scale data, the main pages in
realistic proportions, about one request in ten a write, with think time, on one gunicorn
server and then on two sharing the database and Redis (loadtest.py calls ``run_phase``).

1. People: LOADTEST_PEOPLE accounts of the scale data (``agent001``...), readers,
   contributors and coordinators in the proportions of MIX_OF_ROLES, from as many
   organisations as possible, each seeing at least one agreement. Each logs in through the
   login form over HTTP (a password check each, before the measured window).
2. Each person repeats, until the end of the phase: think (a random pause between THINK_MIN
   and THINK_MAX seconds), then a page drawn with the weights of READS among the records they
   see; or, with the probability that makes about one request in ten a write, a write they
   are allowed to make (the form read, then posted: a contributor or coordinator leading an
   action edits its description, a coordinator adds a follow-up task to a meeting).
3. With two servers, people are spread over both (one in two on each), as a load balancer
   without sticky sessions would.
4. Reported per page: requests, p50/p95, statuses; the throughput; the share of writes;
   Redis's keyspace_hits and keyspace_misses before and after (the cache hit rate); and every
   acknowledged write is checked in the database afterwards, as in the fault run.
"""

import collections
import http.client
import http.cookies
import random
import statistics
import threading
import time
import urllib.parse

from benchmarks.loadtest import CSRF, REQUEST_TIMEOUT, Client, main_form, percentile

PASSWORD = "echelle-partenariat-2026"  # partnership/demo/scale.py: every scale account's
THINK_MIN, THINK_MAX = 0.5, 3.0  # seconds between two pages of one person
WRITE_SHARE = 0.1
MAX_OPERATIONS_PER_PERSON = 2000
MIX_OF_ROLES = {"reader": 0.5, "contributor": 0.3, "coordinator": 0.2}
# (label, weight): the share of a person's page views; exports rarely.
READS = [
    ("Tableau de bord", 22),
    ("Accord-cadre (hub)", 10),
    ("Programme", 10),
    ("Actions filtrées", 6),
    ("Action", 16),
    ("Réunions", 3),
    ("Réunion", 8),
    ("Conventions", 4),
    ("Convention", 5),
    ("Recherche", 7),
    ("Calendrier des actions", 3),
    ("Bilan annuel", 3),
    ("Export CSV", 1),
    ("Export XLSX", 1),
    ("Programmations côte à côte", 2),
]
SEARCH_WORDS = ["prévention", "guide", "formation", "colloque", "TMS", "webinaire", "étude"]
ACTION_FILTERS = ["?status=in_progress", "?kind=study", "?status=planned", ""]


class Person:
    def __init__(self, user, role, organisation, pages, editable_actions, meetings):
        self.username, self.role, self.organisation = user.username, role, organisation
        self.pages = pages  # label -> [path, ...]
        self.editable_actions = editable_actions  # actions whose description they change
        self.meetings = meetings  # meetings they add follow-up tasks to
        self.session = None

    @property
    def writes(self):
        return bool(self.editable_actions or self.meetings)


def person(user):
    """What one person sees and may change, from the rules (partnership/rules.py)."""
    from django.urls import reverse
    from django.utils import timezone

    from conventions.models import Convention
    from partnership import rules
    from partnership.agreements.models import Agreement
    from partnership.meetings.models import Meeting
    from partnership.programmes.models import Action, Programme

    agreements = list(Agreement.objects.visible_to(user).values_list("pk", flat=True)[:20])
    if not agreements:
        return None
    year = timezone.localdate().year
    programmes = list(
        Programme.objects.visible_to(user)
        .filter(year__in=[year - 1, year])
        .values_list("pk", flat=True)[:10]
    )
    actions = list(
        Action.objects.visible_to(user)
        .filter(programme_id__in=programmes)
        .exclude(status__in=["completed", "cancelled"])
        .select_related("programme")
        .order_by("pk")[:40]
    )
    meetings = list(Meeting.objects.visible_to(user).order_by("-starts_at")[:10])
    conventions = list(Convention.objects.visible_to(user).values_list("pk", flat=True)[:10])

    def urls(name, pks):
        return [reverse(name, args=[pk]) for pk in pks]

    pages = {
        "Tableau de bord": [reverse("home")],
        "Accord-cadre (hub)": urls("agreement_detail", agreements),
        "Programme": urls("programme_detail", programmes),
        "Actions filtrées": [reverse("action_list") + query for query in ACTION_FILTERS],
        "Action": urls("action_detail", [action.pk for action in actions]),
        "Réunions": [reverse("meeting_list")],
        "Réunion": urls("meeting_detail", [meeting.pk for meeting in meetings]),
        "Conventions": [reverse("conventions:convention_list")],
        "Convention": urls("conventions:convention_detail", conventions),
        "Recherche": [
            reverse("search") + "?" + urllib.parse.urlencode({"q": word}) for word in SEARCH_WORDS
        ],
        "Calendrier des actions": urls("programme_timeline", programmes),
        "Bilan annuel": urls("programme_report", programmes),
        "Export CSV": urls("programme_report_csv", programmes),
        "Export XLSX": urls("programme_report_xlsx", programmes),
        # The parties' programming of next year: its overlaps are kept in the shared cache.
        "Programmations côte à côte": [
            reverse("programming", args=[pk, year + 1]) for pk in agreements[:5]
        ],
    }
    editable = [action.pk for action in actions if rules.leads_action(user, action)][:10]
    coordinated = [
        meeting.pk
        for meeting in meetings
        if meeting.status in ("planned", "held")
        and user.has_perm("partnership.change_meeting", meeting)
    ][:3]
    profile = user.profile
    return Person(user, profile.role, profile.organisation_id, pages, editable, coordinated)


def choose_people(count, seed=2026):
    """``count`` scale accounts, roles in the proportions of MIX_OF_ROLES, organisations as
    varied as the accounts allow, each seeing at least one agreement."""
    from django.contrib.auth import get_user_model

    users = list(
        get_user_model()
        .objects.filter(username__startswith="agent", is_active=True, profile__isnull=False)
        .select_related("profile")
        .order_by("username")
    )
    random.Random(seed).shuffle(users)
    wanted = {role: max(1, round(count * share)) for role, share in MIX_OF_ROLES.items()}
    chosen, organisations = [], set()
    # First pass: an organisation not taken yet; second pass: any.
    for fresh_only in (True, False):
        for user in users:
            if len(chosen) >= count:
                break
            role = user.profile.role
            if wanted.get(role, 0) <= 0 or user.username in {p.username for p in chosen}:
                continue
            if fresh_only and user.profile.organisation_id in organisations:
                continue
            someone = person(user)
            if someone is None:
                continue
            chosen.append(someone)
            organisations.add(someone.organisation)
            wanted[role] -= 1
    return chosen


def log_in(port, username):
    """The login form posted over HTTP: the session cookie, or None."""
    body = urllib.parse.urlencode(
        {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": CSRF}
    )
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
    try:
        connection.request(
            "POST",
            "/comptes/login/",
            body=body,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"csrftoken={CSRF}",
            },
        )
        response = connection.getresponse()
        response.read()
        if response.status != 302:
            return None
        for header in response.msg.get_all("Set-Cookie") or []:
            cookie = http.cookies.SimpleCookie(header)
            if "sessionid" in cookie:
                return cookie["sessionid"].value
        return None
    finally:
        connection.close()


class MixedRun:
    """The answers of one phase, timed from its start."""

    def __init__(self, name):
        self.name = name
        self.lock = threading.Lock()
        self.answers = []
        self.acknowledged = []
        self.conflicts = 0
        self.stopping = threading.Event()
        self.origin = time.perf_counter()

    def clock(self):
        return time.perf_counter() - self.origin

    def record(self, answer):
        with self.lock:
            self.answers.append(answer)

    def pause(self, rng):
        """Think time, ended early when the phase stops."""
        self.stopping.wait(rng.uniform(THINK_MIN, THINK_MAX))

    def person(self, number, someone, client, deadline, write_probability):
        rng = random.Random(f"{self.name}-{number}")
        self.stopping.wait(rng.uniform(0, THINK_MAX))  # people do not all arrive at once
        for count in range(1, MAX_OPERATIONS_PER_PERSON + 1):
            if self.clock() >= deadline or self.stopping.is_set():
                return
            if someone.writes and rng.random() < write_probability:
                self.write(rng, someone, client, f"mixte-{self.name}-{number}-{count}")
            else:
                labels = [label for label, _ in READS if someone.pages[label]]
                weights = [weight for label, weight in READS if someone.pages[label]]
                label = rng.choices(labels, weights)[0]
                client.request(label, "GET", rng.choice(someone.pages[label]))
            self.pause(rng)

    def write(self, rng, someone, client, marker):
        if someone.editable_actions and (not someone.meetings or rng.random() < 0.7):
            pk = rng.choice(someone.editable_actions)
            path = f"/actions/{pk}/modifier/"
            kind, detail, label = "action", pk, "Modifier une action (écriture)"

            def change(data):
                data["description"] = f"Point d’étape {marker}"

        else:
            path = f"/rendez-vous/{rng.choice(someone.meetings)}/decisions-et-suites/"
            kind, detail, label = "follow_up", None, "Ajouter une suite (écriture)"

            def change(data):
                total = int(data.get("follow_ups-TOTAL_FORMS", 0))
                row = next((n for n in range(total) if not data.get(f"follow_ups-{n}-id")), total)
                data[f"follow_ups-{row}-title"] = f"Relancer {marker}"
                data["follow_ups-TOTAL_FORMS"] = str(max(total, row + 1))

        status, html = client.request(label + " : formulaire", "GET", path)
        data = main_form(html, path) if status == 200 else None
        if data is None:
            return
        change(data)
        self.pause(rng)  # the person types
        status, html = client.request(label, "POST", path, data)
        with self.lock:
            if status == 302:
                self.acknowledged.append((kind, marker, detail))
            elif status == 200 and ("conflict" in html or "conflit" in html):
                self.conflicts += 1


CONNECTION_COMMANDS = ("info", "hello", "ping", "select", "client|setinfo")


def redis_stats(port):
    """Redis's keyspace hits and misses, and the cache commands it ran (every command but
    those of connecting and of reading these figures)."""
    import redis

    client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=5)
    stats = client.info("stats")
    commands = sum(
        figures["calls"]
        for name, figures in client.info("commandstats").items()
        if name.removeprefix("cmdstat_") not in CONNECTION_COMMANDS
    )
    client.close()
    return stats["keyspace_hits"], stats["keyspace_misses"], commands


def run_phase(name, people, ports, seconds, redis_port):
    """One phase: every person on ``ports[number % len(ports)]`` for ``seconds``."""
    run = MixedRun(name)
    writers = sum(1 for someone in people if someone.writes)
    # A write is two requests (the form, then the post) and two pauses, a read one of each:
    # each person sends about one request per pause, and a writer choosing a write with the
    # probability p posts p / (1 + p) of their requests. So that posts are WRITE_SHARE of all:
    share_of_writers = min(0.375, WRITE_SHARE * len(people) / max(writers, 1))
    write_probability = share_of_writers / (1 - share_of_writers)
    before = redis_stats(redis_port)
    run.origin = time.perf_counter()
    threads = [
        threading.Thread(
            target=run.person,
            args=(
                number,
                someone,
                Client(run, ports[number % len(ports)], someone.session),
                seconds,
                write_probability,
            ),
            daemon=True,
        )
        for number, someone in enumerate(people)
    ]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=seconds + 2 * REQUEST_TIMEOUT)
    finally:
        run.stopping.set()
    elapsed = run.clock()
    after = redis_stats(redis_port)
    return run, elapsed, tuple(a - b for a, b in zip(after, before, strict=True))


def figures(run, elapsed, keyspace, servers, people, missing):
    by_page = collections.defaultdict(list)
    for answer in run.answers:
        by_page[answer.operation].append(answer)
    pages = []
    for label, answers in sorted(by_page.items(), key=lambda item: -len(item[1])):
        latencies = sorted(a.ended - a.started for a in answers)
        statuses = collections.Counter(a.status for a in answers)
        pages.append(
            {
                "page": label,
                "requests": len(answers),
                "share": round(len(answers) / max(len(run.answers), 1), 3),
                "p50_ms": round(statistics.median(latencies) * 1000, 1),
                "p95_ms": round(percentile(latencies, 0.95) * 1000, 1),
                "statuses": {str(s): statuses[s] for s in sorted(statuses)},
            }
        )
    latencies = sorted(a.ended - a.started for a in run.answers)
    hits, misses, commands = keyspace
    with_fragments = [a.fragments for a in run.answers if a.fragments]
    kept = sum(found for found, _all in with_fragments)
    fragments = sum(count for _found, count in with_fragments)
    posts = sum(1 for a in run.answers if a.method == "POST")
    return {
        "servers": servers,
        "people": len(people),
        "roles": dict(collections.Counter(someone.role for someone in people)),
        "organisations": len({someone.organisation for someone in people}),
        "seconds": round(elapsed, 1),
        "think_time_s": [THINK_MIN, THINK_MAX],
        "requests": len(run.answers),
        "requests_per_second": round(len(run.answers) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1) if latencies else None,
        "p95_ms": round(percentile(latencies, 0.95) * 1000, 1) if latencies else None,
        "writes_posted": posts,
        "write_share": round(posts / max(len(run.answers), 1), 3),
        "writes_acknowledged": len(run.acknowledged),
        "edits_refused_as_conflicts": run.conflicts,
        "acknowledged_writes_missing": len(missing),
        "server_errors": sum(1 for a in run.answers if a.failed),
        "client_errors": sum(1 for a in run.answers if 400 <= a.status < 500),
        "cache": {
            "keyspace_hits": hits,
            "keyspace_misses": misses,
            "hit_rate": round(hits / (hits + misses), 3) if hits + misses else None,
            "cache_commands": commands,
            # The pages' fragments (partnership.core.fragments): found kept, of those asked.
            "fragments": fragments,
            "fragments_kept": kept,
            "fragment_hit_rate": round(kept / fragments, 3) if fragments else None,
        },
        "pages": pages,
    }


def table(phase):
    lines = [
        f"{phase['servers']} server(s): {phase['people']} people "
        f"({', '.join(f'{n} {role}s' for role, n in sorted(phase['roles'].items()))}, "
        f"{phase['organisations']} organisations), {phase['seconds']} s, think time "
        f"{phase['think_time_s'][0]}–{phase['think_time_s'][1]} s: {phase['requests']} requests,"
        f" {phase['requests_per_second']} req/s, p50 {phase['p50_ms']} ms, p95 "
        f"{phase['p95_ms']} ms; writes {phase['write_share']:.0%} of requests "
        f"({phase['writes_acknowledged']} acknowledged, {phase['acknowledged_writes_missing']} "
        f"missing, {phase['edits_refused_as_conflicts']} conflicts); server errors "
        f"{phase['server_errors']}; cache hits {phase['cache']['keyspace_hits']}, misses "
        f"{phase['cache']['keyspace_misses']} (hit rate {phase['cache']['hit_rate']}; "
        f"{phase['cache']['cache_commands']} cache commands run by Redis); fragments found "
        f"kept {phase['cache']['fragments_kept']} of {phase['cache']['fragments']} (hit rate "
        f"{phase['cache']['fragment_hit_rate']})",
        "",
        "| Page | requests | share | p50 ms | p95 ms | statuses |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for row in phase["pages"]:
        statuses = ", ".join(f"{s}: {n}" for s, n in row["statuses"].items())
        lines.append(
            f"| {row['page']} | {row['requests']} | {row['share']:.1%} | {row['p50_ms']} | "
            f"{row['p95_ms']} | {statuses} |"
        )
    return "\n".join(lines)
