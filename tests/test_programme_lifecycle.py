import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from partnership.core.lifecycle import TransitionError
from partnership.models import Action, Meeting, Programme
from partnership.programmes.services import (
    next_year_opens_on,
    programme_adopt,
    programme_approve,
    programme_close,
    programme_parties,
    programme_prepare_next_year,
    programme_propose,
)
from tests import clock
from tests.factories import (
    ActionFactory,
    ActionResourceFactory,
    MeetingFactory,
    OrganisationFactory,
    ProgrammeFactory,
    SignedAgreementFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def user():
    return UserFactory()


@pytest.fixture
def programme(agreement):
    return ProgrammeFactory(agreement=agreement, year=2026)


@pytest.fixture
def held_meeting(programme):
    return MeetingFactory(agreement=programme.agreement, status=Meeting.Status.HELD)


def _approve_for_every_party(programme, meeting):
    approval = None
    administrator = UserFactory(is_superuser=True, username="administrateur")
    for party in programme_parties(programme):
        approval = programme_approve(
            programme=programme, user=administrator, meeting=meeting, organisation=party
        )
    return approval.programme


def _adopted(programme, user, meeting):
    ActionFactory(programme=programme, status=Action.Status.COMPLETED, progress=100)
    programme_propose(programme=programme, user=user)
    return _approve_for_every_party(programme, meeting)


def test_programme_is_proposed_then_adopted_at_a_held_meeting(user, programme, held_meeting):
    adopted = _adopted(programme, user, held_meeting)
    assert adopted.status == Programme.Status.ADOPTED
    assert adopted.adopted_at == held_meeting
    assert adopted.adopted_on == timezone.localdate(held_meeting.starts_at)


def test_empty_programme_cannot_be_proposed(user, programme):
    with pytest.raises(TransitionError, match="action"):
        programme_propose(programme=programme, user=user)


def test_programme_cannot_be_adopted_at_a_meeting_of_another_agreement(user, programme):
    ActionFactory(programme=programme)
    programme_propose(programme=programme, user=user)
    other = MeetingFactory(agreement=SignedAgreementFactory(), status=Meeting.Status.HELD)
    with pytest.raises(TransitionError, match="accord-cadre|framework agreement"):
        _approve_for_every_party(programme, other)
    programme.refresh_from_db()
    assert programme.status == Programme.Status.PROPOSED


def test_programme_cannot_be_adopted_at_a_meeting_not_yet_held(user, programme):
    ActionFactory(programme=programme)
    programme_propose(programme=programme, user=user)
    planned = MeetingFactory(agreement=programme.agreement)
    with pytest.raises(TransitionError):
        _approve_for_every_party(programme, planned)


def test_programme_in_preparation_cannot_be_adopted(user, programme, held_meeting):
    with pytest.raises(TransitionError):
        programme_adopt(programme=programme, user=user, meeting=held_meeting)


def test_closing_needs_the_annual_review(user, programme, held_meeting):
    _adopted(programme, user, held_meeting)
    with pytest.raises(TransitionError, match="bilan"):
        programme_close(programme=programme, user=user, review="")
    closed = programme_close(programme=programme, user=user, review="Année riche.")
    assert closed.status == Programme.Status.CLOSED
    assert closed.review == "Année riche."


def test_one_programme_per_agreement_and_year_in_the_database(programme):
    with pytest.raises(IntegrityError), transaction.atomic():
        Programme.objects.create(agreement=programme.agreement, year=programme.year)


def test_database_refuses_adopted_programme_without_meeting(programme):
    with pytest.raises(IntegrityError), transaction.atomic():
        Programme.objects.filter(pk=programme.pk).update(status=Programme.Status.ADOPTED)


def test_database_refuses_closed_programme_without_review(user, programme, held_meeting):
    _adopted(programme, user, held_meeting)
    with pytest.raises(IntegrityError), transaction.atomic():
        Programme.objects.filter(pk=programme.pk).update(status=Programme.Status.CLOSED)


def test_clean_refuses_a_year_out_of_range(programme):
    programme.year = 1999
    with pytest.raises(ValidationError) as error:
        programme.full_clean()
    assert "year" in error.value.message_dict


class TestPrepareNextYear:
    @pytest.fixture
    def adopted(self, user, programme, held_meeting):
        return _adopted(programme, user, held_meeting)

    @pytest.fixture
    def actions(self, adopted):
        partner = OrganisationFactory(name="INRS")
        actions = {}
        for status in Action.Status:
            action = ActionFactory(
                programme=adopted,
                title=f"Chantier {status.value}",
                status=status,
                progress=100 if status == Action.Status.COMPLETED else 30,
            )
            action.partners.add(partner)
            ActionResourceFactory(action=action, organisation=partner, person_days=12)
            actions[status] = action
        return actions

    def test_carries_over_exactly_the_unfinished_actions(self, user, adopted, actions):
        next_programme, carried = programme_prepare_next_year(programme=adopted, user=user)
        assert next_programme.year == adopted.year + 1
        assert next_programme.status == Programme.Status.PREPARATION
        assert {a.continues for a in carried} == {
            actions[Action.Status.PLANNED],
            actions[Action.Status.IN_PROGRESS],
            actions[Action.Status.POSTPONED],
        }
        for action in carried:
            assert action.status == Action.Status.PLANNED
            assert list(action.partners.values_list("name", flat=True)) == ["INRS"]
            resource = action.resources.get()
            assert resource.organisation.name == "INRS"
            assert resource.person_days == 12
            assert resource.history.get().history_user == user
            assert action.history.first().history_user == user
        assert next_programme.history.get().history_user == user

    def test_running_it_twice_duplicates_nothing(self, user, adopted, actions):
        programme_prepare_next_year(programme=adopted, user=user)
        next_programme, carried = programme_prepare_next_year(programme=adopted, user=user)
        assert carried == []
        assert Programme.objects.filter(agreement=adopted.agreement).count() == 2
        assert next_programme.actions.count() == 3

    def test_an_action_added_later_is_carried_over_on_the_second_run(self, user, adopted, actions):
        programme_prepare_next_year(programme=adopted, user=user)
        late = ActionFactory(programme=adopted, title="Chantier tardif")
        next_programme, carried = programme_prepare_next_year(programme=adopted, user=user)
        assert [a.continues for a in carried] == [late]
        assert next_programme.actions.count() == 4

    def test_refused_from_a_programme_in_preparation(self, user, programme):
        with pytest.raises(TransitionError):
            programme_prepare_next_year(programme=programme, user=user)
        assert Programme.objects.count() == 1

    def test_an_action_is_continued_only_once_in_the_database(self, actions):
        previous = actions[Action.Status.PLANNED]
        ActionFactory(continues=previous)
        with pytest.raises(IntegrityError), transaction.atomic():
            ActionFactory(continues=previous)


class TestNextYearFromSeptember:
    """La rentrée: the next year is prepared from September 1st of the programme's year."""

    @pytest.fixture
    def adopted(self, user, programme, held_meeting):
        ActionFactory(programme=programme, title="Chantier en cours", status="in_progress")
        return _adopted(programme, user, held_meeting)

    def test_refused_before_september(self, time_machine, user, adopted):
        clock.freeze(time_machine, datetime.date(2026, 8, 31))
        with pytest.raises(TransitionError, match="01/09/2026"):
            programme_prepare_next_year(programme=adopted, user=user)
        assert not Programme.objects.filter(year=2027).exists()

    def test_possible_from_september_first(self, time_machine, user, adopted):
        clock.freeze(time_machine, datetime.date(2026, 9, 1))
        next_programme, carried = programme_prepare_next_year(programme=adopted, user=user)
        assert next_programme.year == 2027
        assert [action.title for action in carried] == ["Chantier en cours"]

    def test_the_opening_date_is_september_first_of_the_year(self, adopted):
        assert next_year_opens_on(adopted) == datetime.date(2026, 9, 1)
