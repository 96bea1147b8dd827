"""The programme views people would rather look at: the timeline, the annual report, and the
meetings calendar by month."""

import datetime
import re

import pytest
from django.urls import reverse

from partnership.models import Action, Meeting
from partnership.overview import timeline
from tests import clock
from tests.factories import (
    ActionFactory,
    ActionResourceFactory,
    ActionReviewFactory,
    AgreementPartyFactory,
    DeliverableFactory,
    MeetingFactory,
    OrganisationFactory,
    ProgrammeFactory,
    SignedAgreementFactory,
    ThemeFactory,
)
from tests.test_dashboard import OVERDUE_BADGE

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 24)


@pytest.fixture
def today(time_machine):
    clock.freeze(time_machine, TODAY)
    return TODAY


@pytest.fixture
def programme(today, agreement):
    return ProgrammeFactory(agreement=agreement, year=2026, title="Programme commun 2026")


@pytest.fixture
def actions(programme, anact, inrs):
    tms = ThemeFactory(code="tms", name="Troubles musculo-squelettiques")
    guide = ActionFactory(
        programme=programme,
        title="Guide TMS commun",
        kind=Action.Kind.PUBLICATION,
        theme=tms,
        lead_organisation=anact,
        status=Action.Status.IN_PROGRESS,
        progress=50,
        planned_start=datetime.date(2025, 10, 1),  # began last year: the bar starts in January
        planned_end=datetime.date(2026, 6, 30),
    )
    DeliverableFactory(
        action=guide,
        title="Guide publié",
        due_on=datetime.date(2026, 6, 1),
        delivered_on=datetime.date(2026, 5, 28),
    )
    DeliverableFactory(action=guide, title="Fiche en retard", due_on=datetime.date(2026, 9, 1))
    DeliverableFactory(action=guide, title="Bilan à venir", due_on=datetime.date(2026, 12, 10))
    DeliverableFactory(action=guide, title="Hors de l’année", due_on=datetime.date(2027, 2, 1))
    colloquium = ActionFactory(
        programme=programme,
        title="Colloque prospective",
        kind=Action.Kind.CONFERENCE,
        lead_organisation=inrs,
        status=Action.Status.COMPLETED,
        progress=100,
        planned_start=datetime.date(2026, 3, 1),
        planned_end=datetime.date(2026, 3, 31),
    )
    DeliverableFactory(
        action=colloquium,
        title="Actes livrés en retard",
        due_on=datetime.date(2026, 4, 15),
        delivered_on=datetime.date(2026, 5, 2),
    )
    undated = ActionFactory(
        programme=programme,
        title="Groupe de travail sans dates",
        kind=Action.Kind.WORKING_GROUP,
        lead_organisation=inrs,
        planned_start=None,
        planned_end=None,
    )
    return {"guide": guide, "colloquium": colloquium, "undated": undated}


def _main(response):
    return response.text.split("<main", 1)[1].split("</main>")[0]


# The timeline ------------------------------------------------------------------------------


def test_timeline_draws_one_bar_per_dated_action_with_its_milestones(
    client, programme, actions, anact_reader
):
    client.force_login(anact_reader)
    response = client.get(reverse("programme_timeline", args=[programme.pk]))
    assert response.status_code == 200
    chart = response.context["timeline"]
    assert [group.label for group in chart.groups] == ["Anact", "INRS"]
    rows = {row.action.title: row for group in chart.groups for row in group.rows}
    guide, colloquium, undated = (
        rows["Guide TMS commun"],
        rows["Colloque prospective"],
        rows["Groupe de travail sans dates"],
    )
    assert undated.bar is None
    assert guide.starts_before and not guide.ends_after
    assert len(guide.arrows) == 1  # an arrow says the bar comes from last year
    assert guide.bar["x"] == f"{timeline.LABEL_WIDTH:.1f}"  # clipped to January 1st
    assert float(colloquium.bar["x"]) > float(guide.bar["x"])
    assert float(guide.progress_width) == pytest.approx(float(guide.bar["width"]) / 2, abs=0.1)
    # Delivered, overdue, to come; the one due next year is off the chart.
    assert [(m.title, m.state) for m in guide.milestones] == [
        ("Guide publié", "delivered"),
        ("Fiche en retard", "late"),
        ("Bilan à venir", "due"),
    ]
    assert [m.state for m in colloquium.milestones] == ["late"]
    # Today is marked, between the left and right edges of the months.
    assert float(chart.months[10]["x"]) < float(chart.today_x) < float(chart.chart_right)
    html = _main(response)
    assert html.count('class="timeline-bar bar-in_progress"') == 1
    assert html.count('class="timeline-bar bar-completed"') == 1
    assert 'class="timeline-today"' in html
    assert "style=" not in html
    assert "<script" not in html
    # The same dates as a table, for screen readers and for print.
    assert "Groupe de travail sans dates" in html.split('class="timeline-table"')[1]


