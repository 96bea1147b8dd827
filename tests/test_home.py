"""The home page: the dashboard of the agreements the person's organisation is party to, in
French; nothing of them for a person at a body that is no party."""

import datetime

import pytest
from django.utils import timezone

from tests.factories import (
    ActionFactory,
    DeliverableFactory,
    FollowUpTaskFactory,
    MeetingFactory,
    ProgrammeFactory,
)


@pytest.fixture
def partnership(agreement, anact, anact_coordinator):
    """This year's programme of the Anact–INRS agreement, a meeting in ten days, a task of
    the Anact coordinator's from last week's meeting and a deliverable due in a fortnight."""
    today = timezone.localdate()
    now = timezone.now()
    programme = ProgrammeFactory(
        agreement=agreement, year=today.year, title="Programme commun de l’année"
    )
    action = ActionFactory(
        programme=programme,
        title="Prévention des TMS",
        lead_organisation=anact,
        status="in_progress",
        progress=40,
    )
    DeliverableFactory(
        action=action, title="Guide de prévention", due_on=today + datetime.timedelta(days=14)
    )
    coming = MeetingFactory(
        agreement=agreement,
        title="Comité de pilotage",
        starts_at=now + datetime.timedelta(days=10),
        ends_at=now + datetime.timedelta(days=10, hours=2),
    )
    held = MeetingFactory(
        agreement=agreement,
        title="Revue des chantiers",
        starts_at=now - datetime.timedelta(days=7),
        ends_at=now - datetime.timedelta(days=7) + datetime.timedelta(hours=2),
        status="held",
    )
    FollowUpTaskFactory(
        meeting=held,
        title="Envoyer le compte rendu",
        owner=anact_coordinator,
        due_on=today + datetime.timedelta(days=3),
    )
    return {"programme": programme, "action": action, "meeting": coming}


SHOWN = (
    "Programme commun de l’année",
    "Comité de pilotage",
    "Envoyer le compte rendu",
    "Guide de prévention",
    "AC-ANACT-INRS",
)


def test_coordinator_finds_their_agreements_dashboard_at_home_in_french(
    client, partnership, anact_coordinator
):
    client.force_login(anact_coordinator)
    response = client.get("/")
    assert response.status_code == 200
    assert '<html lang="fr">' in response.text
    assert f"Bonjour {anact_coordinator.get_full_name()}" in response.text
    for text in SHOWN:
        assert text in response.text, text
    for record in (partnership["programme"], partnership["meeting"]):
        assert f'href="{record.get_absolute_url()}"' in response.text
    assert f'<progress id="progress-{partnership["programme"].pk}"' in response.text


def test_outsider_finds_nothing_of_an_agreement_they_are_no_party_to(client, partnership, outsider):
    client.force_login(outsider)
    response = client.get("/")
    assert response.status_code == 200
    for text in SHOWN:
        assert text not in response.text, text
    for record in (partnership["programme"], partnership["action"], partnership["meeting"]):
        assert record.get_absolute_url() not in response.text
    assert "Aucun programme commun" in response.text  # the empty section, not a missing one
