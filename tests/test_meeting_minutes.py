"""The minutes of a meeting: written in Markdown and shown sanitised, approved (then the
meeting is read-only) and reopened by a coordinator with a recorded reason; printed with
the sections the person chooses. And the reviews recorded at the meeting in each action's
timeline."""

import datetime

import pytest
from django.urls import reverse

from partnership.core import pdf
from partnership.core.markup import render_markdown
from partnership.models import Action, Meeting, Participant
from tests.factories import (
    ActionFactory,
    ActionReviewFactory,
    AgendaItemFactory,
    ContactFactory,
    DecisionFactory,
    FollowUpTaskFactory,
    MeetingFactory,
    ParticipantFactory,
    ProgrammeFactory,
    StaffProfileFactory,
    UserFactory,
)

START = datetime.datetime(2026, 3, 12, 9, 0, tzinfo=datetime.UTC)  # 10:00 in Paris


@pytest.fixture
def meeting(agreement):
    return MeetingFactory(
        agreement=agreement,
        title="Comité de pilotage de mars",
        kind=Meeting.Kind.STEERING_COMMITTEE,
        starts_at=START,
        ends_at=START + datetime.timedelta(hours=2),
        status=Meeting.Status.HELD,
        minutes="## Synthèse\n\nLes parties valident le **programme**.",
    )


@pytest.fixture
def action(agreement, anact):
    programme = ProgrammeFactory(agreement=agreement, year=2026)
    return ActionFactory(programme=programme, title="Guide TMS", lead_organisation=anact)


# Markdown, sanitised -------------------------------------------------------------------------

NASTY = [
    "<script>alert('script')</script>",
    '<img src="x" onerror="alert(\'img\')">',
    "[clic](javascript:alert('link'))",
    "<a href=\"JaVaScRiPt:alert('case')\">k</a>",
    '<a href="#" onclick="alert(\'click\')">c</a>',
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '<iframe src="https://example.org"></iframe>',
    "<p style=\"background:url('javascript:alert(1)')\">s</p>",
    "<svg><script>alert('svg')</script></svg>",
    "<style>body{display:none}</style>",
    "<form action='https://evil.example'><input name=x></form>",
]


@pytest.mark.parametrize("text", NASTY)
def test_minutes_cannot_carry_a_script_an_event_handler_or_a_dangerous_link(text):
    html = render_markdown(text).lower()
    for forbidden in (
        "<script",
        "onerror",
        "onclick",
        "javascript:",
        "data:",
        "<iframe",
        "<img",
        "style=",
        "<style",
        "<svg",
        "<form",
        "<input",
    ):
        assert forbidden not in html, (text, html)


def test_minutes_keep_their_structure_headings_under_the_page_and_safe_links():
    html = render_markdown(
        "# Relevé\n\n## Points\n\nLigne 1\nLigne 2\n\n- **TMS** et *RPS*\n- `code`\n\n"
        "> citation\n\n[Anact](https://www.anact.fr) [écrire](mailto:a@anact.fr) "
        "[fiche](/rendez-vous/1/)\n\n| Action | État |\n|---|---|\n| Guide | en cours |"
    )
    assert "<h3>Relevé</h3>" in html and "<h4>Points</h4>" in html
    assert "<h1" not in html and "<h2" not in html
    assert "Ligne 1<br>" in html
    assert "<li><strong>TMS</strong> et <em>RPS</em></li>" in html
    assert "<code>code</code>" in html and "<blockquote>" in html
    assert '<a href="https://www.anact.fr" rel="noopener noreferrer">Anact</a>' in html
    assert 'href="mailto:a@anact.fr"' in html and 'href="/rendez-vous/1/"' in html
    assert "<table>" in html and "<td>Guide</td>" in html


def test_empty_minutes_render_as_nothing():
    assert render_markdown("") == "" and render_markdown(None) == ""


