"""Two application servers behind a load balancer, on one database and one Redis.

Two real gunicorn processes share the test database (PostgreSQL in CI's second pass, the
SQLite file in the first) and one Redis (the tests' database number, a key prefix of this
test's own). For each page that used to be kept by the per-server page cache, a change
saved through one server shows at once through the other; and whichever server answers, a
person is shown their own page, never another person's.
"""

import io
import re
import types
from urllib.parse import urlencode

import openpyxl
import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from partnership.discussion.models import Follow
from partnership.programming.services import programming_years
from tests.factories import (
    ActionFactory,
    ConventionFactory,
    ConventionPartyFactory,
    DeliverableFactory,
    MeetingFactory,
    PlannedProjectFactory,
    ProgrammeFactory,
)
from tests.html_forms import form_data
from tests.test_production import (
    cookies_from,
    running_gunicorn,
    server_env,
    static_root,  # noqa: F401 (the fixture)
)

NAMES = {
    "anact.coordinateur": ("Camille", "Coordinatrice"),
    "anact.lecteur": ("Louis", "Lecteur"),
    "inrs.lecteur": ("Inès", "Relectrice"),
    "cnav.coordinateur": ("Octave", "Extérieur"),
}


@pytest.fixture
def servers(transactional_db, static_root, tmp_path, redis_url, cache_key_prefix):  # noqa: F811
    """Two gunicorn servers on the same database and Redis; the sessions (in the database,
    signed with the same SECRET_KEY) are good on both, as behind a load balancer."""
    env = server_env(
        static_root,
        SECRET_KEY=settings.SECRET_KEY,
        REDIS_URL=redis_url,
        CACHE_KEY_PREFIX=cache_key_prefix,
    )
    with (
        running_gunicorn(env, tmp_path / "first.log") as first,
        running_gunicorn(env, tmp_path / "second.log") as second,
    ):
        yield first, second


@pytest.fixture
def people(anact_coordinator, anact_reader, inrs_reader, outsider):
    people = {}
    for user in (anact_coordinator, anact_reader, inrs_reader, outsider):
        user.first_name, user.last_name = NAMES[user.username]
        user.save(update_fields=["first_name", "last_name"])
        browser = Client()
        browser.force_login(user)
        people[user.username] = browser.cookies[settings.SESSION_COOKIE_NAME].value
    return people


@pytest.fixture
def records(agreement, anact, inrs):
    programme = ProgrammeFactory(agreement=agreement, year=2026, title="Programme commun 2026")
    action = ActionFactory(programme=programme, title="Guide TMS commun", lead_organisation=anact)
    DeliverableFactory(action=action, title="Guide publié")  # the report lists its action
    meeting = MeetingFactory(agreement=agreement, title="Comité de pilotage")
    convention = ConventionFactory(agreement=agreement, title="Convention prévention RPS")
    ConventionPartyFactory(convention=convention, organisation=anact)
    ConventionPartyFactory(convention=convention, organisation=inrs)
    return types.SimpleNamespace(
        agreement=agreement,
        programme=programme,
        action=action,
        meeting=meeting,
        convention=convention,
    )


def shown_to(page):
    """The name in the page's own menu: whom the page was drawn for."""
    return re.search(r'bi-person-circle" aria-hidden="true"></i>\s*([^<]+?)\s*</a>', page.text)[1]


def get(server, path, session):
    return server.request("GET", path, headers={"Cookie": f"sessionid={session}"})


def text_of(response):
    """What the page says: its HTML, the CSV, or the cells of the spreadsheet."""
    if response.getheader("Content-Type", "").startswith("application/vnd.openxml"):
        book = openpyxl.load_workbook(io.BytesIO(response.body), read_only=True)
        return "\n".join(
            str(value)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
            for value in row
            if value is not None
        )
    return response.text


def save_through(server, session, path, **changes):
    """Post the edit page's own form through ``server`` with a few fields changed."""
    page = get(server, path, session)
    assert page.status == 200, page.text
    csrf = cookies_from(page)["csrftoken"]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)[1]
    data = form_data(
        types.SimpleNamespace(
            content=page.body,
            wsgi_request=types.SimpleNamespace(path=path, get_full_path=lambda: path),
        )
    )
    data.update(changes, csrfmiddlewaretoken=token)
    post_through(server, session, csrf, path, data)


