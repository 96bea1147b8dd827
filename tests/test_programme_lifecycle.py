import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from partnership.core.lifecycle import TransitionError
from partnership.models import Action, ActionContact, Deliverable, Meeting, Programme
from partnership.programmes.services import (
    carried_dates,
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
    ContactFactory,
    DeliverableFactory,
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


class TestWhatACarriedActionKeeps:
    """Next year, chosen action by action: a continuation goes on where the action was."""

    @pytest.fixture
    def adopted(self, user, programme, held_meeting):
        return _adopted(programme, user, held_meeting)

    @pytest.fixture
    def ongoing(self, adopted):
        inrs = OrganisationFactory(name="INRS")
        action = ActionFactory(
            programme=adopted,
            title="Guide TMS commun",
            status=Action.Status.IN_PROGRESS,
            progress=80,
            planned_start=datetime.date(2026, 3, 1),
            planned_end=datetime.date(2026, 11, 30),
        )
        action.partners.add(inrs)
        ActionResourceFactory(action=action, organisation=inrs, person_days=12)
        ActionContact.objects.create(
            action=action, organisation=inrs, contact=ContactFactory(organisation=inrs)
        )
        return action

    def test_an_action_in_progress_goes_on_with_its_progress_contacts_and_dates(
        self, user, adopted, ongoing
    ):
        _, [action] = programme_prepare_next_year(programme=adopted, user=user)
        assert (action.status, action.progress) == (Action.Status.IN_PROGRESS, 80)
        assert (action.planned_start, action.planned_end) == (
            datetime.date(2027, 3, 1),
            datetime.date(2027, 11, 30),
        )
        [contact] = action.contacts.all()
        assert contact.contact == ongoing.contacts.get().contact
        assert contact.history.get().history_user == user
        assert ongoing.contacts.count() == 1  # the previous year keeps its own
        assert ongoing.continuation == action

    def test_a_postponed_action_becomes_planned(self, user, adopted):
        ActionFactory(programme=adopted, status=Action.Status.POSTPONED, progress=10)
        _, [action] = programme_prepare_next_year(programme=adopted, user=user)
        assert (action.status, action.progress) == (Action.Status.PLANNED, 10)

    def test_deliverables_not_yet_delivered_move_with_their_due_dates(self, user, adopted, ongoing):
        awaited = DeliverableFactory(action=ongoing, due_on=datetime.date(2027, 2, 15))
        delivered = DeliverableFactory(action=ongoing, delivered_on=datetime.date(2026, 10, 1))
        _, [action] = programme_prepare_next_year(programme=adopted, user=user)
        awaited.refresh_from_db()
        delivered.refresh_from_db()
        assert (awaited.action, awaited.due_on) == (action, datetime.date(2027, 2, 15))
        assert awaited.history.first().history_user == user
        assert delivered.action == ongoing
        assert Deliverable.objects.count() == 2  # moved, not copied

    def test_only_the_chosen_actions_are_carried_over(self, user, adopted, ongoing):
        left_out = ActionFactory(programme=adopted, title="Webinaire", status="planned")
        next_programme, carried = programme_prepare_next_year(
            programme=adopted, user=user, chosen=[ongoing.pk]
        )
        assert [action.continues for action in carried] == [ongoing]
        # Left out now, it can still be carried later.
        _, carried = programme_prepare_next_year(programme=adopted, user=user)
        assert [action.continues for action in carried] == [left_out]

    def test_nothing_chosen_prepares_the_year_alone(self, user, adopted, ongoing):
        next_programme, carried = programme_prepare_next_year(
            programme=adopted, user=user, chosen=[]
        )
        assert carried == []
        assert next_programme.actions.count() == 0

    def test_an_action_of_another_programme_cannot_be_slipped_in(self, user, adopted, ongoing):
        elsewhere = ActionFactory(status="planned")
        _, carried = programme_prepare_next_year(
            programme=adopted, user=user, chosen=[ongoing.pk, elsewhere.pk]
        )
        assert [action.continues for action in carried] == [ongoing]
        assert not hasattr(Action.objects.get(pk=elsewhere.pk), "continuation")


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        # Past dates move by a year, keeping the duration.
        ("2026-03-01", "2026-11-30", ("2027-03-01", "2027-11-30")),
        # An action that runs into the new year starts with it.
        ("2026-03-01", "2027-06-30", ("2027-01-01", "2027-06-30")),
        # Dates already in the new year stay.
        ("2027-02-01", "2027-05-31", ("2027-02-01", "2027-05-31")),
        # An end of December crossing into January after a year keeps its length.
        ("2026-12-01", "2026-12-31", ("2027-12-01", "2027-12-31")),
        # A start alone, or an end alone.
        ("2026-09-15", None, ("2027-09-15", None)),
        (None, "2026-10-31", (None, "2027-10-31")),
        (None, None, (None, None)),
        # Older dates (an action postponed twice) still land in the new year.
        ("2025-04-01", "2025-06-30", ("2027-04-01", "2027-06-30")),
        # 29 February has no twin in a common year.
        ("2028-02-29", "2028-02-29", ("2029-02-28", "2029-02-28")),
    ],
)
def test_planned_dates_carried_into_the_new_year(start, end, expected):
    as_date = lambda text: text and datetime.date.fromisoformat(text)  # noqa: E731
    year = 2029 if start and start.startswith("2028") else 2027
    assert carried_dates(as_date(start), as_date(end), year) == tuple(map(as_date, expected))


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
