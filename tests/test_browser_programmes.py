"""The programme views in a real browser: the timeline renders, fits and prints."""

import datetime
import os
from pathlib import Path

import pytest
from django.utils import timezone

from partnership.models import Action, Meeting
from tests.browser import assert_no_horizontal_overflow, chromium, log_in  # noqa: F401
from tests.factories import (
    ActionFactory,
    DeliverableFactory,
    MeetingFactory,
    ProgrammeFactory,
    ThemeFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)

SCREENSHOTS = Path(os.environ.get("SCREENSHOTS_DIR", "/tmp/screenshots"))


@pytest.fixture(name="page")
def browser_page(chromium):  # noqa: F811  (tests.browser's own, until conftest holds it)
    context = chromium.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def programme(agreement, anact, inrs):
    today = timezone.localdate()
    programme = ProgrammeFactory(
        agreement=agreement, year=today.year, title=f"Programme de travail commun {today.year}"
    )
    tms = ThemeFactory(code="tms", name="Troubles musculo-squelettiques")
    rows = [
        ("Guide commun de prévention des TMS", anact, "in_progress", 60, (2, 1), (11, 30)),
        ("Colloque « Le travail dans 40 ans »", inrs, "planned", 0, (10, 1), (12, 15)),
        ("Évaluation conjointe des actions TMS-RPS", anact, "completed", 100, (1, 10), (6, 30)),
        ("Module de formation RPS et télétravail", inrs, "postponed", 20, (3, 1), (9, 30)),
        ("Webinaire QVT", anact, "cancelled", 10, (4, 1), (5, 15)),
        ("Groupe de prospective", inrs, "in_progress", 45, None, None),
    ]
    for title, lead, status, progress, start, end in rows:
        action = ActionFactory(
            programme=programme,
            title=title,
            lead_organisation=lead,
            theme=tms,
            status=status,
            progress=progress,
            planned_start=datetime.date(today.year, *start) if start else None,
            planned_end=datetime.date(today.year, *end) if end else None,
        )
        if start:
            DeliverableFactory(
                action=action,
                title=f"Livrable – {title}",
                due_on=datetime.date(today.year, *end) - datetime.timedelta(days=20),
                delivered_on=datetime.date(today.year, *start) + datetime.timedelta(days=30)
                if status == Action.Status.COMPLETED
                else None,
            )
    now = timezone.now()
    MeetingFactory(
        agreement=agreement,
        title="Comité de pilotage",
        status=Meeting.Status.HELD,
        starts_at=now - datetime.timedelta(minutes=5),
        ends_at=now + datetime.timedelta(hours=2),
    )
    return programme


def test_timeline_renders_on_screen_and_prints(
    page, live_server, programme, anact_reader, password
):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    log_in(page, live_server, "anact.lecteur", password)
    page.goto(f"{live_server.url}/programmes/{programme.pk}/frise/")
    timeline = page.locator("svg.timeline")
    assert timeline.is_visible()
    assert page.locator("svg.timeline .timeline-bar").count() == 5  # one has no dates
    assert page.locator("svg.timeline .timeline-milestone").count() == 5
    assert page.locator("svg.timeline .timeline-today").count() == 1
    # The bars take their colour from the stylesheet (CSP: no inline style).
    fill = page.locator("svg.timeline .timeline-bar.bar-in_progress").first.evaluate(
        "element => getComputedStyle(element).fill"
    )
    assert fill == "rgb(47, 125, 85)"
    box = timeline.bounding_box()
    assert box["width"] > 900
    assert_no_horizontal_overflow(page)
    page.screenshot(path=str(SCREENSHOTS / "programme-timeline.png"), full_page=True)

    page.emulate_media(media="print")
    assert not page.locator("header nav").is_visible()
    assert not page.locator(".programme-views").is_visible()
    assert timeline.is_visible()
    page.screenshot(path=str(SCREENSHOTS / "programme-timeline-print.png"), full_page=True)
    page.pdf(path=str(SCREENSHOTS / "programme-timeline.pdf"), print_background=True)