def post_through(server, session, csrf, path, data):
    """Post the data through ``server`` as the person whose CSRF cookie it is: redirected."""
    saved = server.request(
        "POST",
        path,
        body=urlencode(data, doseq=True),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"sessionid={session}; csrftoken={csrf}",
            "Origin": f"https://127.0.0.1:{server.port}",
        },
    )
    assert saved.status == 302, saved.text


def pages(records, *names):
    urls = {
        "home": reverse("home"),
        "agreement_list": reverse("agreement_list"),
        "agreement_detail": records.agreement.get_absolute_url(),
        "programme_detail": records.programme.get_absolute_url(),
        "programme_timeline": reverse("programme_timeline", args=[records.programme.pk]),
        "programme_report": reverse("programme_report", args=[records.programme.pk]),
        "programme_report_csv": reverse("programme_report_csv", args=[records.programme.pk]),
        "programme_report_xlsx": reverse("programme_report_xlsx", args=[records.programme.pk]),
        "action_list": reverse("action_list"),
        "action_detail": records.action.get_absolute_url(),
        "action_update": reverse("action_update", args=[records.action.pk]),
        "meeting_list": reverse("meeting_list"),
        "meeting_detail": records.meeting.get_absolute_url(),
        "search": reverse("search") + "?q=r%C3%A9vis%C3%A9",
        "conventions:convention_list": reverse("conventions:convention_list"),
        "conventions:convention_detail": records.convention.get_absolute_url(),
    }
    return {name: urls[name] for name in names}


# Each change, the edit page it is saved through, and the pages that show it.
CHANGES = [
    (
        "action",
        "action_update",
        {"title": "Guide TMS révisé"},
        [
            "action_list",
            "action_detail",
            "action_update",
            "programme_detail",
            "programme_timeline",
            "programme_report",
            "programme_report_csv",
            "programme_report_xlsx",
            "search",
            "home",  # its recent changes, kept in the shared cache
        ],
    ),
    (
        "meeting",
        "meeting_update",
        {"title": "Comité révisé"},
        ["meeting_list", "meeting_detail", "home"],
    ),
    (
        "convention",
        "conventions:convention_update",
        {"title": "Convention RPS révisée"},
        ["conventions:convention_list", "conventions:convention_detail", "home"],
    ),
    (
        "agreement",
        "agreement_update",
        {"title": "Accord-cadre révisé"},
        ["agreement_list", "agreement_detail", "home"],
    ),
]


@pytest.mark.parametrize(
    ("record", "edit", "changes", "shown_on"), CHANGES, ids=[change[0] for change in CHANGES]
)
def test_a_change_saved_through_one_server_shows_at_once_through_the_other(
    servers, people, records, record, edit, changes, shown_on
):
    first, second = servers
    urls = pages(records, *shown_on)
    [new_text] = changes.values()
    old_text = getattr(getattr(records, record), next(iter(changes)))
    # Both servers have drawn every page before the change.
    for server in (first, second):
        for name, url in urls.items():
            before = get(server, url, people["anact.coordinateur"])
            assert before.status == 200, (name, before.text)
            assert new_text not in text_of(before), name
            if name != "search":  # it looks for the new words
                assert old_text in text_of(before), name

    edit_url = reverse(edit, args=[getattr(records, record).pk])
    save_through(first, people["anact.coordinateur"], edit_url, **changes)

    for name, url in urls.items():  # at once: no waiting, no retry
        for server, person in ((second, "anact.coordinateur"), (first, "anact.coordinateur")):
            after = get(server, url, people[person])
            assert after.status == 200, (name, after.text)
            assert new_text in text_of(after), (name, server.port)

    # And the other way round: saved through the second, seen through the first.
    changes = {key: value + " encore" for key, value in changes.items()}
    save_through(second, people["anact.coordinateur"], edit_url, **changes)
    for name, url in urls.items():
        assert new_text + " encore" in text_of(get(first, url, people["anact.coordinateur"])), name


