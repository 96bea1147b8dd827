import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from partnership.core.lifecycle import TransitionError
from partnership.models import Action, ActionContact, ActionResource
from partnership.programmes.services import action_transition
from tests.factories import (
    ActionFactory,
    ActionResourceFactory,
    ContactFactory,
    OrganisationFactory,
    ProgrammeFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def user():
    return UserFactory()


def test_action_goes_from_planned_to_completed_at_100_percent(user):
    action = ActionFactory(progress=40)
    action_transition(action=action, user=user, name="start")
    completed = action_transition(action=action, user=user, name="complete")
    assert completed.status == Action.Status.COMPLETED
    assert completed.progress == 100


@pytest.mark.parametrize(
    ("status", "name"),
    [
        (Action.Status.PLANNED, "complete"),
        (Action.Status.COMPLETED, "start"),
        (Action.Status.CANCELLED, "replan"),
        (Action.Status.COMPLETED, "cancel"),
        (Action.Status.IN_PROGRESS, "replan"),
    ],
)
def test_forbidden_action_transitions_are_refused(user, status, name):
    action = ActionFactory(status=status, progress=100 if status == "completed" else 0)
    with pytest.raises(TransitionError, match="not possible|pas possible"):
        action_transition(action=action, user=user, name=name)
    action.refresh_from_db()
    assert action.status == status


def test_postponed_action_can_be_planned_again_or_restarted(user):
    action = ActionFactory()
    action_transition(action=action, user=user, name="postpone")
    action_transition(action=action, user=user, name="replan")
    action_transition(action=action, user=user, name="postpone")
    restarted = action_transition(action=action, user=user, name="start")
    assert restarted.status == Action.Status.IN_PROGRESS


def test_clean_refuses_reversed_dates_and_progress_over_100():
    action = ActionFactory.build(
        programme=ProgrammeFactory(),
        lead_organisation=OrganisationFactory(),
        planned_start=datetime.date(2026, 6, 1),
        planned_end=datetime.date(2026, 3, 1),
        progress=120,
    )
    with pytest.raises(ValidationError) as error:
        action.full_clean()
    assert {"planned_end", "progress"} <= set(error.value.message_dict)


@pytest.mark.parametrize(
    "changes",
    [
        {"progress": 101},
        {"planned_start": datetime.date(2026, 6, 1), "planned_end": datetime.date(2026, 3, 1)},
        {"status": Action.Status.COMPLETED, "progress": 80},
    ],
)
def test_database_refuses_invalid_actions_when_clean_is_bypassed(changes):
    action = ActionFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Action.objects.filter(pk=action.pk).update(**changes)


def test_continuation_must_come_from_an_earlier_year_of_the_same_agreement():
    previous = ActionFactory(programme=ProgrammeFactory(year=2026))
    same_year = ActionFactory.build(
        programme=ProgrammeFactory(agreement=previous.programme.agreement, year=2026 - 1),
        lead_organisation=previous.lead_organisation,
        continues=previous,
    )
    with pytest.raises(ValidationError) as error:
        same_year.full_clean()
    assert "continues" in error.value.message_dict

    other_agreement = ActionFactory.build(
        programme=ProgrammeFactory(year=2027),
        lead_organisation=previous.lead_organisation,
        continues=previous,
    )
    with pytest.raises(ValidationError) as error:
        other_agreement.full_clean()
    assert "continues" in error.value.message_dict


def test_resources_are_not_negative_and_unique_per_organisation():
    resource = ActionResourceFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        ActionResource.objects.filter(pk=resource.pk).update(budget=-1)
    with pytest.raises(IntegrityError), transaction.atomic():
        ActionResourceFactory(action=resource.action, organisation=resource.organisation)


def test_action_contact_is_a_staff_member_or_a_contact_not_both():
    action = ActionFactory()
    both = ActionContact(
        action=action,
        organisation=action.lead_organisation,
        user=UserFactory(),
        contact=ContactFactory(),
    )
    with pytest.raises(ValidationError):
        both.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        both.save()
    neither = ActionContact(action=action, organisation=action.lead_organisation)
    with pytest.raises(IntegrityError), transaction.atomic():
        neither.save()
