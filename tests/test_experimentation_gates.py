"""Stage gates in the browser pages: criteria written at design, decisions recorded with
each criterion assessed and its evidence, shown on the experimentation's page."""

import pytest
from django.urls import reverse
from django.utils.html import escape

from experimentations.models import (
    CriterionAssessment,
    Experimentation,
    Gate,
    StageCriterion,
    StageDecision,
)
from partnership.models import Region
from tests.factories import (
    DocumentFactory,
    EnrolledCompanyFactory,
    EvaluationFactory,
    ExperimentationFactory,
    ExperimentationPartnerFactory,
    IndicatorFactory,
    StageCriterionFactory,
    TerritoryFactory,
)

Phase = Experimentation.Phase
LINK = "https://www.anact.fr/bilan-de-l-essai"


@pytest.fixture
def experimentation(agreement, anact):
    """Designed: lead, territory, method, and two criteria for each gate."""
    experimentation = ExperimentationFactory(agreement=agreement, title="Usure en TPE")
    ExperimentationPartnerFactory(experimentation=experimentation, organisation=anact, is_lead=True)
    TerritoryFactory(experimentation=experimentation, region=Region.BRE)
    EvaluationFactory(experimentation=experimentation)
    for gate in Gate:
        for n in (1, 2):
            StageCriterionFactory(
                experimentation=experimentation,
                gate=gate,
                position=n,
                text=f"{gate.label} : critère {n}",
            )
    return experimentation


def _url(name, *args):
    return reverse(f"experimentations:{name}", args=args)


def _criteria(experimentation, gate):
    return list(experimentation.criteria.filter(gate=gate).order_by("position"))


def _decision(experimentation, gate, outcome="go", met="yes", comment="", **extra):
    data = {"gate": gate, "outcome": outcome, "comment": comment}
    for criterion in _criteria(experimentation, gate):
        data[f"c{criterion.pk}-met"] = met
        data[f"c{criterion.pk}-url"] = LINK
    data.update(extra)
    return data


def _start(client, experimentation):
    client.post(_url("experimentation_transition", experimentation.pk, "start_trial"))
    experimentation.refresh_from_db()


def _edit_data(client, experimentation):
    from tests.test_experimentation_pages import _post_data_from

    return _post_data_from(client.get(_url("experimentation_update", experimentation.pk)))


# The walk ------------------------------------------------------------------------------


def test_coordinator_walks_from_design_to_deployment_through_every_gate(
    client, experimentation, anact_coordinator
):
    client.force_login(anact_coordinator)
    detail = experimentation.get_absolute_url()
    decide = _url("experimentation_decide", experimentation.pk)
    # Design: no decision to take yet, the trial starts.
    assert decide not in client.get(detail).text
    _start(client, experimentation)
    assert experimentation.status == Phase.TRIAL
    EnrolledCompanyFactory(experimentation=experimentation)

    expected = [
        (Gate.EVALUATION, Phase.EVALUATION),
        (Gate.EXTENSION, Phase.EXTENSION),
        (Gate.DEPLOYMENT, Phase.DEPLOYMENT),
    ]
    for gate, phase in expected:
        page = client.get(detail)
        assert decide in page.text
        assert [g["state"] for g in page.context["gates"] if g["gate"] == gate] == ["awaiting"]
        form_page = client.get(decide)
        assert form_page.status_code == 200
        assert form_page.context["gate"] == gate
        assert [row["criterion"] for row in form_page.context["criterion_rows"]] == _criteria(
            experimentation, gate
        )
        response = client.post(decide, _decision(experimentation, gate))
        assert response.status_code == 302, response.context["form"].errors
        assert response["Location"] == f"{detail}#gates"
        experimentation.refresh_from_db()
        assert experimentation.status == phase
        if gate == Gate.EVALUATION:
            experimentation.evaluation.findings = "Absentéisme en baisse."
            experimentation.evaluation.save()

    page = client.get(detail)
    assert [g["state"] for g in page.context["gates"]] == ["go", "go", "go"]
    assert [s["state"] for s in page.context["phase_steps"]] == [
        "done",
        "done",
        "done",
        "done",
        "current",
    ]
    assert decide not in page.text
    assert CriterionAssessment.objects.filter(met=True, evidence_url=LINK).count() == 6
    assert set(StageDecision.objects.values_list("decided_by", flat=True)) == {anact_coordinator.pk}
    # The decision page itself says there is nothing more to decide.
    assert client.get(decide)["Location"] == detail