def test_the_overlaps_kept_in_the_cache_follow_a_project_changed_through_the_other_server(
    servers, people, agreement, anact, inrs
):
    """The side-by-side page keeps its overlaps in the shared cache, under a key made of the
    projects they come from: a project changed through one server changes them through the
    other at once, though both had kept the ones of before."""
    first, second = servers
    year = programming_years()[0]  # open today: the gunicorn servers read the real clock
    PlannedProjectFactory(
        agreement=agreement,
        organisation=inrs,
        year=year,
        title="Prévention de l’usure professionnelle des soignants",
    )
    project = PlannedProjectFactory(  # the coordinator's own organisation's
        agreement=agreement, organisation=anact, year=year, title="Bruit dans les ateliers"
    )
    url = reverse("programming", args=[agreement.pk, year])
    coordinator = people["anact.coordinateur"]
    for server in (first, second):
        assert "0 chevauchement à coordonner" in get(server, url, coordinator).text

    edit_url = reverse("plannedproject_update", args=[project.pk])
    title = "Usure professionnelle des soignants : repères"
    save_through(first, coordinator, edit_url, title=title)
    for server in (second, first):
        page = get(server, url, coordinator)
        assert "1 chevauchement à coordonner" in page.text, server.port
        assert title in page.text

    save_through(second, coordinator, edit_url, title="Bruit dans les ateliers")
    for server in (first, second):
        assert "0 chevauchement à coordonner" in get(server, url, coordinator).text


def test_a_person_never_sees_another_person_s_page_whichever_server_answers(
    servers, people, records
):
    first, second = servers
    html_pages = {
        name: url
        for name, url in pages(records, *[name for change in CHANGES for name in change[3]]).items()
        if not name.startswith("programme_report_")
    }
    edit_link = reverse("action_update", args=[records.action.pk])
    for name, url in html_pages.items():
        for person, session in people.items():
            for server in (first, second, first):  # each server, and one again after the other
                page = get(server, url, session)
                if person == "cnav.coordinateur":  # no party to anything here
                    if page.status == 200:
                        assert "Guide TMS" not in page.text, (name, person)
                        assert "Comité de pilotage" not in page.text, (name, person)
                    else:
                        assert page.status == 404, (name, person, page.status)
                    continue
                if name == "action_update" and person != "anact.coordinateur":
                    assert page.status == 403, (name, person, page.status)
                    continue
                assert page.status == 200, (name, person, page.status)
                # The person the page was drawn for, in its menu: always the one who asked.
                assert shown_to(page) == " ".join(NAMES[person]), (name, person)
                # The coordinator's edit link is on their page only.
                if name == "action_detail":
                    assert (edit_link in page.text) == (person == "anact.coordinateur"), person


def bell_count(page):
    found = re.search(
        r'class="badge rounded-pill text-bg-warning bell-count[^"]*">(\d+)', page.text
    )
    return int(found[1]) if found else 0


def test_a_comment_posted_through_one_server_rings_the_bell_through_the_other(
    servers, people, records, anact_reader
):
    """The bell's count is kept in the shared cache: a notification made through one server
    shows in it at once through the other, though both had kept the count of before."""
    first, second = servers
    Follow.objects.create(user=anact_reader, action=records.action)
    about, reader = reverse("about"), people["anact.lecteur"]
    for server in (first, second, first):
        assert bell_count(get(server, about, reader)) == 0

    coordinator = people["anact.coordinateur"]
    page = get(first, records.action.get_absolute_url(), coordinator)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)[1]
    post_through(
        first,
        coordinator,
        cookies_from(page)["csrftoken"],
        reverse("comment_create", args=["action", records.action.pk]),
        {"csrfmiddlewaretoken": token, "body": "Le guide est relu."},
    )
    for server in (second, first):
        assert bell_count(get(server, about, reader)) == 1, server.port
    assert bell_count(get(second, about, coordinator)) == 0  # the author is not told