def test_meeting_page_shows_minutes_formatted_and_harmless(client, meeting, anact_reader):
    # As the back office could store them: the edit form refuses HTML, the admin does not.
    Meeting.objects.filter(pk=meeting.pk).update(
        minutes="**Décidé** : <img src=x onerror=alert(1)> [voir](javascript:alert(2))"
    )
    client.force_login(anact_reader)
    html = client.get(meeting.get_absolute_url()).text
    assert "<strong>Décidé</strong>" in html
    assert "onerror" not in html and "javascript:alert" not in html


def test_coordinator_writes_the_minutes_in_markdown(client, meeting, anact_coordinator):
    client.force_login(anact_coordinator)
    page = client.get(reverse("meeting_update", args=[meeting.pk]))
    form = page.context["form"]
    # Every field as the page sent it (the version of the record included), then the minutes.
    data = {name: form[name].value() or "" for name in form.fields}
    data.update(
        {
            "starts_at": "2026-03-12T10:00",
            "ends_at": "2026-03-12T12:00",
            "working_group": "",
            "minutes": "### Décisions\n\n1. Guide validé\n2. Colloque en juin",
        }
    )
    for prefix in ("participants", "agenda"):
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": "0",
                f"{prefix}-INITIAL_FORMS": "0",
                f"{prefix}-MIN_NUM_FORMS": "0",
                f"{prefix}-MAX_NUM_FORMS": "1000",
            }
        )
    response = client.post(reverse("meeting_update", args=[meeting.pk]), data)
    assert response.status_code == 302
    html = client.get(meeting.get_absolute_url()).text
    assert "<ol>\n<li>Guide validé</li>" in html


# Approved minutes: read-only, reopened with a recorded reason -----------------------------


def test_approved_minutes_make_the_meeting_read_only_until_a_coordinator_reopens_them(
    client, meeting, action, anact_coordinator, anact_reader
):
    AgendaItemFactory(meeting=meeting, action=action, title=action.title)
    client.force_login(anact_coordinator)
    client.post(reverse("meeting_transition", args=[meeting.pk, "approve_minutes"]))
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.MINUTES_APPROVED
    assert meeting.minutes_approved_by == anact_coordinator
    item = meeting.agenda_items.get()
    for url in (
        reverse("meeting_update", args=[meeting.pk]),
        reverse("meeting_outcomes", args=[meeting.pk]),
        reverse("meeting_review", args=[meeting.pk]),
        reverse("agendaitem_create", args=[meeting.pk]),
        reverse("agendaitem_remove", args=[item.pk]),
    ):
        assert client.post(url, {"title": "Modifié"}).status_code == 403, url
    printed = client.get(reverse("meeting_minutes_print", args=[meeting.pk]))
    assert printed.context["object"].minutes_approved_by == anact_coordinator

    client.force_login(anact_reader)
    reopen = reverse("meeting_transition", args=[meeting.pk, "reopen"])
    assert client.post(reopen, {"reason": "Je veux corriger"}).status_code == 403

    client.force_login(anact_coordinator)
    client.post(reopen, {"reason": "Erreur dans le relevé des décisions"})
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.HELD
    assert meeting.minutes_approved_on is None and meeting.minutes_approved_by is None
    entry = meeting.history.first()
    assert entry.history_user == anact_coordinator
    assert "Erreur dans le relevé des décisions" in entry.history_change_reason
    page = client.get(meeting.get_absolute_url())
    assert "Erreur dans le relevé des décisions" in page.text  # in the page's history
    assert client.get(reverse("meeting_update", args=[meeting.pk])).status_code == 200


# Reviews in the action's timeline ------------------------------------------------------------


def test_review_recorded_at_the_meeting_appears_in_the_action_timeline(
    client, meeting, action, anact_coordinator
):
    client.force_login(anact_coordinator)
    client.post(
        reverse("meeting_review", args=[meeting.pk]),
        {"action": action.pk, "status": "in_progress", "progress": "45", "comment": "Maquette"},
    )
    action.refresh_from_db()
    assert (action.status, action.progress) == (Action.Status.IN_PROGRESS, 45)
    html = client.get(action.get_absolute_url()).text
    assert meeting.get_absolute_url() in html
    assert "Maquette" in html


