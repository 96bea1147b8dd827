"""The printable minutes of a meeting in a real browser: on screen, then as printed (no
navigation, no form, no button), with the sections the person chooses; and the agenda
arranged with the move buttons, without JavaScript.

Headless Debian chromium through Playwright (tests/browser.py). The screenshots go to
pytest's temporary folder, under ``screenshots/``.
"""

import datetime

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from partnership.models import Action, Meeting, Participant
from tests.browser import assert_no_horizontal_overflow, chromium, log_in  # noqa: F401
from tests.factories import (
    PASSWORD,
    ActionFactory,
    ActionReviewFactory,
    AgendaItemFactory,
    ContactFactory,
    DecisionFactory,
    FollowUpTaskFactory,
    MeetingFactory,
    ParticipantFactory,
    ProgrammeFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)


def _open_as(chromium, live_server, user, width=1280, javascript=True):  # noqa: F811
    """A logged-in page in a new browser context (closed with ``page.context.close()``)."""
    context = chromium.new_context(
        locale="fr-FR",
        viewport={"width": width, "height": 900},
        java_script_enabled=javascript,
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    log_in(page, live_server, user.username, PASSWORD)
    page.wait_for_url(f"{live_server.url}/")
    return page


START = datetime.datetime(2026, 3, 12, 9, 0, tzinfo=datetime.UTC)  # 10:00 in Paris
MINUTES = """## Synthèse

Les parties valident le **programme 2026** et le calendrier des publications.

- Le guide TMS paraît en *septembre* ;
- le colloque RPS est fixé au 14 octobre.

> Prochain comité : juin 2026.

Voir [le site de l’Anact](https://www.anact.fr).
"""


@pytest.fixture
def meeting(agreement, anact, inrs, anact_coordinator, inrs_coordinator, anact_contributor):
    programme = ProgrammeFactory(agreement=agreement, year=2026)
    guide = ActionFactory(
        programme=programme,
        title="Guide de prévention des TMS dans l’aide à domicile",
        lead_organisation=anact,
        status=Action.Status.IN_PROGRESS,
        progress=60,
    )
    colloquium = ActionFactory(
        programme=programme,
        title="Colloque national sur les risques psychosociaux",
        lead_organisation=inrs,
        status=Action.Status.IN_PROGRESS,
        progress=35,
    )
    meeting = MeetingFactory(
        agreement=agreement,
        title="Comité de pilotage de mars",
        kind=Meeting.Kind.STEERING_COMMITTEE,
        starts_at=START,
        ends_at=START + datetime.timedelta(hours=3),
        place="Lyon, siège de l’Anact",
        status=Meeting.Status.HELD,
        minutes=MINUTES,
    )
    ParticipantFactory(
        meeting=meeting, user=anact_coordinator, role=Participant.Role.CHAIR, attendance="present"
    )
    ParticipantFactory(meeting=meeting, user=inrs_coordinator, attendance="present")
    ParticipantFactory(
        meeting=meeting,
        user=anact_contributor,
        role=Participant.Role.SECRETARY,
        attendance="present",
    )
    ParticipantFactory(
        meeting=meeting,
        user=None,
        contact=ContactFactory(first_name="Jeanne", last_name="Durand"),
        attendance="excused",
    )
    for position, (title, action) in enumerate(
        [
            ("Accueil et approbation du relevé précédent", None),
            (guide.title, guide),
            (colloquium.title, colloquium),
            ("Questions diverses", None),
        ],
        start=1,
    ):
        AgendaItemFactory(meeting=meeting, title=title, action=action, position=position)
    ActionReviewFactory(
        meeting=meeting, action=guide, progress=60, comment="Maquette en relecture."
    )
    ActionReviewFactory(
        meeting=meeting, action=colloquium, progress=35, comment="Programme à finaliser."
    )
    DecisionFactory(meeting=meeting, text="Le guide TMS paraît en septembre 2026.")
    DecisionFactory(meeting=meeting, text="Le colloque RPS a lieu le 14 octobre à Paris.")
    FollowUpTaskFactory(
        meeting=meeting,
        title="Envoyer la maquette du guide aux relecteurs",
        owner=anact_contributor,
        due_on=datetime.date(2026, 4, 15),
    )
    return meeting


def test_printable_minutes_look_like_a_document_on_screen_and_on_paper(
    chromium,  # noqa: F811
    live_server,
    meeting,
    anact_reader,
    tmp_path,
):
    screenshots = tmp_path / "screenshots"
    screenshots.mkdir()
    page = _open_as(chromium, live_server, anact_reader)
    page.goto(live_server.url + meeting.get_absolute_url())
    print_url = reverse("meeting_minutes_print", args=[meeting.pk])
    page.locator(f"a[href='{print_url}']").click()
    page.wait_for_url(live_server.url + print_url)

    document = page.locator("article.minutes-document")
    expect(document).to_be_visible()
    expect(document.locator("h2")).to_have_count(6)
    expect(page.locator("[data-print]")).to_be_visible()  # shown by print.js
    assert "10:00" in document.inner_text()
    assert document.locator(".minutes-text strong", has_text="programme 2026").is_visible()
    page.screenshot(path=screenshots / "minutes-screen.png", full_page=True)

    page.emulate_media(media="print")
    assert not page.locator("header nav").is_visible()
    assert not page.locator("form.minutes-chooser").is_visible()
    assert not page.locator("footer").is_visible()
    assert document.is_visible()
    page.screenshot(path=screenshots / "minutes-print.png", full_page=True)
    (screenshots / "minutes-print.pdf").write_bytes(page.pdf(format="A4"))

    page.emulate_media(media="screen")
    page.locator("#section-participants").uncheck()
    page.locator("#section-reviews").uncheck()
    page.locator("form.minutes-chooser button[type='submit']").click()
    page.wait_for_url("**chosen=1**")
    expect(document.locator("h2")).to_have_count(4)
    assert page.locator("#print-participants").count() == 0
    assert page.locator("#print-reviews").count() == 0
    page.context.close()


def test_printable_minutes_fit_a_phone(
    chromium,  # noqa: F811
    live_server,
    meeting,
    anact_reader,
    tmp_path,
):
    page = _open_as(chromium, live_server, anact_reader, width=390)
    page.goto(live_server.url + reverse("meeting_minutes_print", args=[meeting.pk]))
    expect(page.locator("article.minutes-document")).to_be_visible()
    page.screenshot(path=tmp_path / "minutes-phone.png", full_page=True)
    assert_no_horizontal_overflow(page)
    page.context.close()


def test_coordinator_arranges_the_agenda_without_javascript(
    chromium,  # noqa: F811
    live_server,
    meeting,
    anact_coordinator,
    tmp_path,
):
    Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.PLANNED)
    page = _open_as(chromium, live_server, anact_coordinator, javascript=False)
    try:
        page.goto(live_server.url + meeting.get_absolute_url())
        page.locator("#agenda").screenshot(path=tmp_path / "agenda.png")
        last = meeting.agenda_items.order_by("position").last()
        page.locator(f"form[action='{reverse('agendaitem_up', args=[last.pk])}'] button").click()
        page.wait_for_url("**#agenda")
        titles = list(meeting.agenda_items.order_by("position").values_list("title", flat=True))
        assert titles[-2] == "Questions diverses"
        first = meeting.agenda_items.order_by("position").first()
        page.locator(
            f"form[action='{reverse('agendaitem_remove', args=[first.pk])}'] button"
        ).click()
        page.wait_for_url("**#agenda")
        assert not meeting.agenda_items.filter(pk=first.pk).exists()
    finally:
        page.context.close()
