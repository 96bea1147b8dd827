"""A whole year of the partnership, as the two agencies run it.

January: the 2026 programme is proposed, Anact's coordinator approves it, INRS's approves it
at the steering committee, which adopts it. Spring: the review meeting's agenda is prepared
with the ongoing chantiers of each party and the open follow-ups of the committee; each
chantier is reviewed; the minutes are approved and the meeting becomes read-only.
September (la rentrée): the 2027 programme is prepared with exactly the unfinished actions.
"""

import datetime

import pytest
from django.urls import reverse

from partnership.core.lifecycle import TransitionError
from partnership.meetings.services import (
    action_review_record,
    meeting_approve_minutes,
    meeting_hold,
    meeting_prepare_agenda,
)
from partnership.models import Action, AgendaItem, Meeting, Programme
from partnership.programmes.services import (
    action_transition,
    programme_approve,
    programme_prepare_next_year,
    programme_propose,
)
from tests import clock
from tests.factories import FollowUpTaskFactory, MeetingFactory, ProgrammeFactory

pytestmark = pytest.mark.django_db


def _at(day, hour):
    return datetime.datetime(day.year, day.month, day.day, hour, tzinfo=clock.PARIS)


def _meeting(agreement, title, day, kind=Meeting.Kind.REVIEW):
    return MeetingFactory(
        agreement=agreement,
        title=title,
        kind=kind,
        starts_at=_at(day, 10),
        ends_at=_at(day, 12),
    )