def test_the_page_shows_who_decided_when_each_criterion_and_its_evidence(
    client, experimentation, anact_coordinator, anact_reader
):
    report = DocumentFactory(agreement=experimentation.agreement, title="Bilan de l’essai")
    client.force_login(anact_coordinator)
    _start(client, experimentation)
    EnrolledCompanyFactory(experimentation=experimentation)
    first, second = _criteria(experimentation, Gate.EVALUATION)
    data = _decision(
        experimentation,
        Gate.EVALUATION,
        comment="On poursuit : le second critère sera revu à l’évaluation.",
        **{
            f"c{first.pk}-url": "",
            f"c{first.pk}-document": report.pk,
            f"c{first.pk}-note": "Vu dans le bilan.",
            f"c{second.pk}-met": "no",
        },
    )
    assert client.post(_url("experimentation_decide", experimentation.pk), data).status_code == 302

    client.force_login(anact_reader)
    page = client.get(experimentation.get_absolute_url())
    section = page.context["gates"][0]
    assert section["state"] == "go"
    assert section["decision"].decided_by == anact_coordinator
    rows = section["criteria"]
    assert [(r["criterion"], r["assessment"].met) for r in rows] == [(first, True), (second, False)]
    assert rows[0]["assessment"].evidence_document == report
    text = page.text
    assert "Bilan de l’essai" in text
    assert f'href="{LINK}"' in text
    assert "Vu dans le bilan." in text
    assert escape("On poursuit : le second critère sera revu à l’évaluation.") in text
    assert anact_coordinator.get_full_name() in text
    # A reader gets no decision button.
    assert _url("experimentation_decide", experimentation.pk) not in text


# Refusals with their reason ------------------------------------------------------------


def test_skipping_a_phase_is_refused_with_a_clear_message(
    client, experimentation, anact_coordinator
):
    client.force_login(anact_coordinator)
    _start(client, experimentation)
    EnrolledCompanyFactory(experimentation=experimentation)
    # A page loaded for another gate (or forged): the trial's gate is the one expected.
    data = _decision(experimentation, Gate.EXTENSION)
    response = client.post(_url("experimentation_decide", experimentation.pk), data)
    assert response.status_code == 200
    errors = response.context["form"].non_field_errors().as_data()
    assert [e.code for e in errors] == ["phase_skipped"]
    assert escape(str(Gate.EVALUATION.label)) in response.text
    experimentation.refresh_from_db()
    assert experimentation.status == Phase.TRIAL
    assert not StageDecision.objects.exists()


def test_deciding_without_criteria_is_refused_with_a_clear_message(
    client, experimentation, anact_coordinator
):
    client.force_login(anact_coordinator)
    _start(client, experimentation)
    EnrolledCompanyFactory(experimentation=experimentation)
    client.post(
        _url("experimentation_decide", experimentation.pk),
        _decision(experimentation, Gate.EVALUATION),
    )
    experimentation.criteria.filter(gate=Gate.EXTENSION).delete()
    experimentation.evaluation.findings = "Résultats"
    experimentation.evaluation.save()
    url = _url("experimentation_decide", experimentation.pk)
    page = client.get(url)
    assert page.context["criteria"] == []
    assert _url("experimentation_update", experimentation.pk) in page.text
    response = client.post(url, {"gate": Gate.EXTENSION, "outcome": "go"})
    assert response.status_code == 200
    assert [e.code for e in response.context["form"].non_field_errors().as_data()] == [
        "no_criteria"
    ]
    experimentation.refresh_from_db()
    assert experimentation.status == Phase.EVALUATION
    # Stopping stays possible, with its reason.
    response = client.post(
        url, {"gate": Gate.EXTENSION, "outcome": "stop", "comment": "Financement arrêté."}
    )
    assert response.status_code == 302
    experimentation.refresh_from_db()
    assert experimentation.status == Phase.STOPPED
    assert experimentation.stop_reason == "Financement arrêté."


