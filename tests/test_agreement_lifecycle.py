import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from partnership.agreements.services import (
    agreement_expire,
    agreement_negotiate,
    agreement_sign,
    agreement_terminate,
)
from partnership.core import reasons
from partnership.core.lifecycle import TransitionError
from partnership.models import Agreement
from tests.factories import AgreementFactory, AgreementPartyFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def user():
    return UserFactory()


@pytest.fixture
def agreement_in_negotiation(user):
    agreement = AgreementFactory()
    return agreement_negotiate(agreement=agreement, user=user)


def test_agreement_goes_from_draft_to_signed_with_two_parties(user, agreement_in_negotiation):
    AgreementPartyFactory.create_batch(2, agreement=agreement_in_negotiation)
    signed = agreement_sign(
        agreement=agreement_in_negotiation, user=user, signed_on=datetime.date(2024, 1, 10)
    )
    signed.refresh_from_db()
    assert signed.status == Agreement.Status.SIGNED
    assert signed.signed_on == datetime.date(2024, 1, 10)
    last = signed.history.first()
    assert last.history_user == user
    assert reasons.parse(last.history_change_reason) == {
        "code": "status",
        "previous": "negotiation",
        "new": "signed",
    }


def test_agreement_with_one_party_cannot_be_signed(user, agreement_in_negotiation):
    AgreementPartyFactory(agreement=agreement_in_negotiation)
    with pytest.raises(TransitionError, match="deux parties|two parties"):
        agreement_sign(
            agreement=agreement_in_negotiation, user=user, signed_on=datetime.date(2024, 1, 10)
        )
    agreement_in_negotiation.refresh_from_db()
    assert agreement_in_negotiation.status == Agreement.Status.NEGOTIATION


def test_agreement_without_signature_date_cannot_be_signed(user, agreement_in_negotiation):
    AgreementPartyFactory.create_batch(2, agreement=agreement_in_negotiation)
    with pytest.raises(TransitionError, match="date"):
        agreement_sign(agreement=agreement_in_negotiation, user=user)


def test_draft_agreement_cannot_be_signed_without_negotiation(user):
    agreement = AgreementFactory(signed_on=datetime.date(2024, 1, 10))
    AgreementPartyFactory.create_batch(2, agreement=agreement)
    with pytest.raises(TransitionError) as refused:
        agreement_sign(agreement=agreement, user=user)
    assert refused.value.code == "invalid_transition"


def test_signed_agreement_cannot_be_signed_twice(user, agreement_in_negotiation):
    AgreementPartyFactory.create_batch(2, agreement=agreement_in_negotiation)
    day = datetime.date(2024, 1, 10)
    agreement_sign(agreement=agreement_in_negotiation, user=user, signed_on=day)
    with pytest.raises(TransitionError):
        agreement_sign(agreement=agreement_in_negotiation, user=user, signed_on=day)
    assert agreement_in_negotiation.history.filter(status=Agreement.Status.SIGNED).count() == 1


def test_terminating_needs_a_reason_and_records_it(user, agreement_in_negotiation):
    AgreementPartyFactory.create_batch(2, agreement=agreement_in_negotiation)
    agreement_sign(
        agreement=agreement_in_negotiation, user=user, signed_on=datetime.date(2024, 1, 10)
    )
    with pytest.raises(TransitionError, match="raison|reason"):
        agreement_terminate(agreement=agreement_in_negotiation, user=user, reason=" ")
    terminated = agreement_terminate(
        agreement=agreement_in_negotiation, user=user, reason="Fusion des établissements"
    )
    assert terminated.status == Agreement.Status.TERMINATED
    assert terminated.termination_reason == "Fusion des établissements"


def test_agreement_expires_only_after_its_end(user, agreement_in_negotiation):
    AgreementPartyFactory.create_batch(2, agreement=agreement_in_negotiation)
    agreement_sign(
        agreement=agreement_in_negotiation, user=user, signed_on=datetime.date(2024, 1, 10)
    )
    with pytest.raises(TransitionError):
        agreement_expire(agreement=agreement_in_negotiation, user=user)
    Agreement.objects.filter(pk=agreement_in_negotiation.pk).update(
        starts_on=datetime.date(2019, 1, 1), ends_on=datetime.date(2023, 12, 31)
    )
    expired = agreement_expire(agreement=agreement_in_negotiation, user=user)
    assert expired.status == Agreement.Status.EXPIRED


def test_clean_refuses_end_before_start_naming_the_field():
    agreement = AgreementFactory.build(
        starts_on=datetime.date(2025, 1, 1), ends_on=datetime.date(2024, 1, 1)
    )
    with pytest.raises(ValidationError) as error:
        agreement.full_clean()
    assert "ends_on" in error.value.message_dict


def test_database_refuses_end_before_start_when_clean_is_bypassed():
    with pytest.raises(IntegrityError), transaction.atomic():
        AgreementFactory(starts_on=datetime.date(2025, 1, 1), ends_on=datetime.date(2024, 1, 1))


def test_database_refuses_a_signed_agreement_without_date():
    with pytest.raises(IntegrityError), transaction.atomic():
        AgreementFactory(status=Agreement.Status.SIGNED, signed_on=None)


def test_clean_refuses_signed_agreement_without_date():
    agreement = AgreementFactory.build(status=Agreement.Status.SIGNED, signed_on=None)
    with pytest.raises(ValidationError) as error:
        agreement.full_clean()
    assert "signed_on" in error.value.message_dict


def test_database_refuses_two_agreements_with_the_same_reference():
    AgreementFactory(reference="AC-2024-001")
    with pytest.raises(IntegrityError), transaction.atomic():
        AgreementFactory(reference="AC-2024-001")


def test_a_party_appears_once_per_agreement():
    party = AgreementPartyFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        AgreementPartyFactory(agreement=party.agreement, organisation=party.organisation)


def test_notice_date_is_the_notice_period_before_the_end():
    agreement = AgreementFactory.build(ends_on=datetime.date(2028, 12, 31), notice_period_months=6)
    assert agreement.notice_date == datetime.date(2028, 6, 30)


@pytest.mark.django_db(transaction=True)
def test_two_people_signing_at_once_give_one_transition():
    import threading

    from django.db import connection

    agreement = AgreementFactory(status=Agreement.Status.NEGOTIATION)
    AgreementPartyFactory.create_batch(2, agreement=agreement)
    people = [UserFactory(), UserFactory()]
    barrier = threading.Barrier(2)
    outcomes = []

    def sign(user):
        try:
            barrier.wait()
            agreement_sign(agreement=agreement, user=user, signed_on=datetime.date(2024, 1, 10))
            outcomes.append("signed")
        except TransitionError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=sign, args=(person,)) for person in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused", "signed"]
    assert agreement.history.filter(status=Agreement.Status.SIGNED).count() == 1
