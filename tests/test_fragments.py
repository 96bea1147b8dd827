"""Parts of pages kept in the shared cache (partnership/core/fragments.py), and the dashboard's
sections kept with them: kept for everyone who sees the same agreements, drawn again as soon as
a table they are drawn from changes, by whatever way it is written, and never shown to someone
who sees other agreements.

These tests commit (``transaction=True``): a version changes when a transaction commits.
"""

import datetime
import os
import re
import subprocess
import sys

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from partnership.core import fragments
from partnership.core.fragments import EVERY_TABLE, Fragment, tables_of, written_tables
from partnership.discussion.events import notify
from partnership.models import (
    Action,
    Agreement,
    AgreementParty,
    Deliverable,
    Notification,
    PlannedProject,
    Programme,
    Theme,
)
from partnership.programming.views import ProgrammingView
from tests.clock import freeze, moment
from tests.conftest import _staff
from tests.factories import (
    PASSWORD,
    ActionFactory,
    AgreementFactory,
    AgreementPartyFactory,
    DeliverableFactory,
    OrganisationFactory,
    PlannedProjectFactory,
    ProgrammeFactory,
    ThemeFactory,
)
from tests.html_forms import form_data

pytestmark = pytest.mark.django_db(transaction=True)

TODAY = datetime.date(2027, 3, 15)
TODAY_NOON = moment(TODAY)
PROGRAMMES = Programme._meta.db_table
ACTIONS = Action._meta.db_table


@pytest.mark.parametrize(
    ("sql", "tables"),
    [
        ('INSERT INTO "partnership_action" ("title") VALUES (%s)', {ACTIONS}),
        ('INSERT OR IGNORE INTO "partnership_action" ("title") VALUES (%s)', {ACTIONS}),
        ('  UPDATE "partnership_action" SET "title" = %s', {ACTIONS}),
        ('DELETE FROM "partnership_action" WHERE "id" IN (%s)', {ACTIONS}),
        ("update partnership_action set title = 'x'", {ACTIONS}),
        ('SELECT "id" FROM "partnership_action"', set()),
        ('(SELECT "id" FROM "partnership_action") UNION ALL (SELECT "id" FROM "x")', set()),
        ("WITH recent AS (SELECT 1) SELECT * FROM recent", set()),
        ('SAVEPOINT "s1"', set()),
        ('RELEASE SAVEPOINT "s1"', set()),
        ("BEGIN IMMEDIATE", set()),
        ('TRUNCATE "partnership_action"', {EVERY_TABLE}),
        ("WITH gone AS (DELETE FROM partnership_action RETURNING id) SELECT 1", {EVERY_TABLE}),
        ('ALTER TABLE "partnership_action" ADD COLUMN "x" integer', {EVERY_TABLE}),
    ],
)
def test_the_tables_a_statement_writes_are_read_from_its_sql(sql, tables):
    assert written_tables(sql) == tables


USERS = get_user_model()._meta.db_table


@pytest.mark.parametrize(
    ("sql", "tables"),
    [
        # Django's update_last_login, at each login: no fragment shows it.
        (f'UPDATE "{USERS}" SET "last_login" = %s WHERE "{USERS}"."id" = %s', set()),
        (f'update "{USERS}" set "last_login" = %s where "{USERS}"."id" = %s', set()),
        # Anything more, or written otherwise, is a write.
        (f'UPDATE "{USERS}" SET "last_login" = %s, "first_name" = %s WHERE "id" = %s', {USERS}),
        (f'UPDATE "{USERS}" SET "first_name" = %s, "last_login" = %s WHERE "id" = %s', {USERS}),
        (f'UPDATE "{USERS}" SET "last_login" = NULL, "first_name" = %s WHERE "id" = %s', {USERS}),
        (f'UPDATE "{USERS}" SET "last_login" = %s', {USERS}),
        ('UPDATE "partnership_action" SET "last_login" = %s WHERE "id" = %s', {ACTIONS}),
    ],
)
def test_a_write_of_only_columns_no_fragment_shows_changes_no_version(sql, tables):
    assert written_tables(sql) == tables


def test_a_fragment_reading_a_column_no_version_follows_is_an_error(agreement):
    fragment = {
        "people": Fragment(
            key=("k",),
            tables=tables_of(get_user_model()),
            draw=lambda: [person.get_full_name() for person in get_user_model().objects.all()],
        )
    }
    with pytest.raises(ImproperlyConfigured, match="last_login"):
        fragments.drawn(fragment)