def test_going_on_with_a_criterion_unanswered_is_refused_next_to_it(
    client, experimentation, anact_coordinator
):
    client.force_login(anact_coordinator)
    _start(client, experimentation)
    EnrolledCompanyFactory(experimentation=experimentation)
    first, second = _criteria(experimentation, Gate.EVALUATION)
    data = _decision(experimentation, Gate.EVALUATION)
    del data[f"c{second.pk}-met"]
    data[f"c{second.pk}-url"] = ""
    data[f"c{first.pk}-note"] = "Noté pendant l’essai"
    response = client.post(_url("experimentation_decide", experimentation.pk), data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {f"c{second.pk}-met", f"c{second.pk}-url"}
    # What was typed is kept.
    assert "Noté pendant l’essai" in response.text
    assert f'value="{LINK}"' in response.text
    assert not StageDecision.objects.exists()
    experimentation.refresh_from_db()
    assert experimentation.status == Phase.TRIAL


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"outcome": ""}, "outcome"),
        ({"outcome": "maybe"}, "outcome"),
        ({"url": "pas une adresse"}, "url"),
        ({"url": "https://exemple.fr/" + "x" * 500}, "url"),
        ({"note": "<script>alert(1)</script>"}, "note"),
        ({"note": "N" * 1001}, "note"),
        ({"comment": "<b>gras</b>"}, "comment"),
        ({"comment": "C" * 2001}, "comment"),
        ({"met": "no"}, "comment"),
        ({"outcome": "stop", "met": ""}, "comment"),
        ({"document": "999999"}, "document"),
    ],
)
def test_invalid_decision_is_refused_next_to_the_field_and_kept(
    client, experimentation, anact_coordinator, changes, field
):
    foreign = DocumentFactory()  # of another agreement: not offered
    client.force_login(anact_coordinator)
    _start(client, experimentation)
    EnrolledCompanyFactory(experimentation=experimentation)
    first, second = _criteria(experimentation, Gate.EVALUATION)
    data = _decision(experimentation, Gate.EVALUATION, comment="")
    data[f"c{second.pk}-note"] = "Observation conservée"
    for name, value in changes.items():
        if name in ("url", "note", "met", "document"):
            if value == "999999":
                value = foreign.pk
            data[f"c{first.pk}-{name}"] = value
        else:
            data[name] = value
    response = client.post(_url("experimentation_decide", experimentation.pk), data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    key = f"c{first.pk}-{field}" if field in ("url", "note", "document") else field
    assert key in errors, errors
    assert "Observation conservée" in response.text
    assert "<script>alert(1)</script>" not in response.text
    assert not StageDecision.objects.exists()
    assert not CriterionAssessment.objects.exists()
    experimentation.refresh_from_db()
    assert experimentation.status == Phase.TRIAL


def test_required_decision_message_is_in_french(client, experimentation, anact_coordinator):
    client.force_login(anact_coordinator)
    _start(client, experimentation)
    response = client.post(
        _url("experimentation_decide", experimentation.pk), {"gate": Gate.EVALUATION}
    )
    assert "Ce champ est obligatoire." in response.text


def test_stop_from_the_transition_page_is_the_stop_decision_of_the_gate(
    client, experimentation, anact_coordinator
):
    client.force_login(anact_coordinator)
    _start(client, experimentation)
    url = _url("experimentation_transition", experimentation.pk, "stop")
    client.post(url, {"reason": "Les structures se sont retirées."})
    decision = experimentation.decisions.get()
    assert (decision.gate, decision.outcome) == (Gate.EVALUATION, "stop")
    page = client.get(experimentation.get_absolute_url())
    assert [g["state"] for g in page.context["gates"]] == ["stop", "unreached", "unreached"]


# Who may decide ------------------------------------------------------------------------


@pytest.mark.parametrize("person", ["anact_reader", "anact_contributor", "inrs_reader"])
def test_reader_cannot_decide(client, experimentation, anact_coordinator, person, request):
    client.force_login(anact_coordinator)
    _start(client, experimentation)
    EnrolledCompanyFactory(experimentation=experimentation)
    client.force_login(request.getfixturevalue(person))
    url = _url("experimentation_decide", experimentation.pk)
    assert url not in client.get(experimentation.get_absolute_url()).text
    assert client.get(url).status_code == 403
    assert client.post(url, _decision(experimentation, Gate.EVALUATION)).status_code == 403
    experimentation.refresh_from_db()
    assert experimentation.status == Phase.TRIAL


def test_outsider_gets_404_on_the_decision(client, experimentation, outsider):
    client.force_login(outsider)
    url = _url("experimentation_decide", experimentation.pk)
    assert client.get(url).status_code == 404
    assert client.post(url, {}).status_code == 404


def test_evidence_documents_offered_are_those_of_the_agreement(
    client, experimentation, anact_coordinator
):
    own = DocumentFactory(agreement=experimentation.agreement, title="Compte rendu")
    DocumentFactory(title="Document d’un autre accord")
    client.force_login(anact_coordinator)
    _start(client, experimentation)
    page = client.get(_url("experimentation_decide", experimentation.pk))
    first = _criteria(experimentation, Gate.EVALUATION)[0]
    offered = list(page.context["form"].fields[f"c{first.pk}-document"].queryset)
    assert offered == [own]


# Criteria written at design time -------------------------------------------------------


def test_coordinator_writes_the_criteria_of_each_gate_on_the_edit_page(
    client, agreement, anact_coordinator
):
    experimentation = ExperimentationFactory(agreement=agreement)
    client.force_login(anact_coordinator)
    url = _url("experimentation_update", experimentation.pk)
    data = _edit_data(client, experimentation)
    data.update(
        {
            "criteria-0-gate": Gate.EVALUATION,
            "criteria-0-text": "Baisse de l’absentéisme.",
            "criteria-1-gate": Gate.EVALUATION,
            "criteria-1-text": "Démarche reprise par l’encadrement.",
            "criteria-2-gate": Gate.DEPLOYMENT,
            "criteria-2-text": "Financement décidé.",
        }
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.context and response.context["form"].errors
    criteria = list(experimentation.criteria.order_by("gate", "position"))
    assert [(c.gate, c.position, c.text) for c in criteria] == [
        (Gate.DEPLOYMENT, 1, "Financement décidé."),
        (Gate.EVALUATION, 1, "Baisse de l’absentéisme."),
        (Gate.EVALUATION, 2, "Démarche reprise par l’encadrement."),
    ]
    assert criteria[0].history.get().history_user == anact_coordinator


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ({"criteria-0-gate": "", "criteria-0-text": "Sans décision"}, "gate"),
        ({"criteria-0-gate": "teleport", "criteria-0-text": "Décision inconnue"}, "gate"),
        ({"criteria-0-gate": "evaluation", "criteria-0-text": ""}, "text"),
        ({"criteria-0-gate": "evaluation", "criteria-0-text": "<i>Critère</i>"}, "text"),
        ({"criteria-0-gate": "evaluation", "criteria-0-text": "C" * 1001}, "text"),
    ],
)
def test_invalid_criterion_is_refused_next_to_the_field(
    client, agreement, anact_coordinator, row, field
):
    experimentation = ExperimentationFactory(agreement=agreement, title="Titre gardé")
    client.force_login(anact_coordinator)
    url = _url("experimentation_update", experimentation.pk)
    data = _edit_data(client, experimentation)
    data["summary"] = "Résumé tapé"
    data.update(row)
    response = client.post(url, data)
    assert response.status_code == 200
    assert field in response.context["formsets"]["criteria"].forms[0].errors
    assert "Résumé tapé" in response.text
    assert not StageCriterion.objects.exists()
    experimentation.refresh_from_db()
    assert experimentation.summary != "Résumé tapé"


