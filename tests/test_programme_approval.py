"""Adoption needs both sides: each party's coordinator approves the proposed programme."""

import datetime
import html
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from partnership.core.lifecycle import TransitionError
from partnership.models import Action, Meeting, Programme, ProgrammeApproval
from partnership.programmes.services import (
    programme_adopt,
    programme_approval_organisations,
    programme_approve,
    programme_parties,
    programme_propose,
    programme_withdraw,
)
from tests.conftest import _staff
from tests.factories import ActionFactory, MeetingFactory, ProgrammeFactory, SignedAgreementFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def programme(agreement, anact, anact_coordinator):
    programme = ProgrammeFactory(agreement=agreement, year=2026, title="Programme commun 2026")
    ActionFactory(programme=programme, lead_organisation=anact, status=Action.Status.PLANNED)
    return programme_propose(programme=programme, user=anact_coordinator)


@pytest.fixture
def committee(agreement):
    return MeetingFactory(
        agreement=agreement, title="Comité de pilotage", status=Meeting.Status.HELD
    )


def test_a_programme_approved_by_only_one_party_is_not_adopted(
    programme, committee, anact, anact_coordinator
):
    approval = programme_approve(programme=programme, user=anact_coordinator, meeting=committee)
    assert approval.organisation == anact
    assert approval.approved_by == anact_coordinator
    programme.refresh_from_db()
    assert programme.status == Programme.Status.PROPOSED
    assert programme.adopted_at is None
    assert approval.history.get().history_user == anact_coordinator


def test_the_second_party_approval_adopts_the_programme_at_the_meeting(
    programme, committee, anact, inrs, anact_coordinator, inrs_coordinator
):
    programme_approve(programme=programme, user=anact_coordinator)
    approval = programme_approve(programme=programme, user=inrs_coordinator, meeting=committee)
    programme.refresh_from_db()
    assert approval.programme.status == programme.status == Programme.Status.ADOPTED
    assert programme.adopted_at == committee
    assert programme.adopted_on == timezone.localdate(committee.starts_at)
    assert programme.history.first().history_user == inrs_coordinator
    assert [(a.organisation, a.approved_by) for a in programme.approvals.order_by("pk")] == [
        (anact, anact_coordinator),
        (inrs, inrs_coordinator),
    ]


def test_a_coordinator_cannot_approve_on_behalf_of_another_organisation(
    programme, committee, inrs, anact_coordinator
):
    with pytest.raises(TransitionError, match="INRS|Institut"):
        programme_approve(
            programme=programme, user=anact_coordinator, meeting=committee, organisation=inrs
        )
    assert not ProgrammeApproval.objects.exists()


def test_an_aract_coordinator_does_not_approve_for_the_anact_network(programme, aract, anact):
    aract_coordinator = _staff("aract.coordinateur", aract, "coordinator")
    with pytest.raises(TransitionError, match="Aract|party|partie"):
        programme_approve(programme=programme, user=aract_coordinator)
    with pytest.raises(TransitionError):
        programme_approve(programme=programme, user=aract_coordinator, organisation=anact)
    assert not ProgrammeApproval.objects.exists()
    assert not aract_coordinator.has_perm("partnership.approve_programme", programme)


@pytest.mark.parametrize("persona", ["anact_reader", "anact_contributor", "outsider"])
def test_only_a_coordinator_of_a_party_approves(request, programme, persona):
    user = request.getfixturevalue(persona)
    with pytest.raises(TransitionError):
        programme_approve(programme=programme, user=user)
    assert not ProgrammeApproval.objects.exists()
    assert not user.has_perm("partnership.approve_programme", programme)


def test_a_party_approves_only_once(programme, anact_coordinator):
    programme_approve(programme=programme, user=anact_coordinator)
    second = _staff("anact.coordinateur2", anact_coordinator.profile.organisation, "coordinator")
    with pytest.raises(TransitionError, match="already|déjà"):
        programme_approve(programme=programme, user=second)
    assert ProgrammeApproval.objects.count() == 1


def test_the_last_approval_names_a_held_meeting_of_the_agreement(
    programme, agreement, anact_coordinator, inrs_coordinator
):
    programme_approve(programme=programme, user=anact_coordinator)
    planned = MeetingFactory(
        agreement=agreement, starts_at=timezone.now() + datetime.timedelta(days=3)
    )
    elsewhere = MeetingFactory(agreement=SignedAgreementFactory(), status=Meeting.Status.HELD)
    for meeting in (None, planned, elsewhere):
        with pytest.raises(TransitionError):
            programme_approve(programme=programme, user=inrs_coordinator, meeting=meeting)
    # Nothing was half done: INRS has still to approve, the programme is still proposed.
    programme.refresh_from_db()
    assert programme.status == Programme.Status.PROPOSED
    assert list(programme.approvals.values_list("organisation__acronym", flat=True)) == ["Anact"]


def test_a_programme_in_preparation_is_not_approved(agreement, anact_coordinator):
    programme = ProgrammeFactory(agreement=agreement, year=2027)
    with pytest.raises(TransitionError):
        programme_approve(programme=programme, user=anact_coordinator)
    assert not ProgrammeApproval.objects.exists()


def test_adoption_without_every_approval_is_refused(programme, committee, anact_coordinator):
    programme_approve(programme=programme, user=anact_coordinator)
    with pytest.raises(TransitionError, match="INRS"):
        programme_adopt(programme=programme, user=anact_coordinator, meeting=committee)
    programme.refresh_from_db()
    assert programme.status == Programme.Status.PROPOSED