def test_timeline_of_another_year_has_no_today_marker(client, agreement, actions, anact_reader):
    past = ProgrammeFactory(agreement=agreement, year=2024)
    ActionFactory(programme=past, title="Action de 2024", planned_start=datetime.date(2024, 2, 1))
    client.force_login(anact_reader)
    response = client.get(reverse("programme_timeline", args=[past.pk]))
    assert response.context["timeline"].today_x is None
    assert 'class="timeline-today"' not in response.text


def test_timeline_numbers_are_not_localised(client, programme, actions, anact_reader):
    """A French decimal comma in an SVG attribute would break the drawing."""
    client.force_login(anact_reader)
    html = _main(client.get(reverse("programme_timeline", args=[programme.pk])))
    svg = html.split("<svg", 1)[1].split("</svg>")[0]
    numbers = re.findall(r'\s(?:x|y|width|height|x1|x2|y1|y2)="([^"]*)"', svg)
    assert numbers
    assert all(re.fullmatch(r"\d+(\.\d+)?", value) for value in numbers), numbers
    points = re.findall(r'points="([^"]*)"', svg)
    assert points
    assert all(re.fullmatch(r"[\d.]+,[\d.]+( [\d.]+,[\d.]+){2,3}", value) for value in points)


def test_empty_programme_timeline_says_so(client, programme, anact_reader):
    client.force_login(anact_reader)
    response = client.get(reverse("programme_timeline", args=[programme.pk]))
    assert response.status_code == 200
    assert '<svg class="timeline"' not in response.text


def test_outsider_gets_404_on_the_timeline_and_report(client, programme, outsider):
    client.force_login(outsider)
    for name in ("programme_timeline", "programme_report"):
        assert client.get(reverse(name, args=[programme.pk])).status_code == 404


@pytest.mark.parametrize("rows", [1, 50])
def test_timeline_query_count_does_not_grow(
    client, programme, anact, inrs, anact_reader, django_assert_num_queries, rows
):
    for index in range(rows):
        action = ActionFactory(
            programme=programme, lead_organisation=anact if index % 2 else OrganisationFactory()
        )
        DeliverableFactory(action=action)
    client.force_login(anact_reader)
    # session, user, staff profile, the programme with its agreement, the agreement's
    # parties (permission), the actions with their lead organisation, their deliverables.
    # ... and the bell's unread count.
    with django_assert_num_queries(8):
        response = client.get(reverse("programme_timeline", args=[programme.pk]))
    assert response.context["timeline"].action_count == rows


# The annual report -------------------------------------------------------------------------


