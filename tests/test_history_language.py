"""A history is stored as data and worded when it is read, in the reader's language.

The same records, read by a French-speaking person and by an English-speaking one (the
language of their staff profile), show each one its own language: the fields' labels, the
statuses' labels, the reasons of the changes, dates and numbers in their own formats, French
typography (a non-breaking space before a colon) only in French.
"""

import datetime
import re
from importlib import import_module

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from partnership.core import reasons
from partnership.meetings.models import Meeting
from partnership.meetings.services import (
    action_review_record,
    meeting_approve_minutes,
    meeting_hold,
)
from partnership.programmes.models import Action, ActionResource
from partnership.programmes.services import action_transition
from tests.factories import ActionFactory, MeetingFactory, ProgrammeFactory

pytestmark = pytest.mark.django_db

NBSP = "\u00a0"
STARTS = datetime.datetime(2026, 3, 12, 9, 30, tzinfo=datetime.UTC)


@pytest.fixture
def english_reader(anact_reader):
    anact_reader.profile.language = "en"
    anact_reader.profile.save()
    return anact_reader


@pytest.fixture
def french_reader(anact_contributor):
    return anact_contributor  # French, as every account unless the person chose otherwise


@pytest.fixture
def worked(agreement, anact, anact_coordinator):
    """An action planned, given a new end date and a resource whose budget changes, reviewed
    at a meeting that moves it on, then completed; the meeting held and its minutes approved."""
    action = ActionFactory(
        programme=ProgrammeFactory(agreement=agreement, year=2026),
        title="Prévention des TMS",
        lead_organisation=anact,
        planned_end=datetime.date(2026, 6, 30),
    )
    action.planned_end = datetime.date(2026, 12, 1)
    action._history_user = anact_coordinator
    action.save()
    resource = ActionResource.objects.create(action=action, organisation=anact, budget="12500.50")
    resource.budget = "14000.75"
    resource.save()
    meeting = MeetingFactory(
        agreement=agreement,
        title="Comité de pilotage de mars",
        starts_at=STARTS,
        ends_at=STARTS + datetime.timedelta(hours=2),
        minutes="Relevé des décisions.",
    )
    action_review_record(
        meeting=meeting,
        action=action,
        user=anact_coordinator,
        status=Action.Status.IN_PROGRESS,
        progress=40,
    )
    action_transition(action=action, user=anact_coordinator, name="complete")
    meeting_hold(meeting=meeting, user=anact_coordinator)
    meeting_approve_minutes(meeting=meeting, user=anact_coordinator)
    return action, meeting


def _history(client, person, obj):
    client.force_login(person)
    url = reverse(f"{obj._meta.model_name}_history", kwargs={"pk": obj.pk})
    return client.get(url).content.decode()


def test_the_reasons_are_stored_as_codes_not_sentences(worked):
    action, meeting = worked

    stored = [reasons.parse(r.history_change_reason) for r in action.history.all()]
    assert {"code": "status", "previous": "in_progress", "new": "completed"} in stored
    assert {
        "code": "status",
        "previous": "planned",
        "new": "in_progress",
        "reviewed": "Comité de pilotage de mars",
    } in stored
    assert reasons.parse(meeting.history.first().history_change_reason) == {
        "code": "status",
        "previous": "held",
        "new": "minutes_approved",
    }


def test_a_french_reader_reads_the_history_in_french(client, worked, french_reader):
    action, meeting = worked

    html = _history(client, french_reader, action)

    assert f"Statut{NBSP}: en cours → terminée" in html
    assert (
        f"Statut{NBSP}: prévue → en cours"
        f" (Examinée lors de la réunion «{NBSP}Comité de pilotage de mars{NBSP}»)"
    ) in html
    assert f"Fin prévue{NBSP}: <del" in html
    assert re.search(r"<del[^>]*>30/06/2026</del> → <ins>01/12/2026</ins>", html)
    spaced = html.replace(NBSP, " ").replace("\u202f", " ")
    assert re.search(r"<del[^>]*>12 500,50</del> → <ins>14 000,75</ins>", spaced)
    assert "Status:" not in html and "completed" not in html

    html = _history(client, french_reader, meeting)
    assert f"Statut{NBSP}: tenue → compte rendu approuvé" in html


def test_an_english_reader_reads_the_same_history_in_english(client, worked, english_reader):
    action, meeting = worked

    html = _history(client, english_reader, action)

    assert "Status: in progress → completed" in html
    assert (
        "Status: planned → in progress (Reviewed at the meeting “Comité de pilotage de mars”)"
        in html
    )
    assert "Planned end: <del" in html
    assert re.search(r"<del[^>]*>30/06/2026</del> → <ins>01/12/2026</ins>", html)
    assert re.search(r"<del[^>]*>12,500.50</del> → <ins>14,000.75</ins>", html)
    # The moments of the entries in English: "12 March 2026, 10:30", never "à".
    assert re.search(r">\d{1,2} [A-Z][a-z]+ \d{4}, \d{2}:\d{2}</time>", html)
    for french in ("Statut", "terminée", "Fin prévue", " : ", f"{NBSP}:", " à "):
        assert french not in html, french

    html = _history(client, english_reader, meeting)
    assert "Status: held → minutes approved" in html
    assert "Statut" not in html and "tenue" not in html


