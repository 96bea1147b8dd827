import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from experimentations import services
from experimentations.models import EnrolledCompany, Experimentation
from partnership.lifecycle import TransitionError
from tests.factories import (
    ConventionFactory,
    EnrolledCompanyFactory,
    EvaluationFactory,
    ExperimentationFactory,
    ExperimentationPartnerFactory,
    TerritoryFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def user():
    return UserFactory()


@pytest.fixture
def designed():
    experimentation = ExperimentationFactory()
    ExperimentationPartnerFactory(experimentation=experimentation, is_lead=True)
    TerritoryFactory(experimentation=experimentation)
    EvaluationFactory(experimentation=experimentation)
    return experimentation


def test_experimentation_walks_every_phase_in_order(user, designed):
    services.experimentation_advance(experimentation=designed, user=user, name="start_trial")
    EnrolledCompanyFactory(experimentation=designed)
    services.experimentation_advance(experimentation=designed, user=user, name="evaluate")
    designed.evaluation.findings = "Absentéisme en baisse dans 7 structures sur 10."
    designed.evaluation.save()
    services.experimentation_advance(experimentation=designed, user=user, name="extend")
    deployed = services.experimentation_advance(experimentation=designed, user=user, name="deploy")
    assert deployed.status == Experimentation.Phase.DEPLOYMENT
    assert [h.status for h in deployed.history.order_by("history_date")] == [
        "design",
        "trial",
        "evaluation",
        "extension",
        "deployment",
    ]


@pytest.mark.parametrize("name", ["evaluate", "extend", "deploy"])
def test_a_phase_cannot_be_skipped(user, designed, name):
    with pytest.raises(TransitionError, match="not possible|pas possible"):
        services.experimentation_advance(experimentation=designed, user=user, name=name)
    designed.refresh_from_db()
    assert designed.status == Experimentation.Phase.DESIGN


def test_trial_needs_a_lead_a_territory_and_criteria(user):
    experimentation = ExperimentationFactory()
    with pytest.raises(TransitionError, match="lead|pilote"):
        services.experimentation_advance(
            experimentation=experimentation, user=user, name="start_trial"
        )
    ExperimentationPartnerFactory(experimentation=experimentation, is_lead=True)
    TerritoryFactory(experimentation=experimentation)
    EvaluationFactory(experimentation=experimentation, criteria="")
    with pytest.raises(TransitionError, match="criteria|critères"):
        services.experimentation_advance(
            experimentation=experimentation, user=user, name="start_trial"
        )


def test_evaluation_needs_enrolled_companies(user, designed):
    services.experimentation_advance(experimentation=designed, user=user, name="start_trial")
    with pytest.raises(TransitionError):
        services.experimentation_advance(experimentation=designed, user=user, name="evaluate")


def test_extension_needs_findings(user, designed):
    services.experimentation_advance(experimentation=designed, user=user, name="start_trial")
    EnrolledCompanyFactory(experimentation=designed)
    services.experimentation_advance(experimentation=designed, user=user, name="evaluate")
    with pytest.raises(TransitionError):
        services.experimentation_advance(experimentation=designed, user=user, name="extend")


def test_stopping_is_a_decision_with_its_reason(user, designed):
    with pytest.raises(TransitionError):
        services.experimentation_stop(experimentation=designed, user=user, reason=" ")
    stopped = services.experimentation_stop(
        experimentation=designed, user=user, reason="Partenaire retiré"
    )
    assert stopped.status == Experimentation.Phase.STOPPED
    with pytest.raises(TransitionError):
        services.experimentation_advance(experimentation=stopped, user=user, name="start_trial")


def test_one_lead_partner_per_experimentation(designed):
    with pytest.raises(IntegrityError), transaction.atomic():
        ExperimentationPartnerFactory(experimentation=designed, is_lead=True)


def test_a_region_is_listed_once_per_experimentation(designed):
    region = designed.territories.get().region
    with pytest.raises(IntegrityError), transaction.atomic():
        TerritoryFactory(experimentation=designed, region=region)


def test_company_cannot_leave_before_enrolling():
    company = EnrolledCompanyFactory.build(
        experimentation=ExperimentationFactory(),
        enrolled_on=datetime.date(2026, 1, 10),
        left_on=datetime.date(2025, 1, 10),
    )
    with pytest.raises(ValidationError) as error:
        company.full_clean()
    assert "left_on" in error.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        company.save()


def test_convention_must_be_annexed_to_the_same_agreement():
    experimentation = ExperimentationFactory.build(
        agreement=ConventionFactory().agreement, convention=ConventionFactory()
    )
    with pytest.raises(ValidationError) as error:
        experimentation.full_clean()
    assert "convention" in error.value.message_dict


def test_size_classes_follow_the_french_categories():
    assert [c for c, _ in EnrolledCompany.SizeClass.choices] == ["tpe", "pme", "eti", "large"]