def test_a_login_draws_nothing_again_but_a_person_renamed_shows_at_once(scene, anact, anact_reader):
    colleague = _staff("anact.lectrice", anact, "reader")
    reader = logged_in(anact_reader)
    assert reader.get(reverse("home"))["Server-Timing"] == 'fragments;desc="0/5 kept"'
    signed_in = Client().post(
        reverse("login"), {"username": colleague.username, "password": PASSWORD}
    )
    assert signed_in.status_code == 302
    colleague.refresh_from_db()
    assert colleague.last_login is not None
    assert reader.get(reverse("home"))["Server-Timing"] == 'fragments;desc="5/5 kept"'
    # The recent changes name their authors: renamed, the section is drawn again.
    get_user_model().objects.filter(pk=anact_reader.pk).update(first_name="Camille")
    assert reader.get(reverse("home"))["Server-Timing"] == 'fragments;desc="4/5 kept"'


def versions(*tables):
    return fragments._versions(tables)


def test_a_bulk_update_without_signals_changes_its_table_s_version(agreement):
    programme = ProgrammeFactory(agreement=agreement, year=2027)
    before = versions(PROGRAMMES, ACTIONS)
    Programme.objects.filter(pk=programme.pk).update(title="Changé en bloc")
    after = versions(PROGRAMMES, ACTIONS)
    assert after[PROGRAMMES] != before[PROGRAMMES]
    assert after[ACTIONS] == before[ACTIONS]


def test_raw_sql_changes_its_table_s_version_and_an_unclear_write_every_version(agreement):
    ProgrammeFactory(agreement=agreement, year=2027)
    before = versions(PROGRAMMES, EVERY_TABLE)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {PROGRAMMES} SET title = %s", ["Changé en SQL"])
    middle = versions(PROGRAMMES, EVERY_TABLE)
    assert middle[PROGRAMMES] != before[PROGRAMMES]
    assert middle[EVERY_TABLE] == before[EVERY_TABLE]
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH chosen AS (SELECT 1) UPDATE {PROGRAMMES} SET title = %s",
            ["Changé par une CTE"],
        )
    assert versions(EVERY_TABLE)[EVERY_TABLE] != middle[EVERY_TABLE]


def test_a_version_changes_when_the_transaction_commits_and_not_when_it_rolls_back(agreement):
    programme = ProgrammeFactory(agreement=agreement, year=2027)
    before = versions(PROGRAMMES)
    with transaction.atomic():
        Programme.objects.filter(pk=programme.pk).update(title="Pas encore validé")
        assert versions(PROGRAMMES) == before  # other servers do not see it yet either
    committed = versions(PROGRAMMES)
    assert committed != before

    with pytest.raises(RuntimeError), transaction.atomic():
        Programme.objects.filter(pk=programme.pk).update(title="Annulé")
        raise RuntimeError
    assert versions(PROGRAMMES) == committed
    assert Programme.objects.get(pk=programme.pk).title == "Pas encore validé"


def test_a_write_after_a_savepoint_rolled_back_still_changes_its_version_at_commit(agreement):
    programme = ProgrammeFactory(agreement=agreement, year=2027)
    before = versions(PROGRAMMES, ACTIONS)
    with transaction.atomic():
        with pytest.raises(RuntimeError), transaction.atomic():  # a savepoint
            Action.objects.filter(programme=programme).update(title="Annulé")
            raise RuntimeError
        Programme.objects.filter(pk=programme.pk).update(title="Gardé")
    after = versions(PROGRAMMES, ACTIONS)
    assert after[PROGRAMMES] != before[PROGRAMMES]


def test_a_write_under_manual_transaction_management_changes_its_version_and_fails_nothing(
    agreement,
):
    programme = ProgrammeFactory(agreement=agreement, year=2027)
    before = versions(PROGRAMMES)
    transaction.set_autocommit(False)
    try:
        Programme.objects.filter(pk=programme.pk).update(title="Géré à la main")
        transaction.commit()
    finally:
        transaction.set_autocommit(True)
    assert versions(PROGRAMMES) != before