def test_a_restored_version_names_its_date_in_the_reader_s_format(anact):
    moment = datetime.datetime(2026, 3, 12, 9, 30, tzinfo=datetime.UTC)  # 10:30 in Paris
    stored = reasons.reason("restored_version", date=moment.isoformat())

    with translation.override("fr"):
        assert reasons.word(stored, Action) == "Restauration de la version du 12/03/2026 10:30"
    with translation.override("en"):
        assert reasons.word(stored, Action) == "Restored the version of 12/03/2026 10:30"


def test_the_dashboard_words_the_reasons_in_the_reader_s_language(client, worked, english_reader):
    client.force_login(english_reader)

    html = client.get(reverse("home")).content.decode()

    assert "Status: held → minutes approved" in html
    assert "Statut" not in html


def test_a_person_s_own_words_are_kept_whole_and_never_translated():
    words = "Erreur dans le relevé des décisions, page 2 : " + "x" * 80
    stored = reasons.reason("status", previous="minutes_approved", new="held", why=words)

    with translation.override("en"):
        assert reasons.word(stored, Meeting) == f"Status: minutes approved → held ({words})"


def test_a_very_long_name_is_shortened_to_fit():
    stored = reasons.reason("deleted_with", record="partnership.meeting", name="n" * 1000)

    assert len(stored) <= reasons.MAX_LENGTH
    with translation.override("en"):
        assert reasons.word(stored).startswith("Deleted with meeting “nnn")


def test_an_unknown_text_is_shown_as_it_is():
    assert reasons.word("Import du 3 mars") == "Import du 3 mars"
    assert reasons.word('{"code": "nothing"}') == '{"code": "nothing"}'
    assert reasons.word(None) == ""


# The sentences stored before codes, converted by the migration ------------------------------


@pytest.mark.parametrize(
    ("sentence", "model", "expected"),
    [
        (
            f"Statut{NBSP}: tenue → compte rendu approuvé",
            Meeting,
            {"code": "status", "previous": "held", "new": "minutes_approved"},
        ),
        (  # written before the non-breaking spaces
            "Statut : tenue → compte rendu approuvé",
            Meeting,
            {"code": "status", "previous": "held", "new": "minutes_approved"},
        ),
        (
            "Status: held → minutes approved",
            Meeting,
            {"code": "status", "previous": "held", "new": "minutes_approved"},
        ),
        (
            f"Statut{NBSP}: compte rendu approuvé → tenue (Coquille page 2)",
            Meeting,
            {
                "code": "status",
                "previous": "minutes_approved",
                "new": "held",
                "why": "Coquille page 2",
            },
        ),
        (
            f"Statut{NBSP}: prévue → en cours (Examinée lors de la réunion «{NBSP}Copil{NBSP}»)",
            Action,
            {"code": "status", "previous": "planned", "new": "in_progress", "reviewed": "Copil"},
        ),
        (
            "Examinée lors de la réunion « Copil »",
            Action,
            {"code": "reviewed", "meeting": "Copil"},
        ),
        ("Invitation acceptée", None, {"code": "invitation_accepted"}),
        ("Reconduite de 2025", Action, {"code": "carried_over", "year": 2025}),
        (
            f"Supprimé avec réunion «{NBSP}Copil{NBSP}»",
            ActionResource,
            {"code": "deleted_with", "record": "partnership.meeting", "name": "Copil"},
        ),
        ("Une phrase libre", Action, None),
        ("Statut : inconnu → tenue", Meeting, None),
    ],
)
def test_sentences_stored_before_are_read_back_into_codes(sentence, model, expected):
    stored = reasons.from_legacy(sentence, model)

    assert (reasons.parse(stored) if stored else None) == expected


def test_the_migration_converts_the_stored_sentences(worked, anact_coordinator):
    action, meeting = worked
    record = meeting.history.first()
    meeting.history.filter(pk=record.pk).update(
        history_change_reason="Statut : tenue → compte rendu approuvé"
    )
    free = action.history.first()
    action.history.filter(pk=free.pk).update(history_change_reason="Saisie de reprise")
    restored_at = timezone.make_aware(datetime.datetime(2026, 3, 12, 10, 30))
    action.history.filter(pk=action.history.last().pk).update(
        history_change_reason="Restauration de la version du 12/03/2026 10:30"
    )
    migration = import_module("partnership.migrations.0012_history_reasons_as_data")
    from django.apps import apps

    migration.reasons_as_data(apps, None)

    record.refresh_from_db()
    assert reasons.parse(record.history_change_reason) == {
        "code": "status",
        "previous": "held",
        "new": "minutes_approved",
    }
    free.refresh_from_db()
    assert free.history_change_reason == "Saisie de reprise"
    oldest = action.history.last()
    assert reasons.parse(oldest.history_change_reason) == {
        "code": "restored_version",
        "date": restored_at.isoformat(),
    }


def test_a_percentage_is_written_the_reader_s_way(client, worked, french_reader, english_reader):
    action, _meeting = worked
    client.force_login(english_reader)
    english = client.get(action.get_absolute_url()).content.decode()
    client.force_login(french_reader)
    french = client.get(action.get_absolute_url()).content.decode()

    assert '<span class="small">100%</span>' in english
    assert f'<span class="small">100{NBSP}%</span>' in french


def test_the_back_office_history_words_the_reasons_too(client, worked, administrator):
    _action, meeting = worked
    client.force_login(administrator)

    url = reverse("admin:partnership_meeting_history", args=[meeting.pk])
    html = client.get(url).content.decode()

    assert f"Statut{NBSP}: tenue → compte rendu approuvé" in html
    assert '{"code"' not in html and "{&quot;code" not in html