def test_criteria_of_a_decided_gate_are_frozen(client, experimentation, anact_coordinator):
    client.force_login(anact_coordinator)
    _start(client, experimentation)
    EnrolledCompanyFactory(experimentation=experimentation)
    client.post(
        _url("experimentation_decide", experimentation.pk),
        _decision(experimentation, Gate.EVALUATION),
    )
    url = _url("experimentation_update", experimentation.pk)
    page = client.get(url)
    formset = page.context["formsets"]["criteria"]
    editable = {form.instance.gate for form in formset.initial_forms}
    assert editable == {Gate.EXTENSION, Gate.DEPLOYMENT}
    gates = [value for value, _ in formset.forms[0].fields["gate"].choices]
    assert Gate.EVALUATION not in gates
    assert list(page.context["frozen_criteria"]) == _criteria(experimentation, Gate.EVALUATION)
    # A forged row for the decided gate is refused.
    data = _edit_data(client, experimentation)
    extra = int(data["criteria-TOTAL_FORMS"]) - 1
    data[f"criteria-{extra}-gate"] = Gate.EVALUATION
    data[f"criteria-{extra}-text"] = "Ajouté après coup"
    response = client.post(url, data)
    assert response.status_code == 200
    assert "gate" in response.context["formsets"]["criteria"].forms[extra].errors
    assert experimentation.criteria.filter(gate=Gate.EVALUATION).count() == 2


