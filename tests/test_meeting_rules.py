import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from partnership.core.lifecycle import TransitionError
from partnership.meetings.services import (
    meeting_approve_minutes,
    meeting_cancel,
    meeting_hold,
    meeting_reopen,
)
from partnership.models import Action, ActionReview, AgendaItem, FollowUpTask, Meeting, Participant
from tests.factories import (
    ActionFactory,
    ActionReviewFactory,
    AgendaItemFactory,
    ContactFactory,
    ConventionFactory,
    FollowUpTaskFactory,
    MeetingFactory,
    ParticipantFactory,
    SignedAgreementFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def user():
    return UserFactory()


def test_past_meeting_is_held_then_its_minutes_approved(user):
    meeting = MeetingFactory(minutes="Compte rendu de la réunion.")
    meeting_hold(meeting=meeting, user=user)
    approved = meeting_approve_minutes(meeting=meeting, user=user)
    assert approved.status == Meeting.Status.MINUTES_APPROVED
    assert approved.minutes_approved_by == user
    assert approved.is_read_only


def test_future_meeting_cannot_be_recorded_as_held(user):
    meeting = MeetingFactory(starts_at=timezone.now() + datetime.timedelta(days=3))
    with pytest.raises(TransitionError):
        meeting_hold(meeting=meeting, user=user)


def test_minutes_are_approved_only_for_a_held_meeting(user):
    meeting = MeetingFactory(minutes="Compte rendu.")
    with pytest.raises(TransitionError, match="not possible|pas possible"):
        meeting_approve_minutes(meeting=meeting, user=user)


def test_empty_minutes_cannot_be_approved(user):
    meeting = MeetingFactory(status=Meeting.Status.HELD)
    with pytest.raises(TransitionError):
        meeting_approve_minutes(meeting=meeting, user=user)


def test_reopening_approved_minutes_needs_a_reason_and_is_recorded(user):
    meeting = MeetingFactory(status=Meeting.Status.HELD, minutes="Compte rendu.")
    meeting_approve_minutes(meeting=meeting, user=user)
    with pytest.raises(TransitionError):
        meeting_reopen(meeting=meeting, user=user, reason="")
    reopened = meeting_reopen(meeting=meeting, user=user, reason="Coquille page 2")
    assert reopened.status == Meeting.Status.HELD
    assert reopened.minutes_approved_by is None
    assert "Coquille page 2" in reopened.history.first().history_change_reason
    reopened.minutes = "Compte rendu corrigé."
    reopened.save()
    assert reopened.history.first().history_change_reason is None


def test_cancelled_meeting_cannot_be_held(user):
    meeting = MeetingFactory()
    meeting_cancel(meeting=meeting, user=user)
    with pytest.raises(TransitionError):
        meeting_hold(meeting=meeting, user=user)


def test_meeting_ends_after_it_starts():
    start = timezone.now()
    meeting = MeetingFactory.build(
        agreement=SignedAgreementFactory(),
        starts_at=start,
        ends_at=start - datetime.timedelta(hours=1),
    )
    with pytest.raises(ValidationError) as error:
        meeting.full_clean()
    assert "ends_at" in error.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        meeting.save()


def test_database_refuses_approved_minutes_that_are_empty():
    meeting = MeetingFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.MINUTES_APPROVED)


def test_only_a_working_group_meeting_belongs_to_a_working_group():
    group = ActionFactory(kind=Action.Kind.WORKING_GROUP)
    meeting = MeetingFactory(agreement=group.programme.agreement)
    meeting.working_group = group
    with pytest.raises(ValidationError) as error:
        meeting.full_clean()
    assert "working_group" in error.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        meeting.save()


def test_participant_is_one_person_listed_once():
    participant = ParticipantFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        ParticipantFactory(meeting=participant.meeting, user=participant.user)
    both = Participant(meeting=participant.meeting, user=UserFactory(), contact=ContactFactory())
    with pytest.raises(ValidationError):
        both.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        both.save()


def test_agenda_item_points_to_one_subject_at_most():
    item = AgendaItemFactory(action=ActionFactory())
    item.convention = ConventionFactory()
    with pytest.raises(ValidationError):
        item.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        AgendaItem.objects.filter(pk=item.pk).update(convention=item.convention)


def test_follow_up_task_done_on_only_when_done():
    task = FollowUpTaskFactory()
    task.done_on = datetime.date(2026, 1, 1)
    with pytest.raises(ValidationError) as error:
        task.full_clean()
    assert "done_on" in error.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        FollowUpTask.objects.filter(pk=task.pk).update(done_on=datetime.date(2026, 1, 1))


def test_action_is_reviewed_once_per_meeting_with_progress_in_range():
    review = ActionReviewFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        ActionReviewFactory(action=review.action, meeting=review.meeting)
    with pytest.raises(IntegrityError), transaction.atomic():
        ActionReview.objects.filter(pk=review.pk).update(progress=150)
