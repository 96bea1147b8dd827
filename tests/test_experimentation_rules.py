"""The rules of experimentations: phases in order, stage decisions with their criteria."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from experimentations import services
from experimentations.models import (
    CriterionAssessment,
    EnrolledCompany,
    Experimentation,
    Gate,
    StageDecision,
)
from experimentations.services import Assessment
from partnership.core.lifecycle import TransitionError
from tests.factories import (
    ConventionFactory,
    DocumentFactory,
    EnrolledCompanyFactory,
    EvaluationFactory,
    ExperimentationFactory,
    ExperimentationPartnerFactory,
    StageCriterionFactory,
    TerritoryFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

Phase = Experimentation.Phase
GO, STOP = StageDecision.Outcome.GO, StageDecision.Outcome.STOP
LINK = "https://www.anact.fr/rapport-essai"


@pytest.fixture
def user():
    return UserFactory()


@pytest.fixture
def designed():
    """Designed, with the criteria of every gate written."""
    experimentation = ExperimentationFactory()
    ExperimentationPartnerFactory(experimentation=experimentation, is_lead=True)
    TerritoryFactory(experimentation=experimentation)
    EvaluationFactory(experimentation=experimentation)
    for gate in Gate:
        StageCriterionFactory(experimentation=experimentation, gate=gate)
        StageCriterionFactory(experimentation=experimentation, gate=gate)
    return experimentation


@pytest.fixture
def in_trial(designed, user):
    services.experimentation_advance(experimentation=designed, user=user, name="start_trial")
    EnrolledCompanyFactory(experimentation=designed)
    designed.refresh_from_db()
    return designed


def all_met(experimentation, gate, met=True):
    return {
        criterion.pk: Assessment(met=met, evidence_url=LINK)
        for criterion in experimentation.criteria.filter(gate=gate)
    }


def decide(experimentation, user, gate, outcome=GO, assessments=None, comment=""):
    return services.experimentation_decide(
        experimentation=experimentation,
        user=user,
        gate=gate,
        outcome=outcome,
        assessments=all_met(experimentation, gate) if assessments is None else assessments,
        comment=comment,
    )


def write_findings(experimentation):
    experimentation.evaluation.findings = "Absentéisme en baisse dans 7 structures sur 10."
    experimentation.evaluation.save()


def test_experimentation_walks_from_design_to_deployment_through_every_gate(user, designed):
    services.experimentation_advance(experimentation=designed, user=user, name="start_trial")
    EnrolledCompanyFactory(experimentation=designed)
    decision = decide(designed, user, Gate.EVALUATION)
    assert decision.experimentation.status == Phase.EVALUATION
    write_findings(designed)
    decide(designed, user, Gate.EXTENSION)
    decide(designed, user, Gate.DEPLOYMENT)
    designed.refresh_from_db()
    assert designed.status == Phase.DEPLOYMENT
    history = list(designed.history.order_by("history_date"))
    assert [h.status for h in history] == [
        "design",
        "trial",
        "evaluation",
        "extension",
        "deployment",
    ]
    assert all(h.history_user == user for h in history[1:])
    decisions = list(designed.decisions.order_by("decided_at"))
    assert [(d.gate, d.outcome, d.decided_by) for d in decisions] == [
        (Gate.EVALUATION, GO, user),
        (Gate.EXTENSION, GO, user),
        (Gate.DEPLOYMENT, GO, user),
    ]
    assessments = CriterionAssessment.objects.filter(decision__experimentation=designed)
    assert assessments.count() == 6
    assert all(a.met and a.evidence_url == LINK for a in assessments)
    assert decisions[0].history.get().history_user == user


@pytest.mark.parametrize("name", ["evaluate", "extend", "deploy"])
def test_a_phase_cannot_be_skipped(user, designed, name):
    with pytest.raises(TransitionError, match="not possible|pas possible"):
        services.experimentation_advance(experimentation=designed, user=user, name=name)
    designed.refresh_from_db()
    assert designed.status == Phase.DESIGN


@pytest.mark.parametrize("gate", [Gate.EXTENSION, Gate.DEPLOYMENT])
def test_deciding_a_later_gate_is_refused_a_phase_cannot_be_skipped(user, in_trial, gate):
    with pytest.raises(TransitionError) as error:
        decide(in_trial, user, gate)
    assert error.value.code == "phase_skipped"
    assert str(Gate.EVALUATION.label) in error.value.messages[0]
    in_trial.refresh_from_db()
    assert in_trial.status == Phase.TRIAL
    assert not StageDecision.objects.exists()


def test_no_decision_is_expected_in_design(user, designed):
    with pytest.raises(TransitionError) as error:
        decide(designed, user, Gate.EVALUATION)
    assert error.value.code == "no_decision_expected"
    assert not StageDecision.objects.exists()


def test_moving_past_the_trial_is_a_decision_not_a_transition(user, in_trial):
    with pytest.raises(TransitionError) as error:
        services.experimentation_advance(experimentation=in_trial, user=user, name="evaluate")
    assert error.value.code == "decision_needed"
    in_trial.refresh_from_db()
    assert in_trial.status == Phase.TRIAL


def test_going_on_without_criteria_is_refused(user, in_trial):
    decide(in_trial, user, Gate.EVALUATION)
    write_findings(in_trial)
    in_trial.criteria.filter(gate=Gate.EXTENSION).delete()
    with pytest.raises(TransitionError) as error:
        decide(in_trial, user, Gate.EXTENSION, assessments={})
    assert error.value.code == "no_criteria"
    assert str(Gate.EXTENSION.label) in error.value.messages[0]
    in_trial.refresh_from_db()
    assert in_trial.status == Phase.EVALUATION
    assert in_trial.decisions.count() == 1


def test_going_on_with_a_criterion_not_assessed_names_it(user, in_trial):
    first, second = in_trial.criteria.filter(gate=Gate.EVALUATION).order_by("position")
    assessments = {first.pk: Assessment(met=True, evidence_url=LINK)}
    with pytest.raises(TransitionError) as error:
        decide(in_trial, user, Gate.EVALUATION, assessments=assessments)
    assert error.value.code == "not_assessed"
    assert second.text[:40] in error.value.messages[0]
    assert first.text[:40] not in error.value.messages[0]
    # "Met" left unanswered counts as not assessed.
    assessments[second.pk] = Assessment(met=None, evidence_url=LINK)
    with pytest.raises(TransitionError, match=second.text[:20]):
        decide(in_trial, user, Gate.EVALUATION, assessments=assessments)
    in_trial.refresh_from_db()
    assert in_trial.status == Phase.TRIAL
    assert not StageDecision.objects.exists()
    assert not CriterionAssessment.objects.exists()


def test_going_on_needs_the_evidence_of_each_criterion(user, in_trial):
    first, second = in_trial.criteria.filter(gate=Gate.EVALUATION).order_by("position")
    assessments = {
        first.pk: Assessment(met=True, evidence_url=LINK),
        second.pk: Assessment(met=True, evidence_url="  "),
    }
    with pytest.raises(TransitionError, match=second.text[:20]) as error:
        decide(in_trial, user, Gate.EVALUATION, assessments=assessments)
    assert error.value.code == "no_evidence"
    assert not StageDecision.objects.exists()


def test_going_on_although_a_criterion_was_not_met_needs_a_comment(user, in_trial):
    assessments = all_met(in_trial, Gate.EVALUATION, met=False)
    with pytest.raises(TransitionError) as error:
        decide(in_trial, user, Gate.EVALUATION, assessments=assessments)
    assert error.value.code == "comment_needed"
    decision = decide(
        in_trial,
        user,
        Gate.EVALUATION,
        assessments=assessments,
        comment="Poursuite décidée : les critères seront revus à l’évaluation.",
    )
    assert decision.outcome == GO
    assert not any(a.met for a in decision.assessments.all())


def test_a_document_as_evidence_must_belong_to_the_agreement(user, in_trial):
    own = DocumentFactory(agreement=in_trial.agreement)
    foreign = DocumentFactory()
    first, second = in_trial.criteria.filter(gate=Gate.EVALUATION).order_by("position")
    assessments = {
        first.pk: Assessment(met=True, evidence_document=own),
        second.pk: Assessment(met=True, evidence_document=foreign),
    }
    with pytest.raises(TransitionError) as error:
        decide(in_trial, user, Gate.EVALUATION, assessments=assessments)
    assert error.value.code == "foreign_document"
    assessments[second.pk] = Assessment(met=True, evidence_document=own)
    decision = decide(in_trial, user, Gate.EVALUATION, assessments=assessments)
    assert {a.evidence_document for a in decision.assessments.all()} == {own}


def test_an_assessment_of_another_gate_is_refused(user, in_trial):
    assessments = all_met(in_trial, Gate.EVALUATION)
    other = in_trial.criteria.filter(gate=Gate.EXTENSION).first()
    assessments[other.pk] = Assessment(met=True, evidence_url=LINK)
    with pytest.raises(TransitionError) as error:
        decide(in_trial, user, Gate.EVALUATION, assessments=assessments)
    assert error.value.code == "foreign_criterion"
    assert not StageDecision.objects.exists()


def test_the_same_gate_cannot_be_decided_twice(user, in_trial):
    decide(in_trial, user, Gate.EVALUATION)
    # A second person, who loaded the page before the first decision, is refused.
    with pytest.raises(TransitionError) as error:
        decide(in_trial, user, Gate.EVALUATION)
    assert error.value.code == "phase_skipped"
    assert in_trial.decisions.count() == 1


def test_stopping_at_a_gate_is_a_decision_with_its_reason(user, in_trial):
    with pytest.raises(TransitionError) as error:
        decide(in_trial, user, Gate.EVALUATION, outcome=STOP, assessments={}, comment=" ")
    assert error.value.code == "no_reason"
    first = in_trial.criteria.filter(gate=Gate.EVALUATION).first()
    decision = decide(
        in_trial,
        user,
        Gate.EVALUATION,
        outcome=STOP,
        assessments={first.pk: Assessment(met=False, evidence_url=LINK)},
        comment="Aucune structure n’a pu dégager de temps.",
    )
    in_trial.refresh_from_db()
    assert in_trial.status == Phase.STOPPED
    assert in_trial.stop_reason == "Aucune structure n’a pu dégager de temps."
    assert decision.outcome == STOP
    assert [a.met for a in decision.assessments.all()] == [False]
    with pytest.raises(TransitionError):
        decide(in_trial, user, Gate.EVALUATION)


def test_the_stop_service_records_a_stop_decision_past_the_design(user, in_trial):
    stopped = services.experimentation_stop(
        experimentation=in_trial, user=user, reason="Partenaire retiré"
    )
    assert stopped.status == Phase.STOPPED
    decision = in_trial.decisions.get()
    assert (decision.gate, decision.outcome, decision.comment) == (
        Gate.EVALUATION,
        STOP,
        "Partenaire retiré",
    )


def test_stopping_in_design_needs_a_reason_and_records_no_decision(user, designed):
    with pytest.raises(TransitionError):
        services.experimentation_stop(experimentation=designed, user=user, reason=" ")
    stopped = services.experimentation_stop(
        experimentation=designed, user=user, reason="Partenaire retiré"
    )
    assert stopped.status == Phase.STOPPED
    assert not StageDecision.objects.exists()
    with pytest.raises(TransitionError):
        services.experimentation_advance(experimentation=stopped, user=user, name="start_trial")


def test_trial_needs_a_lead_a_territory_a_method_and_the_first_criteria(user):
    experimentation = ExperimentationFactory()
    with pytest.raises(TransitionError, match="lead|pilote"):
        services.experimentation_advance(
            experimentation=experimentation, user=user, name="start_trial"
        )
    ExperimentationPartnerFactory(experimentation=experimentation, is_lead=True)
    TerritoryFactory(experimentation=experimentation)
    with pytest.raises(TransitionError) as error:
        services.experimentation_advance(
            experimentation=experimentation, user=user, name="start_trial"
        )
    assert error.value.code == "no_method"
    EvaluationFactory(experimentation=experimentation)
    # The criteria of a later gate are not those of the first decision.
    StageCriterionFactory(experimentation=experimentation, gate=Gate.EXTENSION)
    with pytest.raises(TransitionError) as error:
        services.experimentation_advance(
            experimentation=experimentation, user=user, name="start_trial"
        )
    assert error.value.code == "no_criteria"
    StageCriterionFactory(experimentation=experimentation, gate=Gate.EVALUATION)
    started = services.experimentation_advance(
        experimentation=experimentation, user=user, name="start_trial"
    )
    assert started.status == Phase.TRIAL


def test_evaluating_needs_enrolled_companies(user, designed):
    services.experimentation_advance(experimentation=designed, user=user, name="start_trial")
    with pytest.raises(TransitionError) as error:
        decide(designed, user, Gate.EVALUATION)
    assert error.value.code == "no_company"
    designed.refresh_from_db()
    assert designed.status == Phase.TRIAL


def test_extending_needs_findings(user, in_trial):
    decide(in_trial, user, Gate.EVALUATION)
    with pytest.raises(TransitionError) as error:
        decide(in_trial, user, Gate.EXTENSION)
    assert error.value.code == "no_findings"
    in_trial.refresh_from_db()
    assert in_trial.status == Phase.EVALUATION
    assert in_trial.decisions.count() == 1


def test_a_gate_is_decided_once_in_the_database(user, in_trial):
    decide(in_trial, user, Gate.EVALUATION)
    with pytest.raises(IntegrityError), transaction.atomic():
        StageDecision.objects.create(
            experimentation=in_trial, gate=Gate.EVALUATION, outcome=STOP, decided_by=user
        )


def test_experimentations_awaiting_a_decision(user, designed, in_trial):
    without_criteria = ExperimentationFactory(status=Phase.EVALUATION)
    waiting = set(Experimentation.objects.awaiting_decision())
    assert waiting == {in_trial}
    assert without_criteria not in waiting
    decide(in_trial, user, Gate.EVALUATION)
    assert set(Experimentation.objects.awaiting_decision()) == {in_trial}
    services.experimentation_stop(experimentation=in_trial, user=user, reason="Fin")
    assert not Experimentation.objects.awaiting_decision().exists()


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


def test_a_decided_experimentation_can_still_be_deleted_with_its_decisions(user, in_trial):
    decide(in_trial, user, Gate.EVALUATION)
    in_trial.delete()
    assert not StageDecision.objects.exists()
    assert not CriterionAssessment.objects.exists()


def test_an_assessed_criterion_or_an_evidence_document_cannot_be_deleted_alone(user, in_trial):
    from django.db.models import ProtectedError, RestrictedError

    document = DocumentFactory(agreement=in_trial.agreement)
    assessments = {
        criterion.pk: Assessment(met=True, evidence_document=document)
        for criterion in in_trial.criteria.filter(gate=Gate.EVALUATION)
    }
    decision = decide(in_trial, user, Gate.EVALUATION, assessments=assessments)
    criterion = decision.assessments.first().criterion
    with pytest.raises(RestrictedError), transaction.atomic():
        criterion.delete()
    with pytest.raises(ProtectedError), transaction.atomic():
        document.delete()
    assert decision.assessments.count() == 2
