"""The dashboard's list of experimentations awaiting a stage decision."""

import pytest
from django.urls import reverse

from experimentations.models import Experimentation, Gate
from tests.factories import (
    AgreementPartyFactory,
    ExperimentationFactory,
    SignedAgreementFactory,
    StageCriterionFactory,
    StageDecisionFactory,
)

Phase = Experimentation.Phase


def _experimentation(agreement, status, *gates, title=None):
    experimentation = ExperimentationFactory(
        agreement=agreement, status=status, **({"title": title} if title else {})
    )
    for gate in gates:
        StageCriterionFactory(experimentation=experimentation, gate=gate)
    return experimentation


def _dashboard(client, user):
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return response


def test_experimentations_whose_next_gate_has_criteria_await_a_decision(
    client, agreement, inrs, outsider_organisation, anact_reader
):
    trial = _experimentation(agreement, Phase.TRIAL, Gate.EVALUATION, title="En essai")
    evaluation = _experimentation(
        agreement, Phase.EVALUATION, Gate.EVALUATION, Gate.EXTENSION, Gate.EXTENSION
    )
    extension = _experimentation(agreement, Phase.EXTENSION, Gate.DEPLOYMENT)
    # Not awaiting: criteria only for another gate, no criteria, not in a gated phase.
    _experimentation(agreement, Phase.EVALUATION, Gate.EVALUATION)
    _experimentation(agreement, Phase.TRIAL)
    _experimentation(agreement, Phase.DESIGN, Gate.EVALUATION)
    _experimentation(agreement, Phase.DEPLOYMENT, Gate.DEPLOYMENT)
    _experimentation(agreement, Phase.STOPPED, Gate.EVALUATION)
    # Not visible to Anact's staff.
    hidden_agreement = SignedAgreementFactory()
    for organisation in (inrs, outsider_organisation):
        AgreementPartyFactory(agreement=hidden_agreement, organisation=organisation)
    _experimentation(hidden_agreement, Phase.TRIAL, Gate.EVALUATION, title="Confidentielle")

    response = _dashboard(client, anact_reader)
    awaiting = response.context["awaiting_decisions"]
    assert set(awaiting) == {trial, evaluation, extension}
    assert response.context["awaiting_decision_total"] == 3
    counts = {e.pk: e.gate_criteria_count for e in awaiting}
    assert counts == {trial.pk: 1, evaluation.pk: 2, extension.pk: 1}
    assert f"{trial.get_absolute_url()}#gates" in response.text
    assert str(Gate.EXTENSION.label) in response.text
    assert "Confidentielle" not in response.text


def test_a_decided_gate_no_longer_awaits(client, agreement, anact_reader, anact_coordinator):
    experimentation = _experimentation(agreement, Phase.TRIAL, Gate.EVALUATION)
    assert _dashboard(client, anact_reader).context["awaiting_decision_total"] == 1
    StageDecisionFactory(experimentation=experimentation, gate=Gate.EVALUATION)
    Experimentation.objects.filter(pk=experimentation.pk).update(status=Phase.EVALUATION)
    assert _dashboard(client, anact_reader).context["awaiting_decision_total"] == 0


def test_nothing_awaits(client, agreement, anact_reader):
    response = _dashboard(client, anact_reader)
    assert response.context["awaiting_decisions"] == []
    assert response.context["awaiting_decision_total"] == 0


@pytest.mark.parametrize("rows", [1, 30])
def test_the_section_costs_one_query_whatever_the_number(
    client, agreement, anact_reader, django_assert_num_queries, rows
):
    for _n in range(rows):
        _experimentation(agreement, Phase.TRIAL, Gate.EVALUATION, Gate.EVALUATION)
    client.force_login(anact_reader)
    # The dashboard's queries (see tests/test_dashboard.py), this section's one among them.
    # ... and the bell's unread count.
    with django_assert_num_queries(12):
        response = client.get(reverse("home"))
    assert response.context["awaiting_decision_total"] == rows
    assert len(response.context["awaiting_decisions"]) == min(rows, 20)