def test_withdrawing_the_proposal_clears_the_approvals(
    programme, anact_coordinator, inrs_coordinator
):
    approval = programme_approve(programme=programme, user=anact_coordinator)
    programme_withdraw(programme=programme, user=inrs_coordinator)
    assert not programme.approvals.exists()
    # The approval's history keeps who gave it, and who withdrew the proposal.
    entries = list(ProgrammeApproval.history.filter(id=approval.pk).order_by("history_date"))
    assert [(e.history_type, e.history_user) for e in entries] == [
        ("+", anact_coordinator),
        ("-", inrs_coordinator),
    ]
    # Proposed again, it needs both approvals again.
    programme_propose(programme=programme, user=anact_coordinator)
    programme_approve(programme=programme, user=inrs_coordinator)
    programme.refresh_from_db()
    assert programme.status == Programme.Status.PROPOSED


def test_an_administrator_records_the_approval_of_a_named_party(
    programme, committee, anact, inrs, administrator
):
    with pytest.raises(TransitionError):
        programme_approve(programme=programme, user=administrator)
    assert programme_approval_organisations(programme=programme, user=administrator) == [
        programme_parties(programme)[0],
        programme_parties(programme)[1],
    ]
    for_inrs = programme_approve(programme=programme, user=administrator, organisation=inrs)
    approval = programme_approve(
        programme=programme, user=administrator, organisation=anact, meeting=committee
    )
    assert approval.programme.status == Programme.Status.ADOPTED
    # The administrator (at Anact) approving for INRS is said so in the approval's history.
    assert for_inrs.history.get().history_change_reason
    assert for_inrs.approved_by == administrator
    assert not approval.history.get().history_change_reason


def test_the_parties_a_coordinator_may_approve_for(
    programme, anact, anact_coordinator, inrs_coordinator, anact_reader
):
    assert programme_approval_organisations(programme=programme, user=anact_coordinator) == [anact]
    assert programme_approval_organisations(programme=programme, user=anact_reader) == []
    programme_approve(programme=programme, user=anact_coordinator)
    assert programme_approval_organisations(programme=programme, user=anact_coordinator) == []


# What a party waiting for the other sees -------------------------------------------------


def _waiting_buttons(client, programme):
    """The disabled buttons of the programme page, each with the reason beside it."""
    page = client.get(programme.get_absolute_url()).content.decode()
    found = re.findall(
        r'<button[^>]*disabled aria-describedby="([^"]+)">(.*?)</button>\s*'
        r'<span id="\1"[^>]*>(.*?)</span>',
        page,
        flags=re.S,
    )
    return {
        " ".join(re.sub("<[^>]+>", "", label).split()): html.unescape(reason.strip())
        for _, label, reason in found
    }


def test_the_adoption_waits_for_the_parties_named(client, programme, anact_coordinator):
    client.force_login(anact_coordinator)
    assert _waiting_buttons(client, programme) == {
        "Adopter": "En attente des approbations\u00a0: Anact et INRS."
    }


def test_a_party_that_approved_sees_whose_approval_is_missing(
    client, programme, anact_coordinator, inrs_coordinator
):
    programme_approve(programme=programme, user=anact_coordinator)
    client.force_login(anact_coordinator)
    assert _waiting_buttons(client, programme) == {
        "Adopter": "En attente de l’approbation\u00a0: INRS.",
        "Approuver": "Approbation déjà donnée\u00a0: Anact.",
    }
    # The other party still has its own approval to give: a working link, no reason.
    client.force_login(inrs_coordinator)
    assert _waiting_buttons(client, programme) == {
        "Adopter": "En attente de l’approbation\u00a0: INRS."
    }
    page = client.get(programme.get_absolute_url()).content.decode()
    assert f'href="{reverse("programme_approve", args=[programme.pk])}"' in page


def test_a_reader_sees_no_reason_and_no_button(client, programme, anact_reader):
    client.force_login(anact_reader)
    assert _waiting_buttons(client, programme) == {}


def test_the_adoption_guard_names_nobody_once_all_have_approved(programme, inrs, anact):
    from tests.factories import UserFactory

    user = UserFactory()
    ProgrammeApproval.objects.create(programme=programme, organisation=anact, approved_by=user)
    assert Programme.lifecycle["adopt"].waiting_for(programme) == (
        "En attente de l’approbation\u00a0: INRS."
    )
    ProgrammeApproval.objects.create(programme=programme, organisation=inrs, approved_by=user)
    assert Programme.lifecycle["adopt"].waiting_for(programme) is None


@pytest.mark.parametrize("rows", [1, 30])
def test_the_waiting_page_query_count_does_not_grow(
    client, programme, anact, anact_coordinator, django_assert_num_queries, rows
):
    for _ in range(rows):
        ActionFactory(programme=programme, lead_organisation=anact)
    programme_approve(programme=programme, user=anact_coordinator)
    client.force_login(anact_coordinator)
    # session, user, staff profile, the programme, the agreement's parties (permission), the
    # actions with their partners, the counts by status, the lead organisations and themes of
    # the filter, the parties still to approve (the adoption's reason), the approvals and the
    # parties beside them, the history.
    # ... and the bell's unread count, whether the person follows the record.
    with django_assert_num_queries(16):
        response = client.get(programme.get_absolute_url())
    assert "En attente de l’approbation\u00a0: INRS." in response.content.decode()