def test_report_counts_the_actions_and_deliverables_of_the_year(
    client, programme, actions, agreement, anact, inrs, anact_reader
):
    ActionResourceFactory(action=actions["guide"], organisation=anact, person_days=10, budget=100)
    ActionResourceFactory(action=actions["guide"], organisation=inrs, person_days=5, budget=50)
    held = MeetingFactory(
        agreement=agreement,
        title="Comité de mars",
        status=Meeting.Status.HELD,
        starts_at=datetime.datetime(2026, 3, 5, 9, tzinfo=datetime.UTC),
        ends_at=datetime.datetime(2026, 3, 5, 11, tzinfo=datetime.UTC),
    )
    ActionReviewFactory(action=actions["guide"], meeting=held)
    ActionReviewFactory(action=actions["colloquium"], meeting=held)
    # Not counted: planned, cancelled, of another year, of another agreement.
    MeetingFactory(agreement=agreement, title="À venir")
    MeetingFactory(agreement=agreement, title="Annulé", status=Meeting.Status.CANCELLED)
    MeetingFactory(
        agreement=agreement,
        title="L’an dernier",
        status=Meeting.Status.HELD,
        starts_at=datetime.datetime(2025, 12, 31, 22, 30, tzinfo=datetime.UTC),  # 23:30 Paris
        ends_at=datetime.datetime(2025, 12, 31, 23, 30, tzinfo=datetime.UTC),
    )
    MeetingFactory(title="Autre accord", status=Meeting.Status.HELD)

    client.force_login(anact_reader)
    response = client.get(reverse("programme_report", args=[programme.pk]))
    assert response.status_code == 200
    report = response.context["report"]
    assert report["action_total"] == 3
    assert report["finished"] == 1
    assert report["average_progress"] == 50  # (50 + 100 + 0) / 3
    assert {line.key: (line.count, line.percent) for line in report["by_status"]} == {
        "planned": (1, 33),
        "in_progress": (1, 33),
        "completed": (1, 33),
        "postponed": (0, 0),
        "cancelled": (0, 0),
    }
    assert [line.key for line in report["by_kind"]] == [
        "publication",
        "conference",
        "working_group",
    ]
    assert {line.label: line.count for line in report["by_lead"]} == {"Anact": 1, "INRS": 2}
    assert {line.label: line.count for line in report["by_theme"]}[
        "Troubles musculo-squelettiques"
    ] == 1
    states = {line.key: line.count for line in report["deliverable_states"]}
    assert states == {"delivered": 1, "delivered_late": 1, "overdue": 1, "upcoming": 2}
    assert {d.title for d in report["late_deliverables"]} == {
        "Fiche en retard",
        "Actes livrés en retard",
    }
    assert [m.title for m in report["meetings"]] == ["Comité de mars"]
    assert report["meetings"][0].review_count == 2
    assert report["total_person_days"] == 15
    assert report["total_budget"] == 150
    html = _main(response)
    assert "style=" not in html
    assert html.count('class="report-bar"') == 5 + 3 + 2 + 2
    # The one still not delivered carries the overdue warning; the one delivered late, its date.
    assert html.count("overdue-badge") == html.count(OVERDUE_BADGE) == 1
    assert reverse("programme_report_xlsx", args=[programme.pk]) in html
    assert reverse("programme_report_csv", args=[programme.pk]) in html


def test_report_of_an_empty_programme(client, programme, anact_reader):
    client.force_login(anact_reader)
    response = client.get(reverse("programme_report", args=[programme.pk]))
    assert response.status_code == 200
    assert response.context["report"]["action_total"] == 0
    assert response.context["report"]["average_progress"] == 0


@pytest.mark.parametrize("rows", [1, 50])
def test_report_query_count_does_not_grow(
    client, programme, agreement, anact, inrs, anact_reader, django_assert_num_queries, rows
):
    for _index in range(rows):
        action = ActionFactory(programme=programme, lead_organisation=inrs, theme=ThemeFactory())
        DeliverableFactory(action=action)
        ActionResourceFactory(action=action, organisation=OrganisationFactory())
        meeting = MeetingFactory(agreement=agreement, status=Meeting.Status.HELD)
        ActionReviewFactory(action=action, meeting=meeting)
    client.force_login(anact_reader)
    # session, user, staff profile, the programme with its agreement, the agreement's
    # parties (permission), the actions' values, the deliverables with their action, the
    # resources by organisation, the meetings held with their review counts.
    # ... and the bell's unread count.
    with django_assert_num_queries(10):
        response = client.get(reverse("programme_report", args=[programme.pk]))
    assert response.context["report"]["action_total"] == rows


def test_programme_page_links_its_views(client, programme, anact_reader):
    client.force_login(anact_reader)
    html = client.get(programme.get_absolute_url()).text
    assert reverse("programme_timeline", args=[programme.pk]) in html
    assert reverse("programme_report", args=[programme.pk]) in html