def count_draws(value="drawn"):
    draws = []

    def draw():
        draws.append(1)
        return f"{value} {Programme.objects.count()}"

    return draws, draw


def test_a_fragment_is_drawn_once_then_again_after_a_commit_to_its_tables(agreement):
    draws, draw = count_draws()
    fragment = {"count": Fragment(key=("k",), tables=tables_of(Programme), draw=draw)}
    assert fragments.drawn(fragment) == {"count": "drawn 0"}
    assert fragments.drawn(fragment) == {"count": "drawn 0"}
    assert len(draws) == 1

    ProgrammeFactory(agreement=agreement, year=2027)
    assert fragments.drawn(fragment) == {"count": "drawn 1"}
    assert len(draws) == 2

    Theme.objects.create(code="X", name="Un autre thème")  # a table it is not drawn from
    assert fragments.drawn(fragment) == {"count": "drawn 1"}
    assert len(draws) == 2


def test_nothing_is_kept_while_the_connection_holds_uncommitted_writes(agreement):
    draws, draw = count_draws()
    fragment = {"count": Fragment(key=("k",), tables=tables_of(Programme), draw=draw)}
    with pytest.raises(RuntimeError), transaction.atomic():
        ProgrammeFactory(agreement=agreement, year=2027)
        assert fragments.drawn(fragment) == {"count": "drawn 1"}
        assert fragments.drawn(fragment) == {"count": "drawn 1"}
        raise RuntimeError  # rolled back: what was drawn never existed
    assert len(draws) == 2
    assert fragments.drawn(fragment) == {"count": "drawn 0"}  # not the rolled-back one


def test_a_fragment_reading_a_table_its_key_does_not_name_is_an_error(agreement):
    fragment = {
        "count": Fragment(
            key=("k",), tables=tables_of(Theme), draw=lambda: Programme.objects.count()
        )
    }
    with pytest.raises(ImproperlyConfigured, match="partnership_programme"):
        fragments.drawn(fragment)


def test_without_the_cache_every_fragment_is_drawn(agreement, monkeypatch):
    import redis

    def unreachable(*args, **kwargs):
        raise redis.exceptions.ConnectionError("Redis is down")

    monkeypatch.setattr(cache, "get_many", unreachable)
    draws, draw = count_draws()
    fragment = {"count": Fragment(key=("k",), tables=tables_of(Programme), draw=draw)}
    assert fragments.drawn(fragment) == {"count": "drawn 0"}
    assert fragments.drawn(fragment) == {"count": "drawn 0"}
    assert len(draws) == 2


# The dashboard's kept sections -----------------------------------------------------------


@pytest.fixture
def scene(time_machine, agreement, anact, inrs):
    freeze(time_machine, TODAY)
    programme = ProgrammeFactory(agreement=agreement, year=TODAY.year, title="Programme 2027")
    action = ActionFactory(programme=programme, title="Guide TMS", lead_organisation=anact)
    DeliverableFactory(action=action, title="Guide publié", due_on=TODAY + datetime.timedelta(5))
    return programme


def logged_in(user):
    browser = Client()
    browser.force_login(user)
    return browser


def dashboard(browser):
    with CaptureQueriesContext(connection) as queries:
        page = browser.get(reverse("home"))
    assert page.status_code == 200
    return page.content.decode(), len(queries)


def test_people_who_see_the_same_agreements_share_the_sections_drawn_once(
    scene, anact, anact_reader
):
    colleague = _staff("anact.lectrice", anact, "reader")
    reader = logged_in(anact_reader)
    first, drawn_queries = dashboard(reader)
    # A login writes the account's last login, which no section shows: nothing drawn again.
    second, kept_queries = dashboard(logged_in(colleague))
    # Drawn by the first: the session, the person, their profile, the meetings, their tasks,
    # the bell's count, and the kept sections' six (programmes, deliverables, recent changes,
    # ending soon: agreements and conventions, experimentations awaiting a decision). The
    # second, who sees the same agreements, gets those sections as they were kept.
    assert (drawn_queries, kept_queries) == (12, 6)
    for text in ("Programme 2027", "Guide publié", "Guide TMS"):
        assert text in first
        assert text in second


def test_the_page_says_how_many_of_its_fragments_it_found_kept(scene, anact_reader):
    browser = logged_in(anact_reader)
    first = browser.get(reverse("home"))
    again = browser.get(reverse("home"))
    assert first["Server-Timing"] == 'fragments;desc="0/5 kept"'
    assert again["Server-Timing"] == 'fragments;desc="5/5 kept"'