# The printable minutes -----------------------------------------------------------------------

SECTION_IDS = {
    "participants": 'id="print-participants"',
    "agenda": 'id="print-agenda"',
    "reviews": 'id="print-reviews"',
    "decisions": 'id="print-decisions"',
    "follow_ups": 'id="print-follow-ups"',
    "minutes": 'id="print-minutes"',
}


def _full_meeting(meeting, action, anact_contributor):
    ParticipantFactory(
        meeting=meeting,
        user=anact_contributor,
        role=Participant.Role.SECRETARY,
        attendance="present",
    )
    AgendaItemFactory(meeting=meeting, title="Point sur le guide", action=action)
    ActionReviewFactory(meeting=meeting, action=action, comment="Maquette prête")
    DecisionFactory(meeting=meeting, text="Le guide paraît en septembre.")
    FollowUpTaskFactory(meeting=meeting, title="Relire la maquette", owner=anact_contributor)


def test_printable_minutes_show_every_section_by_default(
    client, meeting, action, anact_contributor, anact_reader
):
    _full_meeting(meeting, action, anact_contributor)
    client.force_login(anact_reader)
    response = client.get(reverse("meeting_minutes_print", args=[meeting.pk]))
    assert response.status_code == 200
    html = response.text
    for marker in SECTION_IDS.values():
        assert marker in html
    for text in (
        anact_contributor.get_full_name(),
        "Point sur le guide",
        "Maquette prête",
        "Le guide paraît en septembre.",
        "Relire la maquette",
        "<strong>programme</strong>",
        "<h4>Synthèse</h4>",
        "10:00",  # Paris time
    ):
        assert text in html, text
    assert 'media="print"' in html and "css/print.css" in html
    assert response.context["sections"] == set(SECTION_IDS)


def test_person_chooses_the_sections_to_print(
    client, meeting, action, anact_contributor, anact_reader
):
    _full_meeting(meeting, action, anact_contributor)
    client.force_login(anact_reader)
    response = client.get(
        reverse("meeting_minutes_print", args=[meeting.pk]),
        {"chosen": "1", "sections": ["decisions", "minutes"]},
    )
    html = response.text
    assert SECTION_IDS["decisions"] in html and SECTION_IDS["minutes"] in html
    for name in ("participants", "agenda", "reviews", "follow_ups"):
        assert SECTION_IDS[name] not in html
    assert "Maquette prête" not in html
    assert 'value="decisions" id="section-decisions" checked' in html
    assert 'value="agenda" id="section-agenda">' in html

    nothing = client.get(reverse("meeting_minutes_print", args=[meeting.pk]), {"chosen": "1"})
    assert nothing.context["sections"] == set()
    assert "Comité de pilotage de mars" in nothing.text  # the heading stays


def test_unknown_section_is_refused_and_everything_is_shown(client, meeting, anact_reader):
    client.force_login(anact_reader)
    response = client.get(
        reverse("meeting_minutes_print", args=[meeting.pk]),
        {"chosen": "1", "sections": ["decisions", "secrets"]},
    )
    assert response.status_code == 200
    assert "sections" in response.context["sections_form"].errors
    assert response.context["sections"] == set(SECTION_IDS)


def test_outsider_gets_404_on_the_printable_minutes(client, meeting, outsider):
    client.force_login(outsider)
    assert client.get(reverse("meeting_minutes_print", args=[meeting.pk])).status_code == 404