# The meetings calendar ------------------------------------------------------------------------


def _paris(year, month, day, hour, minute=0):
    return datetime.datetime(year, month, day, hour, minute, tzinfo=clock.PARIS)


def test_calendar_shows_the_month_with_the_meetings_one_may_see(
    client, today, agreement, outsider_organisation, anact_reader
):
    visible = MeetingFactory(
        agreement=agreement,
        title="Rendez-vous de suivi",
        starts_at=_paris(2026, 11, 3, 10),
        ends_at=_paris(2026, 11, 3, 12),
    )
    # Just after midnight in Paris on December 1st (still November 30th in UTC).
    late = MeetingFactory(
        agreement=agreement,
        title="Réunion tardive",
        starts_at=_paris(2026, 12, 1, 0, 30),
        ends_at=_paris(2026, 12, 1, 1, 30),
    )
    elsewhere = SignedAgreementFactory()
    AgreementPartyFactory(agreement=elsewhere, organisation=outsider_organisation)
    MeetingFactory(
        agreement=elsewhere,
        title="Réunion d’un autre accord",
        starts_at=_paris(2026, 11, 5, 10),
        ends_at=_paris(2026, 11, 5, 12),
    )
    client.force_login(anact_reader)
    response = client.get(reverse("meeting_month_calendar"), {"mois": "2026-11"})
    assert response.status_code == 200
    assert response.context["month"] == datetime.date(2026, 11, 1)
    weeks = response.context["weeks"]
    assert all(len(week) == 7 for week in weeks)
    assert weeks[0][0]["day"] == datetime.date(2026, 10, 26)  # weeks start on Monday
    cells = {cell["day"]: cell for week in weeks for cell in week}
    assert cells[datetime.date(2026, 11, 3)]["meetings"] == [visible]
    assert cells[datetime.date(2026, 12, 1)]["meetings"] == [late]
    assert not cells[datetime.date(2026, 12, 1)]["in_month"]
    assert cells[TODAY]["is_today"]
    assert response.context["meeting_count"] == 1
    html = _main(response)
    assert "Réunion d’un autre accord" not in html
    assert 'href="?mois=2026-10"' in html
    assert 'href="?mois=2026-12"' in html
    assert 'aria-current="date"' in html
    assert "style=" not in html


@pytest.mark.parametrize("value", ["", "2026-13", "novembre", "1999-01", "2026-1", "<script>"])
def test_calendar_with_a_bad_month_shows_this_month(client, today, anact_reader, value):
    client.force_login(anact_reader)
    response = client.get(reverse("meeting_month_calendar"), {"mois": value})
    assert response.status_code == 200
    assert response.context["month"] == datetime.date(2026, 11, 1)


def test_calendar_goes_from_december_to_january(client, today, anact_reader):
    client.force_login(anact_reader)
    response = client.get(reverse("meeting_month_calendar"), {"mois": "2026-12"})
    assert response.context["next_month"] == datetime.date(2027, 1, 1)
    assert response.context["previous_month"] == datetime.date(2026, 11, 1)


@pytest.mark.parametrize("rows", [1, 50])
def test_calendar_query_count_does_not_grow(
    client, today, agreement, anact_reader, django_assert_num_queries, rows
):
    for index in range(rows):
        start = _paris(2026, 11, 1 + index % 28, 9 + index % 8)
        MeetingFactory(
            agreement=agreement, starts_at=start, ends_at=start + datetime.timedelta(hours=1)
        )
    client.force_login(anact_reader)
    # session, user, staff profile, the meetings of the month with their agreement.
    # ... and the bell's unread count.
    with django_assert_num_queries(5):
        response = client.get(reverse("meeting_month_calendar"), {"mois": "2026-11"})
    assert response.context["meeting_count"] == rows


def test_the_meeting_list_leads_to_the_calendar(client, anact_reader):
    client.force_login(anact_reader)
    assert reverse("meeting_month_calendar") in client.get(reverse("meeting_list")).text
