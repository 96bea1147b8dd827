import datetime
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from conventions import services
from conventions.models import Amendment, Convention
from partnership.core.lifecycle import TransitionError
from partnership.models import Agreement
from tests.factories import (
    AgreementFactory,
    AgreementPartyFactory,
    ConventionPartyFactory,
    OrganisationFactory,
    SignedAgreementFactory,
    ThemeFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def user():
    return UserFactory()


@pytest.fixture
def agreement():
    agreement = SignedAgreementFactory()
    AgreementPartyFactory(agreement=agreement, organisation=OrganisationFactory(name="Anact"))
    AgreementPartyFactory(agreement=agreement, organisation=OrganisationFactory(name="INRS"))
    return agreement


def _create(agreement, user, **fields):
    fields.setdefault("theme", ThemeFactory())
    fields.setdefault("title", "Évaluation conjointe des actions de prévention des TMS")
    return services.convention_create(agreement=agreement, user=user, **fields)


def _signable(agreement, user):
    convention = _create(agreement, user)
    for party in agreement.parties.all():
        ConventionPartyFactory(convention=convention, organisation=party.organisation)
    return services.convention_negotiate(convention=convention, user=user)


def test_annex_numbers_follow_each_other_per_agreement(agreement, user):
    first, second = _create(agreement, user), _create(agreement, user)
    other = _create(SignedAgreementFactory(), user)
    assert (first.annex_number, second.annex_number, other.annex_number) == (1, 2, 1)


def test_annex_number_is_unique_in_the_database(agreement, user):
    first = _create(agreement, user)
    with pytest.raises(IntegrityError), transaction.atomic():
        Convention.objects.create(
            agreement=agreement, annex_number=first.annex_number, theme=first.theme, title="x"
        )


def test_convention_goes_from_draft_to_in_force_then_ended(agreement, user):
    convention = _signable(agreement, user)
    services.convention_sign(convention=convention, user=user, signed_on=datetime.date(2024, 3, 1))
    in_force = services.convention_enter_into_force(convention=convention, user=user)
    assert in_force.status == Convention.Status.IN_FORCE
    with pytest.raises(TransitionError):
        services.convention_end(convention=convention, user=user)
    Convention.objects.filter(pk=convention.pk).update(
        starts_on=datetime.date(2024, 1, 1), ends_on=datetime.date(2025, 1, 1)
    )
    assert services.convention_end(convention=convention, user=user).status == "ended"


def test_convention_cannot_be_signed_before_its_agreement(user):
    agreement = AgreementFactory(status=Agreement.Status.NEGOTIATION)
    AgreementPartyFactory.create_batch(2, agreement=agreement)
    convention = _signable(agreement, user)
    with pytest.raises(TransitionError, match="accord-cadre|framework agreement"):
        services.convention_sign(
            convention=convention, user=user, signed_on=datetime.date(2024, 3, 1)
        )
    convention.refresh_from_db()
    assert convention.status == Convention.Status.NEGOTIATION


def test_convention_cannot_be_signed_before_the_agreement_signature_date(agreement, user):
    convention = _signable(agreement, user)
    too_early = agreement.signed_on - datetime.timedelta(days=1)
    with pytest.raises(TransitionError):
        services.convention_sign(convention=convention, user=user, signed_on=too_early)


def test_convention_needs_two_parties_and_a_date_to_be_signed(agreement, user):
    convention = services.convention_negotiate(convention=_create(agreement, user), user=user)
    with pytest.raises(TransitionError, match="deux parties|two parties"):
        services.convention_sign(
            convention=convention, user=user, signed_on=datetime.date(2024, 3, 1)
        )
    for party in agreement.parties.all():
        ConventionPartyFactory(convention=convention, organisation=party.organisation)
    with pytest.raises(TransitionError, match="date"):
        services.convention_sign(convention=convention, user=user)


def test_a_third_party_is_allowed_and_shown_as_such(agreement, user):
    convention = _create(agreement, user)
    anact = ConventionPartyFactory(
        convention=convention, organisation=agreement.parties.first().organisation
    )
    carsat = ConventionPartyFactory(convention=convention, organisation=OrganisationFactory())
    assert not anact.is_third_party
    assert carsat.is_third_party


def test_dates_outside_the_agreement_give_a_warning_not_an_error(agreement, user):
    convention = _create(
        agreement, user, starts_on=datetime.date(2023, 1, 1), ends_on=datetime.date(2030, 1, 1)
    )
    assert len(convention.date_warnings()) == 2
    convention.full_clean()


def test_convention_dates_in_order(agreement, user):
    with pytest.raises(ValidationError) as error:
        _create(
            agreement, user, starts_on=datetime.date(2026, 1, 1), ends_on=datetime.date(2025, 1, 1)
        )
    assert "ends_on" in error.value.message_dict
    convention = _create(agreement, user)
    with pytest.raises(IntegrityError), transaction.atomic():
        Convention.objects.filter(pk=convention.pk).update(
            starts_on=datetime.date(2026, 1, 1), ends_on=datetime.date(2025, 1, 1)
        )


def test_database_refuses_a_signed_convention_without_date(agreement, user):
    convention = _create(agreement, user)
    with pytest.raises(IntegrityError), transaction.atomic():
        Convention.objects.filter(pk=convention.pk).update(status=Convention.Status.SIGNED)


def test_terminating_needs_a_reason(agreement, user):
    convention = _signable(agreement, user)
    services.convention_sign(convention=convention, user=user, signed_on=datetime.date(2024, 3, 1))
    with pytest.raises(TransitionError):
        services.convention_terminate(convention=convention, user=user, reason="")
    terminated = services.convention_terminate(
        convention=convention, user=user, reason="Thème repris par une autre convention"
    )
    assert terminated.status == Convention.Status.TERMINATED


class TestAmendments:
    def test_amendments_are_numbered_on_a_signed_convention(self, agreement, user):
        convention = _signable(agreement, user)
        with pytest.raises(TransitionError):
            services.amendment_create(
                convention=convention,
                user=user,
                signed_on=datetime.date(2024, 6, 1),
                summary="Prolongation",
            )
        services.convention_sign(
            convention=convention, user=user, signed_on=datetime.date(2024, 3, 1)
        )
        first = services.amendment_create(
            convention=convention, user=user, signed_on=datetime.date(2024, 6, 1), summary="A"
        )
        second = services.amendment_create(
            convention=convention, user=user, signed_on=datetime.date(2025, 6, 1), summary="B"
        )
        assert (first.number, second.number) == (1, 2)

    def test_amendment_cannot_predate_its_convention(self, agreement, user):
        convention = _signable(agreement, user)
        services.convention_sign(
            convention=convention, user=user, signed_on=datetime.date(2024, 3, 1)
        )
        with pytest.raises(ValidationError) as error:
            services.amendment_create(
                convention=convention, user=user, signed_on=datetime.date(2024, 1, 1), summary="A"
            )
        assert "signed_on" in error.value.message_dict

    def test_amendment_number_unique_per_convention(self, agreement, user):
        convention = _signable(agreement, user)
        services.convention_sign(
            convention=convention, user=user, signed_on=datetime.date(2024, 3, 1)
        )
        amendment = services.amendment_create(
            convention=convention, user=user, signed_on=datetime.date(2024, 6, 1), summary="A"
        )
        with pytest.raises(IntegrityError), transaction.atomic():
            Amendment.objects.create(
                convention=convention, number=amendment.number, signed_on=amendment.signed_on
            )


@pytest.mark.django_db(transaction=True)
def test_conventions_created_at_once_get_different_annex_numbers():
    agreement = SignedAgreementFactory()
    theme = ThemeFactory()
    user = UserFactory()
    barrier = threading.Barrier(4)
    numbers, errors = [], []

    def create(index):
        try:
            barrier.wait()
            convention = services.convention_create(
                agreement=agreement, user=user, theme=theme, title=f"Convention {index}"
            )
            numbers.append(convention.annex_number)
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(numbers) == [1, 2, 3, 4]