# Queries -------------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [1, 50])
def test_detail_with_decisions_query_count_does_not_grow(
    client, experimentation, anact_coordinator, django_assert_num_queries, rows
):
    report = DocumentFactory(agreement=experimentation.agreement)
    client.force_login(anact_coordinator)
    _start(client, experimentation)
    for n in range(rows):
        EnrolledCompanyFactory(experimentation=experimentation, region=list(Region)[n % 18])
        IndicatorFactory(experimentation=experimentation)
        StageCriterionFactory(experimentation=experimentation, gate=Gate.EVALUATION)
    data = {"gate": Gate.EVALUATION, "outcome": "go"}
    for criterion in _criteria(experimentation, Gate.EVALUATION):
        data[f"c{criterion.pk}-met"] = "yes"
        data[f"c{criterion.pk}-document"] = report.pk
    assert client.post(_url("experimentation_decide", experimentation.pk), data).status_code == 302
    # session, user, staff profile, the experimentation (with agreement, convention,
    # evaluation and report), the parties of the agreement (access rule), its partners with
    # organisations, territories, companies, criteria, decisions with their authors, the
    # assessments with their documents, the indicators, the history.
    # ... and the bell's unread count, the comments (whether the person follows the record is
    # read with the record).
    with django_assert_num_queries(15):
        response = client.get(experimentation.get_absolute_url())
    assert response.status_code == 200
    assert len(response.context["gates"][0]["criteria"]) == rows + 2
    assert response.context["map_total"] == rows


@pytest.mark.parametrize("rows", [1, 50])
def test_decision_page_query_count_does_not_grow(
    client, experimentation, anact_coordinator, django_assert_num_queries, rows
):
    client.force_login(anact_coordinator)
    _start(client, experimentation)
    for _n in range(rows):
        EnrolledCompanyFactory(experimentation=experimentation)
        StageCriterionFactory(experimentation=experimentation, gate=Gate.EVALUATION)
        DocumentFactory(agreement=experimentation.agreement)
    # session, user, staff profile, the experimentation with its agreement and convention,
    # the agreement's parties (access rule), the gate's criteria, the documents offered as
    # evidence (once for all the criteria).
    # ... and the bell's unread count.
    with django_assert_num_queries(8):
        response = client.get(_url("experimentation_decide", experimentation.pk))
    assert len(response.context["criterion_rows"]) == rows + 2