@pytest.mark.parametrize("rows", [1, 50])
def test_printable_minutes_query_count_does_not_grow(
    client, meeting, agreement, anact, anact_reader, django_assert_num_queries, rows
):
    programme = ProgrammeFactory(agreement=agreement, year=2026)
    for _ in range(rows):
        staff = UserFactory()
        StaffProfileFactory(user=staff, organisation=anact)
        ParticipantFactory(meeting=meeting, user=staff)
        ParticipantFactory(meeting=meeting, user=None, contact=ContactFactory())
        action = ActionFactory(programme=programme, lead_organisation=anact)
        AgendaItemFactory(meeting=meeting, action=action)
        ActionReviewFactory(meeting=meeting, action=action)
        DecisionFactory(meeting=meeting, agenda_item=AgendaItemFactory(meeting=meeting))
        FollowUpTaskFactory(meeting=meeting, owner=staff)
        FollowUpTaskFactory(meeting=meeting, owner_contact=ContactFactory())
    client.force_login(anact_reader)
    # session, user, staff profile, the meeting with its agreement and approver, the
    # agreement's parties (permission), participants with their people and organisations,
    # agenda items with their targets, reviews with their actions' lead organisations,
    # decisions with their items, follow-up tasks with their owners.
    # ... and the bell's unread count.
    with django_assert_num_queries(11):
        response = client.get(reverse("meeting_minutes_print", args=[meeting.pk]))
    assert response.status_code == 200
    assert len(response.context["tasks"]) == 2 * rows


# The minutes as a PDF file ------------------------------------------------------------------


def test_minutes_download_as_a_pdf_with_the_chosen_sections(
    client, meeting, action, anact_contributor, anact_reader, tmp_path
):
    if not pdf.available():
        pytest.skip("WeasyPrint cannot load Pango on this machine")
    _full_meeting(meeting, action, anact_contributor)
    Meeting.objects.filter(pk=meeting.pk).update(
        minutes="Voir ![schéma](https://example.org/x.png) et <img src='file:///etc/passwd'>"
    )
    client.force_login(anact_reader)
    page = client.get(reverse("meeting_minutes_print", args=[meeting.pk]), {"chosen": "1"})
    assert reverse("meeting_minutes_pdf", args=[meeting.pk]) in page.text

    response = client.get(
        reverse("meeting_minutes_pdf", args=[meeting.pk]),
        {"chosen": "1", "sections": ["decisions", "minutes"]},
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        'attachment; filename="compte-rendu-2026-03-12-comite-de-pilotage-de-mars.pdf"'
    )
    assert response.content.startswith(b"%PDF-")
    text = _pdf_text(response.content, tmp_path)
    if text is not None:
        assert "Le guide paraît en septembre." in text
        assert "Maquette prête" not in text  # the reviews were not chosen


def _pdf_text(content, tmp_path):
    """The text of a PDF through poppler's pdftotext, when the machine has it."""
    import shutil
    import subprocess

    if not shutil.which("pdftotext"):
        return None
    path = tmp_path / "minutes.pdf"
    path.write_bytes(content)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_the_pdf_link_carries_the_chosen_sections(client, meeting, anact_reader, monkeypatch):
    monkeypatch.setattr(pdf, "available", lambda: True)
    client.force_login(anact_reader)
    url = reverse("meeting_minutes_pdf", args=[meeting.pk])
    page = client.get(
        reverse("meeting_minutes_print", args=[meeting.pk]),
        {"chosen": "1", "sections": ["decisions", "minutes"]},
    )
    assert f'href="{url}?chosen=1&amp;sections=decisions&amp;sections=minutes"' in page.text
    page = client.get(reverse("meeting_minutes_print", args=[meeting.pk]))
    assert f'href="{url}"' in page.text


def test_without_weasyprint_the_pdf_link_is_hidden_and_the_address_leads_to_printing(
    client, meeting, anact_reader, monkeypatch
):
    monkeypatch.setattr(pdf, "available", lambda: False)
    client.force_login(anact_reader)
    page = client.get(reverse("meeting_minutes_print", args=[meeting.pk]))
    assert reverse("meeting_minutes_pdf", args=[meeting.pk]) not in page.text
    response = client.get(reverse("meeting_minutes_pdf", args=[meeting.pk]), {"chosen": "1"})
    assert response.status_code == 302
    assert response["Location"] == reverse("meeting_minutes_print", args=[meeting.pk]) + "?chosen=1"


def test_outsider_gets_404_on_the_pdf(client, meeting, outsider):
    client.force_login(outsider)
    assert client.get(reverse("meeting_minutes_pdf", args=[meeting.pk])).status_code == 404