def test_timeline_scrolls_inside_its_card_on_a_phone(
    page, live_server, programme, anact_reader, password
):
    page.set_viewport_size({"width": 390, "height": 800})
    log_in(page, live_server, "anact.lecteur", password)
    page.goto(f"{live_server.url}/programmes/{programme.pk}/frise/")
    assert page.locator("svg.timeline").is_visible()
    assert_no_horizontal_overflow(page)


def test_report_and_calendar_render(page, live_server, programme, anact_reader, password):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    log_in(page, live_server, "anact.lecteur", password)
    page.goto(f"{live_server.url}/programmes/{programme.pk}/rapport/")
    assert page.locator(".report-chart").count() == 4
    assert_no_horizontal_overflow(page)
    page.screenshot(path=str(SCREENSHOTS / "programme-report.png"), full_page=True)
    page.goto(f"{live_server.url}/rendez-vous/calendrier/")
    assert page.locator("table.meeting-calendar").is_visible()
    assert page.locator(".calendar-meeting").count() == 1
    page.screenshot(path=str(SCREENSHOTS / "meeting-calendar.png"), full_page=True)


def test_a_party_approves_the_proposed_programme_through_its_confirmation_page(
    page, live_server, programme, anact_coordinator, inrs_coordinator, password
):
    from partnership.programmes.services import programme_approve, programme_propose

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    programme_propose(programme=programme, user=anact_coordinator)
    programme_approve(programme=programme, user=anact_coordinator)
    log_in(page, live_server, "inrs.coordinateur", password)
    page.goto(f"{live_server.url}/programmes/{programme.pk}/")
    approvals = page.locator(".programme-approvals")
    assert approvals.locator("li").count() == 2
    page.screenshot(path=str(SCREENSHOTS / "programme-approvals.png"), full_page=True)
    page.locator(f'a[href="/programmes/{programme.pk}/approuver/"]').first.click()
    page.wait_for_url(f"{live_server.url}/programmes/{programme.pk}/approuver/")
    page.get_by_label("Adopté lors de la réunion").select_option(index=1)
    page.screenshot(path=str(SCREENSHOTS / "programme-approve.png"), full_page=True)
    page.locator("form button[type=submit].btn-primary").click()
    page.wait_for_url(f"{live_server.url}/programmes/{programme.pk}/")
    programme.refresh_from_db()
    assert programme.status == "adopted"


@pytest.mark.parametrize("width", [1280, 390])
def test_a_party_that_approved_sees_why_it_cannot_approve_or_adopt(
    chromium,  # noqa: F811
    live_server,
    programme,
    anact_coordinator,
    password,
    width,
):
    from partnership.programmes.services import programme_approve, programme_propose
    from tests.browser import logged_in_page

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    programme_propose(programme=programme, user=anact_coordinator)
    programme_approve(programme=programme, user=anact_coordinator)
    page = logged_in_page(chromium, live_server, "anact.coordinateur", password, width=width)
    page.goto(f"{live_server.url}/programmes/{programme.pk}/")
    adopt = page.get_by_role("button", name="Adopter")
    assert adopt.is_disabled()
    # The reason is the button's description, read with it by a screen reader.
    assert adopt.evaluate(
        "b => document.getElementById(b.getAttribute('aria-describedby')).textContent"
    ) == ("En attente de l’approbation\u00a0: INRS.")
    approve = page.get_by_role("button", name="Approuver")
    assert approve.is_disabled()
    assert page.get_by_text("Approbation déjà donnée\u00a0: Anact.").is_visible()
    assert_no_horizontal_overflow(page)
    page.screenshot(path=str(SCREENSHOTS / f"programme-waiting-{width}.png"), full_page=True)
    assert page.errors == []
    page.context.close()