def test_a_person_who_sees_other_agreements_is_never_shown_the_sections_kept_for_others(
    scene, anact_coordinator, outsider
):
    assert "Guide publié" in dashboard(logged_in(anact_coordinator))[0]
    page, _queries = dashboard(logged_in(outsider))
    for text in ("Programme 2027", "Guide publié", "Guide TMS"):
        assert text not in page


@pytest.mark.parametrize("how", ["queryset update", "raw SQL"])
def test_a_change_written_without_signals_shows_on_the_dashboard_at_once(
    scene, anact_coordinator, how
):
    browser = logged_in(anact_coordinator)
    assert "Guide publié" in dashboard(browser)[0]
    deliverable = Deliverable.objects.get(title="Guide publié")
    if how == "queryset update":
        Deliverable.objects.filter(pk=deliverable.pk).update(title="Guide réédité")
        Programme.objects.filter(pk=scene.pk).update(title="Programme révisé")
    else:
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {Deliverable._meta.db_table} SET title = %s WHERE id = %s",
                ["Guide réédité", deliverable.pk],
            )
            cursor.execute(
                f"UPDATE {PROGRAMMES} SET title = %s WHERE id = %s", ["Programme révisé", scene.pk]
            )
    page, _queries = dashboard(browser)
    assert "Guide réédité" in page
    assert "Programme révisé" in page
    assert "Guide publié" not in page


def test_the_sections_follow_the_day(scene, anact_coordinator, time_machine):
    Deliverable.objects.update(due_on=TODAY)
    time_machine.move_to(moment(TODAY, 23, 58).timestamp(), tick=False)
    browser = logged_in(anact_coordinator)
    page, _queries = dashboard(browser)
    assert "Guide publié" in page
    assert "En retard" not in page
    # Four minutes later, the next day: due yesterday, so overdue, though nothing was written.
    time_machine.move_to(moment(TODAY + datetime.timedelta(days=1), 0, 2).timestamp(), tick=False)
    page, _queries = dashboard(browser)
    assert "En retard" in page


def test_a_person_who_joins_an_agreement_sees_its_sections_at_once(
    scene, anact_coordinator, outsider, outsider_organisation
):
    browser = logged_in(outsider)
    assert "Guide publié" not in dashboard(browser)[0]
    AgreementPartyFactory(agreement=Agreement.objects.get(), organisation=outsider_organisation)
    browser = logged_in(outsider)  # the profile, and the agreements it gives, read again
    assert "Guide publié" in dashboard(browser)[0]


# The side-by-side page's projects and overlaps --------------------------------------------


def side_by_side(browser, agreement, query=""):
    with CaptureQueriesContext(connection) as queries:
        page = browser.get(reverse("programming", args=[agreement.pk, 2027]) + query)
    assert page.status_code == 200
    return page.content.decode(), len(queries)


def kept_part(html):
    start = html.index('<section class="card mb-4 programming-overlaps"')
    return html[start : html.index("</main>", start)]


def test_the_side_by_side_page_keeps_one_drawing_for_who_may_tick_projects_and_one_for_others(
    time_machine, agreement, anact, inrs, anact_coordinator, anact_reader
):
    freeze(time_machine, datetime.date(2026, 10, 12))  # la rentrée: the programming 2027 is open
    noise = ThemeFactory(code="bruit", name="Bruit")
    PlannedProjectFactory(
        agreement=agreement, organisation=anact, year=2027, title="Bruit", theme=noise
    )
    PlannedProjectFactory(agreement=agreement, organisation=inrs, year=2027, title="Vibrations")
    reader, coordinator = logged_in(anact_reader), logged_in(anact_coordinator)
    tick = 'name="projects"'

    first, drawn_queries = side_by_side(reader, agreement)
    again, kept_queries = side_by_side(reader, agreement)
    assert tick not in first
    assert kept_part(again) == kept_part(first)
    assert drawn_queries > kept_queries  # the projects, their parties and themes not read again

    ticking, _queries = side_by_side(coordinator, agreement)
    assert ticking.count(tick) == 2
    assert tick not in side_by_side(reader, agreement)[0]

    # A filter is part of what is kept: each its own.
    filtered, _queries = side_by_side(reader, agreement, f"?theme={noise.pk}")
    assert "Bruit" in filtered
    assert "Vibrations" not in filtered
    assert "Vibrations" in side_by_side(reader, agreement)[0]

    PlannedProject.objects.filter(title="Bruit").update(title="Bruit au travail")
    assert "Bruit au travail" in side_by_side(reader, agreement)[0]
    assert "Bruit au travail" in side_by_side(coordinator, agreement)[0]