def test_a_year_of_the_partnership(
    time_machine,
    client,
    agreement,
    anact,
    inrs,
    anact_coordinator,
    inrs_coordinator,
    anact_contributor,
):
    # January: the programme is drawn up and proposed. ----------------------------------------
    clock.freeze(time_machine, datetime.date(2026, 1, 12))
    programme = ProgrammeFactory(agreement=agreement, year=2026, title="Programme commun 2026")
    actions = {}
    for key, title, lead in [
        ("guide", "Guide commun de prévention des TMS", anact),
        ("training", "Module de formation RPS", anact),
        ("webinar", "Webinaire QVT", anact),
        ("colloquium", "Colloque « Le travail dans 40 ans »", inrs),
        ("study", "Étude sur l’usure professionnelle", inrs),
    ]:
        actions[key] = Action.objects.create(
            programme=programme,
            title=title,
            kind=Action.Kind.STUDY,
            lead_organisation=lead,
            planned_start=datetime.date(2026, 2, 1),
            planned_end=datetime.date(2026, 11, 30),
        )
    programme_propose(programme=programme, user=anact_coordinator)
    committee = _meeting(
        agreement,
        "Comité de pilotage de janvier",
        datetime.date(2026, 1, 20),
        kind=Meeting.Kind.STEERING_COMMITTEE,
    )

    # Anact approves before the committee; one approval does not adopt.
    programme_approve(programme=programme, user=anact_coordinator)
    programme.refresh_from_db()
    assert programme.status == Programme.Status.PROPOSED

    # A coordinator cannot approve on behalf of the other party.
    with pytest.raises(TransitionError):
        programme_approve(
            programme=programme, user=anact_coordinator, organisation=inrs, meeting=committee
        )

    # The committee meets; INRS approves there, which adopts the programme at that meeting.
    clock.freeze(time_machine, datetime.date(2026, 1, 20), hour=14)
    committee = meeting_hold(meeting=committee, user=anact_coordinator)
    follow_up = FollowUpTaskFactory(
        meeting=committee,
        title="Envoyer le calendrier des rendez-vous de suivi",
        owner=anact_contributor,
        due_on=datetime.date(2026, 2, 15),
    )
    FollowUpTaskFactory(
        meeting=committee,
        title="Diffuser le programme adopté",
        owner=anact_contributor,
        done=True,
        done_on=datetime.date(2026, 1, 21),
    )
    programme_approve(programme=programme, user=inrs_coordinator, meeting=committee)
    programme.refresh_from_db()
    assert programme.status == Programme.Status.ADOPTED
    assert programme.adopted_at == committee
    assert programme.adopted_on == datetime.date(2026, 1, 20)
    assert [
        (a.organisation, a.approved_by, a.approved_at.date())
        for a in programme.approvals.order_by("approved_at")
    ] == [
        (anact, anact_coordinator, datetime.date(2026, 1, 12)),
        (inrs, inrs_coordinator, datetime.date(2026, 1, 20)),
    ]

    # The chantiers start (the webinar is still to be planned).
    for key in ("guide", "training", "colloquium", "study"):
        action_transition(action=actions[key], user=anact_coordinator, name="start")

    # Spring: the review meeting's agenda is prepared. -----------------------------------------
    clock.freeze(time_machine, datetime.date(2026, 3, 30))
    review = _meeting(agreement, "Rendez-vous de suivi de printemps", datetime.date(2026, 4, 2))
    meeting_prepare_agenda(meeting=review, user=anact_coordinator)
    items = list(review.agenda_items.order_by("position"))
    by_lead = {}
    current = None
    for item in items:
        if item.action_id is None and item.follow_up_id is None:
            current = item.title
            by_lead[current] = []
        elif item.action_id:
            by_lead[current].append(item.action)
    # Each party's ongoing chantiers under its own heading; the planned webinar is not there.
    assert sorted(sorted(a.title for a in group) for group in by_lead.values() if group) == [
        sorted([actions["colloquium"].title, actions["study"].title]),
        sorted([actions["guide"].title, actions["training"].title]),
    ]
    assert [item.follow_up for item in items if item.follow_up_id] == [follow_up]

    # The meeting is held; each chantier is reviewed, which updates the action.
    clock.freeze(time_machine, datetime.date(2026, 4, 2), hour=15)
    review = meeting_hold(meeting=review, user=anact_coordinator)
    outcomes = {
        "guide": (Action.Status.COMPLETED, 100, "Guide publié."),
        "training": (Action.Status.POSTPONED, 20, "Reporté à l’automne."),
        "colloquium": (Action.Status.IN_PROGRESS, 60, "Programme du colloque arrêté."),
        "study": (Action.Status.CANCELLED, 30, "Financement non obtenu."),
    }
    for key, (status, progress, comment) in outcomes.items():
        action_review_record(
            meeting=review,
            action=actions[key],
            user=anact_coordinator,
            status=status,
            progress=progress,
            comment=comment,
        )
    for key, (status, progress, comment) in outcomes.items():
        action = Action.objects.get(pk=actions[key].pk)
        assert (action.status, action.progress) == (status, progress)
        assert action.reviews.get(meeting=review).comment == comment
        assert action.history.first().history_user == anact_coordinator

    # The minutes are written and approved: the meeting is read-only.
    review.minutes = "Les chantiers ont été passés en revue un par un."
    review.save()
    review = meeting_approve_minutes(meeting=review, user=inrs_coordinator)
    assert review.status == Meeting.Status.MINUTES_APPROVED
    with pytest.raises(TransitionError):
        action_review_record(
            meeting=review,
            action=actions["colloquium"],
            user=anact_coordinator,
            status=Action.Status.IN_PROGRESS,
            progress=70,
        )
    client.force_login(anact_coordinator)
    assert client.get(reverse("meeting_update", args=[review.pk])).status_code == 403
    assert client.post(reverse("meeting_update", args=[review.pk]), {}).status_code == 403
    assert Action.objects.get(pk=actions["colloquium"].pk).progress == 60

    # Late August: too early to prepare next year. ------------------------------------------
    clock.freeze(time_machine, datetime.date(2026, 8, 31))
    with pytest.raises(TransitionError):
        programme_prepare_next_year(programme=programme, user=anact_coordinator)
    assert not Programme.objects.filter(year=2027).exists()

    # September: 2027 is prepared with exactly the unfinished actions. ---------------------
    clock.freeze(time_machine, datetime.date(2026, 9, 1))
    client.force_login(anact_coordinator)
    preview = client.get(reverse("programme_next_year", args=[programme.pk]))
    assert preview.context["allowed"] is True
    expected = {actions["training"], actions["colloquium"], actions["webinar"]}
    assert {row["action"] for row in preview.context["carried_over"]} == expected
    response = client.post(reverse("programme_next_year", args=[programme.pk]))
    next_programme = Programme.objects.get(agreement=agreement, year=2027)
    assert response["Location"] == next_programme.get_absolute_url()
    assert next_programme.status == Programme.Status.PREPARATION
    assert {action.continues for action in next_programme.actions.all()} == expected
    assert {(a.continues.status, a.status) for a in next_programme.actions.all()} <= {
        (Action.Status.PLANNED, Action.Status.PLANNED),
        (Action.Status.IN_PROGRESS, Action.Status.IN_PROGRESS),
        (Action.Status.POSTPONED, Action.Status.PLANNED),
    }
    assert not AgendaItem.objects.filter(action__programme=next_programme).exists()
