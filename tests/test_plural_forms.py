"""Counts are written as people write them: "1 terminée", "2 terminées", "1 réunion tenue".

The pages that show a count with a noun or an agreeing adjective, at counts 1 and 2, and the
messages of the services and commands through the French catalogue.
"""

import datetime

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import ngettext

from partnership.models import Action, Meeting
from tests import clock
from tests.factories import ActionFactory, MeetingFactory, ProgrammeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def programme(time_machine, agreement):
    clock.freeze(time_machine, datetime.date(2026, 11, 24))
    return ProgrammeFactory(agreement=agreement, year=2026, title="Programme commun 2026")


def _words(response):
    return " ".join(response.content.decode().split())


@pytest.mark.parametrize("count", [1, 2])
def test_the_agreement_page_counts_completed_actions_in_agreement(
    client, agreement, programme, anact_reader, count
):
    for _ in range(count):
        ActionFactory(programme=programme, status=Action.Status.COMPLETED, progress=100)
        ActionFactory(programme=programme, status=Action.Status.IN_PROGRESS)
    client.force_login(anact_reader)
    page = _words(client.get(agreement.get_absolute_url()))
    if count == 1:
        assert "1 terminée" in page and "1 en cours" in page
    else:
        assert "2 terminées" in page and "2 en cours" in page
    assert f"{count * 2} actions" in page


@pytest.mark.parametrize("count", [1, 2])
def test_the_report_key_figures_agree_with_their_number(
    client, agreement, programme, anact_reader, count
):
    for index in range(count):
        ActionFactory(programme=programme, status=Action.Status.COMPLETED, progress=100)
        MeetingFactory(
            agreement=agreement,
            status=Meeting.Status.HELD,
            starts_at=datetime.datetime(2026, 3, 5 + index, 9, tzinfo=datetime.UTC),
            ends_at=datetime.datetime(2026, 3, 5 + index, 11, tzinfo=datetime.UTC),
        )
    client.force_login(anact_reader)
    page = _words(client.get(reverse("programme_report", args=[programme.pk])))
    figure = '<p class="mb-0 small text-body-secondary">'
    if count == 1:
        assert f"{figure}action commune</p>" in page
        assert f"{figure}terminée</p>" in page
        assert f"{figure}réunion tenue</p>" in page
    else:
        assert f"{figure}actions communes</p>" in page
        assert f"{figure}terminées</p>" in page
        assert f"{figure}réunions tenues</p>" in page


MESSAGES = [
    # (singular, plural, the French for 1, the French for 2)
    (
        "%(count)d item was put on the agenda.",
        "%(count)d items were put on the agenda.",
        "1 point a été inscrit à l’ordre du jour.",
        "2 points ont été inscrits à l’ordre du jour.",
    ),
    (
        "%(count)s company imported from “%(file)s”.",
        "%(count)s companies imported from “%(file)s”.",
        "1 entreprise importée depuis «\u00a0f.csv\u00a0».",
        "2 entreprises importées depuis «\u00a0f.csv\u00a0».",
    ),
    ("%(count)s reminder", "%(count)s reminders", "1 rappel", "2 rappels"),
    ("%(counter)s action:", "%(counter)s actions:", "1 action\u00a0:", "2 actions\u00a0:"),
    (
        "{over} character too many",
        "{over} characters too many",
        "{over} caractère de trop",
        "{over} caractères de trop",
    ),
    (
        "%(counter)s of %(total)s meetings shown.",
        "%(counter)s of %(total)s meetings shown.",
        "1 réunion affichée sur 9.",
        "2 réunions affichées sur 9.",
    ),
    (
        "%(counter)s of %(total)s deliverables shown.",
        "%(counter)s of %(total)s deliverables shown.",
        "1 livrable affiché sur 9.",
        "2 livrables affichés sur 9.",
    ),
    (
        "%(counter)s of %(total)s tasks shown.",
        "%(counter)s of %(total)s tasks shown.",
        "1 tâche affichée sur 9.",
        "2 tâches affichées sur 9.",
    ),
    (
        "%(counter)s of %(total)s experimentations shown.",
        "%(counter)s of %(total)s experimentations shown.",
        "1 expérimentation affichée sur 9.",
        "2 expérimentations affichées sur 9.",
    ),
    (
        "Waiting for the approval of %(parties)s.",
        "Waiting for the approvals of %(parties)s.",
        "En attente de l’approbation\u00a0: X.",
        "En attente des approbations\u00a0: X.",
    ),
]


@pytest.mark.parametrize(("singular", "plural", "one", "two"), MESSAGES)
def test_the_messages_with_a_count_have_both_french_forms(singular, plural, one, two):
    values = {"file": "f.csv", "total": 9, "parties": "X"}
    with translation.override("fr"):
        assert ngettext(singular, plural, 1) % {**values, "count": 1, "counter": 1} == one
        assert ngettext(singular, plural, 2) % {**values, "count": 2, "counter": 2} == two


def test_the_reminders_command_says_one_reminder_in_the_singular():
    with translation.override("fr"):
        reminders = ngettext("%(count)s reminder", "%(count)s reminders", 1) % {"count": 1}
        summary = ngettext(
            "%(people)s person would get %(reminders)s.",
            "%(people)s people would get %(reminders)s.",
            1,
        ) % {"people": 1, "reminders": reminders}
    assert summary == "1 personne recevrait 1 rappel."