def test_made_up_filter_values_never_fill_the_cache_with_copies_of_the_page(
    time_machine, agreement, anact, anact_reader, monkeypatch
):
    """An attacker who sends a new value in each request (``?theme=x1``, ``x2``...) must not
    make the server draw and keep one more copy of the page each time: a value the filter
    refuses filters nothing, and the page is the one kept for no filter."""
    freeze(time_machine, datetime.date(2026, 10, 12))
    noise = ThemeFactory(code="bruit", name="Bruit")
    elsewhere = ThemeFactory(code="ailleurs", name="Thème d’une autre programmation")
    PlannedProjectFactory(agreement=agreement, organisation=anact, year=2027, theme=noise)
    reader = logged_in(anact_reader)
    drawings = []
    draw = ProgrammingView.projects_and_overlaps

    def counted(view, *args):
        drawings.append(args)
        return draw(view, *args)

    monkeypatch.setattr(ProgrammingView, "projects_and_overlaps", counted)
    unfiltered = kept_part(side_by_side(reader, agreement)[0])
    assert len(drawings) == 1

    made_up = [f"?theme=x{n}" for n in range(20)] + [
        "?sector=invente",
        "?kind=x&certainty=y",
        f"?theme={elsewhere.pk}",  # a real theme, of no project of this programming
        "?theme=&sector=",
        "?unknown=1",
    ]
    for query in made_up:
        assert kept_part(side_by_side(reader, agreement, query)[0]) == unfiltered
    assert len(drawings) == 1  # every one found the drawing kept for no filter

    side_by_side(reader, agreement, f"?theme={noise.pk}")
    side_by_side(reader, agreement, f"?theme={noise.pk}&sector=invente")
    assert len(drawings) == 2  # a real filter is drawn once, whatever else is sent beside it


# A form's lists of options --------------------------------------------------------------


def action_form(browser, action):
    with CaptureQueriesContext(connection) as queries:
        page = browser.get(reverse("action_update", args=[action.pk]))
    assert page.status_code == 200
    return page.content.decode(), len(queries)


@pytest.fixture
def two_agreements(time_machine, agreement, anact, inrs, outsider_organisation):
    """The Anact–INRS agreement, and another between the Anact and the Cnav: each has an
    action, and its contacts' rows offer its own parties' people."""
    freeze(time_machine, TODAY)
    other = AgreementFactory(reference="AC-ANACT-CNAV")
    AgreementPartyFactory(agreement=other, organisation=anact)
    AgreementPartyFactory(agreement=other, organisation=outsider_organisation)
    actions = {}
    for each in (agreement, other):
        programme = ProgrammeFactory(agreement=each, year=TODAY.year)
        actions[each.reference] = ActionFactory(programme=programme, lead_organisation=anact)
    _staff("inrs.chercheuse", inrs, "contributor")
    _staff("cnav.charge", outsider_organisation, "contributor")
    return actions


def option_labels(html, name):
    """The labels of the options of the first select named ``…-name``."""
    start = html.index(f'-{name}"')
    block = html[start : html.index("</select>", start)]
    return re.findall(r"<option value=\"\d+\"[^>]*>([^<]*)</option>", block)


def test_a_form_s_lists_of_options_are_read_once_then_kept_until_their_tables_change(
    two_agreements, anact, anact_coordinator
):
    action = two_agreements["AC-ANACT-INRS"]
    browser = logged_in(anact_coordinator)
    first, drawn_queries = action_form(browser, action)
    again, kept_queries = action_form(browser, action)
    for name in ("organisation", "user", "contact"):
        assert option_labels(again, name) == option_labels(first, name)
    # The themes, organisations, conventions, last year's actions, people and contacts; and
    # the bell's count.
    assert drawn_queries - kept_queries == 7

    OrganisationFactory(name="Santé publique France", acronym="SpF")
    page, queries = action_form(browser, action)
    assert "SpF" in option_labels(page, "organisation")
    assert queries > kept_queries  # the organisations read again, not the other lists

    person = get_user_model().objects.get(username="inrs.chercheuse")
    get_user_model().objects.filter(pk=person.pk).update(first_name="Camille", last_name="Roux")
    assert "Camille Roux" in option_labels(action_form(browser, action)[0], "user")


def test_the_people_offered_on_one_agreement_s_action_are_never_those_kept_for_another(
    two_agreements, anact_coordinator
):
    browser = logged_in(anact_coordinator)
    people_of = {
        reference: set(option_labels(action_form(browser, action)[0], "user"))
        for reference, action in two_agreements.items()
    }
    cnav, inrs = "cnav.charge", "inrs.chercheuse"
    named = {
        username: get_user_model().objects.get(username=username).get_full_name()
        for username in (cnav, inrs)
    }
    assert named[inrs] in people_of["AC-ANACT-INRS"]
    assert named[inrs] not in people_of["AC-ANACT-CNAV"]
    assert named[cnav] in people_of["AC-ANACT-CNAV"]
    assert named[cnav] not in people_of["AC-ANACT-INRS"]


def test_labels_drawn_by_a_function_holding_values_of_its_own_are_not_kept():
    from partnership.core.crud import _label_name

    suffix = " (vous)"
    assert _label_name(lambda user: user.username) is not None
    assert _label_name(lambda user: user.username + suffix) is None  # a closure
    assert _label_name(str) is None


# The bell's count ----------------------------------------------------------------------


def bell(browser):
    """The count the bell shows on the About page, and how many queries read notifications."""
    with CaptureQueriesContext(connection) as queries:
        page = browser.get(reverse("about")).content.decode()
    found = re.search(r'class="badge rounded-pill text-bg-warning bell-count[^"]*">(\d+)', page)
    read = sum("partnership_notification" in query["sql"] for query in queries.captured_queries)
    return (int(found[1]) if found else 0), read


def test_the_bell_is_kept_until_the_person_s_own_notifications_change(
    scene, anact_reader, anact_coordinator
):
    action = Action.objects.get()
    reader, coordinator = logged_in(anact_reader), logged_in(anact_coordinator)
    notify("status_changed", action, None, [anact_reader])
    assert bell(reader) == (1, 1)  # counted
    assert bell(reader) == (1, 0)  # kept
    assert bell(coordinator) == (0, 1)

    # A notification for someone else leaves the reader's count kept; theirs shows at once.
    notify("status_changed", action, None, [anact_coordinator])
    assert bell(reader) == (1, 0)
    assert bell(coordinator) == (1, 1)

    notify("status_changed", action, None, [anact_reader])
    assert bell(reader) == (2, 1)
    # Opened, marked read, all marked read: at once, and nobody else's count drawn again.
    opened, marked = Notification.objects.filter(recipient=anact_reader).order_by("pk")
    assert reader.post(reverse("notification_open", args=[opened.pk])).status_code == 302
    assert bell(reader) == (1, 1)
    assert reader.post(reverse("notification_read", args=[marked.pk])).status_code == 302
    assert bell(reader) == (0, 1)
    notify("status_changed", action, None, [anact_reader])
    assert bell(reader) == (1, 1)
    assert reader.post(reverse("notification_read_all")).status_code == 302
    assert bell(reader) == (0, 1)
    assert bell(coordinator) == (1, 0)


def test_a_notification_written_without_saying_whose_draws_every_bell_again(
    scene, anact_reader, anact_coordinator
):
    action = Action.objects.get()
    reader, coordinator = logged_in(anact_reader), logged_in(anact_coordinator)
    notify("status_changed", action, None, [anact_reader, anact_coordinator])
    assert (bell(reader), bell(coordinator)) == ((1, 1), (1, 1))
    # As the admin or a deletion would: the whole table's version changes.
    Notification.objects.filter(recipient=anact_reader).update(read_at=TODAY_NOON)
    assert (bell(reader), bell(coordinator)) == ((0, 1), (1, 1))


def test_a_person_whose_organisation_leaves_the_agreement_stops_counting_its_notifications(
    scene, anact, anact_reader
):
    reader = logged_in(anact_reader)
    notify("status_changed", Action.objects.get(), None, [anact_reader])
    assert bell(reader) == (1, 1)
    assert bell(reader) == (1, 0)
    AgreementParty.objects.filter(organisation=anact).update(status="declined")
    assert bell(reader) == (0, 1)


def test_writes_said_to_be_for_some_rows_change_only_those_rows_versions(
    agreement, anact_reader, anact_coordinator
):
    notifications = Notification._meta.db_table
    mine = fragments.part(Notification, "recipient", anact_reader.pk)
    theirs = fragments.part(Notification, "recipient", anact_coordinator.pk)
    before = versions(notifications, mine, theirs, PROGRAMMES)
    with fragments.written_for(Notification, "recipient", [anact_reader.pk]):
        Notification.objects.create(
            recipient=anact_reader, kind="status_changed", agreement=agreement
        )
        ProgrammeFactory(agreement=agreement, year=2027)  # another table: as usual
    after = versions(notifications, mine, theirs, PROGRAMMES)
    assert after[mine] != before[mine]
    assert after[PROGRAMMES] != before[PROGRAMMES]
    assert (after[theirs], after[notifications]) == (before[theirs], before[notifications])
    # One claim at a time on a table: a second one would hide what the first said.
    with (
        pytest.raises(RuntimeError, match="already"),
        fragments.written_for(Notification, "recipient", [anact_reader.pk]),
        fragments.written_for(Notification, "recipient", [anact_coordinator.pk]),
    ):
        pass
    Notification.objects.filter(recipient=anact_coordinator).delete()  # the claims are gone
    assert versions(notifications)[notifications] != before[notifications]


def test_the_release_is_read_when_the_application_loads_not_on_a_worker_s_first_page():
    """gunicorn preloads ``partnership.wsgi`` before it forks its workers: reading the code's
    files there (about 30 ms) spares every worker's first page."""
    code = (
        "import partnership.wsgi\n"
        "from partnership.core import fragments\n"
        "print(fragments.release.cache_info().currsize)"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "partnership.settings", "DEBUG": "true"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert loaded.stdout.strip() == "1"


def sections_kept(browser):
    page = browser.get(reverse("home"))
    assert page.status_code == 200
    return re.search(r'desc="(\d)/5 kept"', page["Server-Timing"])[1] + "/5", page.content.decode()


def test_an_action_s_edit_draws_again_only_the_sections_of_those_who_see_its_agreement(
    two_agreements, anact_coordinator, inrs_reader, outsider, administrator
):
    """The edit page says its writes are its agreement's (``fragments.written_for``): the
    dashboards of people who see only another agreement keep their sections."""
    action, elsewhere = two_agreements["AC-ANACT-INRS"], two_agreements["AC-ANACT-CNAV"]
    browsers = {
        "inrs": logged_in(inrs_reader),
        "cnav": logged_in(outsider),
        "admin": logged_in(administrator),
    }
    for browser in browsers.values():
        sections_kept(browser)
        assert sections_kept(browser)[0] == "5/5"

    editor = logged_in(anact_coordinator)
    path = reverse("action_update", args=[action.pk])
    data = form_data(editor.get(path))
    data["title"] = "Guide TMS révisé"
    assert editor.post(path, data).status_code == 302

    # Its programmes, deliverables and recent changes drawn again where its agreement is seen.
    kept, page = sections_kept(browsers["inrs"])
    assert (kept, "Guide TMS révisé" in page) == ("2/5", True)
    assert sections_kept(browsers["admin"])[0] == "2/5"  # every agreement's
    kept, page = sections_kept(browsers["cnav"])
    assert (kept, "Guide TMS révisé" in page) == ("5/5", False)

    # A write that does not say whose rows it writes draws them again for everyone.
    Action.objects.filter(pk=elsewhere.pk).update(title="Bruit révisé")
    assert sections_kept(browsers["cnav"])[0] == sections_kept(browsers["inrs"])[0] == "2/5"


def test_writes_cannot_be_said_to_be_for_rows_of_a_table_not_followed_by_that_field():
    with (
        pytest.raises(ValueError, match="partnership_programme"),
        fragments.written_for(Programme, "agreement", [1]),
    ):
        pass
    with (
        pytest.raises(ValueError, match="partnership_notification"),
        fragments.written_for(Notification, "agreement", [1]),
    ):
        pass
