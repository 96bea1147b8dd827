"""Staff pages of the experimentations: list, detail, edit with partners, territories and
evaluation, phase transitions, enrolled companies one by one."""

import datetime

import pytest
from django.urls import reverse
from django.utils.html import escape

from experimentations.models import (
    EnrolledCompany,
    Evaluation,
    Experimentation,
    ExperimentationPartner,
    Priority,
    Sector,
    Territory,
)
from partnership.models import Region
from tests.factories import (
    AgreementPartyFactory,
    ConventionFactory,
    EnrolledCompanyFactory,
    EvaluationFactory,
    ExperimentationFactory,
    ExperimentationPartnerFactory,
    SignedAgreementFactory,
    StageCriterionFactory,
    TerritoryFactory,
)

Phase = Experimentation.Phase


@pytest.fixture
def experimentation(agreement, anact, aract):
    """Designed with Anact as lead and the Aract as regional partner, ready for its trial."""
    experimentation = ExperimentationFactory(
        agreement=agreement,
        title="Aide à domicile : prévenir l’usure",
        summary="Tester une démarche de prévention de l’usure dans les services d’aide.",
        priority=Priority.WEAR,
        sector=Sector.HOME_CARE,
    )
    ExperimentationPartnerFactory(experimentation=experimentation, organisation=anact, is_lead=True)
    ExperimentationPartnerFactory(
        experimentation=experimentation,
        organisation=aract,
        level=ExperimentationPartner.Level.REGIONAL,
    )
    TerritoryFactory(experimentation=experimentation, region=Region.ARA)
    EvaluationFactory(experimentation=experimentation)
    StageCriterionFactory(
        experimentation=experimentation, text="Absentéisme en baisse dans la moitié des structures."
    )
    EnrolledCompanyFactory(experimentation=experimentation, name="Domicile Services Lyon")
    return experimentation


def _url(name, *args):
    return reverse(f"experimentations:{name}", args=args)


def _value(value):
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _form_fields(form, data):
    for name, field in form.fields.items():
        value = form[name].value()
        if isinstance(value, bool) or getattr(field.widget, "input_type", None) == "checkbox":
            if value:
                data[form.add_prefix(name)] = "on"
        else:
            data[form.add_prefix(name)] = _value(value)


def _post_data_from(response):
    """What the browser would post back from the edit page, unchanged."""
    data = {}
    _form_fields(response.context["form"], data)
    for formset in response.context.get("formsets", {}).values():
        management = formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = _value(management[name].value())
        for form in formset.forms:
            _form_fields(form, data)
    return data


def _create_data(**overrides):
    data = {
        "title": "Maladies chroniques et travail en PME",
        "summary": "Accompagner cinq PME dans le maintien en emploi.",
        "priority": Priority.CHRONIC_ILLNESS,
        "sector": Sector.SMALL_FIRMS,
        "convention": "",
        "starts_on": "2026-01-05",
        "ends_on": "2027-06-30",
        "partners-TOTAL_FORMS": "2",
        "partners-INITIAL_FORMS": "0",
        "partners-MIN_NUM_FORMS": "0",
        "partners-MAX_NUM_FORMS": "1000",
        "territories-TOTAL_FORMS": "2",
        "territories-INITIAL_FORMS": "0",
        "territories-MIN_NUM_FORMS": "0",
        "territories-MAX_NUM_FORMS": "1000",
        "evaluation-TOTAL_FORMS": "1",
        "evaluation-INITIAL_FORMS": "0",
        "evaluation-MIN_NUM_FORMS": "0",
        "evaluation-MAX_NUM_FORMS": "1",
        "criteria-TOTAL_FORMS": "3",
        "criteria-INITIAL_FORMS": "0",
        "criteria-MIN_NUM_FORMS": "0",
        "criteria-MAX_NUM_FORMS": "1000",
        "indicators-TOTAL_FORMS": "2",
        "indicators-INITIAL_FORMS": "0",
        "indicators-MIN_NUM_FORMS": "0",
        "indicators-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


def _company_data(**overrides):
    data = {
        "name": "Menuiserie Dubois",
        "sector": Sector.INDUSTRY,
        "size_class": EnrolledCompany.SizeClass.TPE,
        "region": Region.BRE,
        "joined_phase": Phase.TRIAL,
        "enrolled_on": "2026-02-01",
        "left_on": "",
        "status": EnrolledCompany.Status.ACTIVE,
    }
    data.update(overrides)
    return data


def _messages(response):
    return [str(message) for message in response.context["messages"]]


# Seeing -------------------------------------------------------------------------------


def test_reader_sees_the_experimentation_with_partners_territories_and_companies(
    client, experimentation, anact_reader
):
    client.force_login(anact_reader)
    response = client.get(experimentation.get_absolute_url())
    assert response.status_code == 200
    text = response.text
    assert experimentation.title in text
    assert "Domicile Services Lyon" in text
    assert "Auvergne-Rhône-Alpes" in text
    assert experimentation.agreement.get_absolute_url() in text
    partners = list(response.context["object"].partners.all())
    assert partners[0].is_lead
    assert [step["state"] for step in response.context["phase_steps"]] == [
        "current",
        "todo",
        "todo",
        "todo",
        "todo",
    ]
    assert experimentation.evaluation.criteria in text


def test_reader_gets_no_edit_buttons(client, experimentation, anact_reader):
    client.force_login(anact_reader)
    text = client.get(experimentation.get_absolute_url()).text
    company = experimentation.companies.get()
    for url in (
        _url("experimentation_update", experimentation.pk),
        _url("experimentation_delete", experimentation.pk),
        _url("experimentation_transition", experimentation.pk, "start_trial"),
        _url("company_create", experimentation.pk),
        _url("company_update", company.pk),
        _url("company_delete", company.pk),
    ):
        assert url not in text


def test_coordinator_gets_the_edit_and_transition_buttons(
    client, experimentation, anact_coordinator
):
    client.force_login(anact_coordinator)
    text = client.get(experimentation.get_absolute_url()).text
    assert _url("experimentation_update", experimentation.pk) in text
    assert _url("experimentation_transition", experimentation.pk, "start_trial") in text
    assert _url("experimentation_transition", experimentation.pk, "stop") in text
    # Phases cannot be skipped: no button for them.
    assert _url("experimentation_transition", experimentation.pk, "evaluate") not in text
    assert _url("company_create", experimentation.pk) in text


def test_every_empty_choice_of_the_edit_page_says_so_in_french(
    client, experimentation, anact_coordinator
):
    client.force_login(anact_coordinator)
    text = client.get(_url("experimentation_update", experimentation.pk)).text
    assert "- Choisir une option -" in text
    assert "---------" not in text  # the stage criteria's gate had Django's bare dashes


def test_aract_reader_sees_the_experimentations_of_their_network(
    client, experimentation, aract_reader
):
    client.force_login(aract_reader)
    assert client.get(experimentation.get_absolute_url()).status_code == 200


def test_outsider_gets_404_everywhere_and_does_not_see_it_listed(
    client, experimentation, agreement, outsider
):
    client.force_login(outsider)
    company = experimentation.companies.get()
    assert client.get(experimentation.get_absolute_url()).status_code == 404
    for url in (
        _url("experimentation_update", experimentation.pk),
        _url("experimentation_delete", experimentation.pk),
        _url("experimentation_transition", experimentation.pk, "start_trial"),
        _url("experimentation_create", agreement.pk),
        _url("company_create", experimentation.pk),
        _url("company_update", company.pk),
        _url("company_delete", company.pk),
    ):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {}).status_code == 404, url
    response = client.get(_url("experimentation_list"))
    assert response.status_code == 200
    assert experimentation.title not in response.text
    # Nor its agreement in the filter's choices.
    assert agreement.reference not in response.text


@pytest.mark.parametrize("person", ["anact_reader", "anact_contributor", "inrs_reader"])
def test_reader_cannot_edit_delete_or_move_the_experimentation(
    client, experimentation, agreement, person, request
):
    client.force_login(request.getfixturevalue(person))
    company = experimentation.companies.get()
    for url in (
        _url("experimentation_update", experimentation.pk),
        _url("experimentation_delete", experimentation.pk),
        _url("experimentation_transition", experimentation.pk, "start_trial"),
        _url("experimentation_transition", experimentation.pk, "stop"),
        _url("experimentation_create", agreement.pk),
        _url("company_create", experimentation.pk),
        _url("company_update", company.pk),
        _url("company_delete", company.pk),
    ):
        assert client.get(url).status_code == 403, url
        assert client.post(url, {"title": "Piraté", "reason": "x"}).status_code == 403, url
    experimentation.refresh_from_db()
    assert experimentation.title != "Piraté"
    assert experimentation.status == Phase.DESIGN
    assert experimentation.companies.count() == 1


# The list -----------------------------------------------------------------------------


def test_list_shows_partners_lead_territories_phase_and_company_count(
    client, experimentation, anact_reader
):
    EnrolledCompanyFactory(experimentation=experimentation)
    client.force_login(anact_reader)
    response = client.get(_url("experimentation_list"))
    assert response.status_code == 200
    row = response.context["object_list"][0]
    assert row.company_count == 2
    assert [p.organisation.acronym for p in row.partners.all()] == ["Anact", "Aract ARA"]
    assert "Auvergne-Rhône-Alpes" in response.text
    assert _url("experimentation_create", experimentation.agreement_id) not in response.text


def test_coordinator_is_offered_to_create_under_their_agreement(
    client, agreement, anact_coordinator
):
    client.force_login(anact_coordinator)
    response = client.get(_url("experimentation_list"))
    assert _url("experimentation_create", agreement.pk) in response.text


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"phase": "trial"}, ["Essai en cours"]),
        ({"priority": Priority.QVT}, ["Essai en cours"]),
        ({"sector": Sector.INDUSTRY}, ["Essai en cours"]),
        ({"region": Region.BRE}, ["Essai en cours"]),
        ({"q": "usure"}, ["Aide à domicile : prévenir l’usure"]),
        ({"o": "title"}, ["Aide à domicile : prévenir l’usure", "Essai en cours"]),
        ({"o": "-phase"}, ["Essai en cours", "Aide à domicile : prévenir l’usure"]),
        ({"o": "phase"}, ["Aide à domicile : prévenir l’usure", "Essai en cours"]),
    ],
)
def test_list_filters_and_sorts_in_the_url(client, experimentation, anact_reader, query, expected):
    other = ExperimentationFactory(
        agreement=experimentation.agreement,
        title="Essai en cours",
        priority=Priority.QVT,
        sector=Sector.INDUSTRY,
        status=Phase.TRIAL,
    )
    TerritoryFactory(experimentation=other, region=Region.BRE)
    TerritoryFactory(experimentation=other, region=Region.NOR)
    client.force_login(anact_reader)
    response = client.get(_url("experimentation_list"), query)
    assert response.status_code == 200
    assert [e.title for e in response.context["object_list"]] == expected


def test_list_filters_by_partner_and_agreement(client, experimentation, anact, inrs, anact_reader):
    second_agreement = SignedAgreementFactory()
    AgreementPartyFactory(agreement=second_agreement, organisation=anact)
    other = ExperimentationFactory(agreement=second_agreement, title="Autre accord")
    ExperimentationPartnerFactory(experimentation=other, organisation=inrs)
    client.force_login(anact_reader)
    by_partner = client.get(_url("experimentation_list"), {"partner": inrs.pk})
    assert [e.title for e in by_partner.context["object_list"]] == ["Autre accord"]
    by_agreement = client.get(
        _url("experimentation_list"), {"agreement": experimentation.agreement_id}
    )
    assert [e.pk for e in by_agreement.context["object_list"]] == [experimentation.pk]


def _populate(agreement, rows):
    for index in range(rows):
        experimentation = ExperimentationFactory(agreement=agreement)
        ExperimentationPartnerFactory(experimentation=experimentation, is_lead=True)
        ExperimentationPartnerFactory(experimentation=experimentation)
        TerritoryFactory(experimentation=experimentation, region=Region.ARA)
        TerritoryFactory(experimentation=experimentation, region=Region.OCC)
        EnrolledCompanyFactory(experimentation=experimentation)
        if index % 2:
            EnrolledCompanyFactory(experimentation=experimentation)


@pytest.mark.parametrize("rows", [1, 50])
def test_experimentation_list_query_count_does_not_grow(
    client, agreement, anact_coordinator, django_assert_num_queries, rows
):
    _populate(agreement, rows)
    client.force_login(anact_coordinator)
    # session, user, staff profile, the count, the companies by region (the map), the
    # agreements offered for a new experimentation and the parties of the one offered (access
    # rule), the partner organisations and the agreements of the filter, the page of
    # experimentations (with agreement, convention, company count), their partners with
    # organisations, their territories.
    # ... and the bell's unread count.
    with django_assert_num_queries(13):
        response = client.get(_url("experimentation_list"))
    assert response.status_code == 200
    assert len(response.context["object_list"]) == min(rows, 25)


@pytest.mark.parametrize("rows", [1, 50])
def test_experimentation_detail_query_count_does_not_grow(
    client, agreement, anact_coordinator, django_assert_num_queries, rows
):
    experimentation = ExperimentationFactory(agreement=agreement)
    EvaluationFactory(experimentation=experimentation)
    for index in range(rows):
        ExperimentationPartnerFactory(experimentation=experimentation, is_lead=index == 0)
        EnrolledCompanyFactory(experimentation=experimentation)
    for region in list(Region)[:rows]:
        TerritoryFactory(experimentation=experimentation, region=region)
    client.force_login(anact_coordinator)
    # session, user, staff profile, the experimentation (with agreement, convention,
    # evaluation and report), the parties of the agreement (access rule), its partners
    # with organisations, its territories, its companies, its criteria, its decisions (none
    # here: their assessments are not asked for), its indicators, the history.
    # ... and the bell's unread count, the comments (whether the person follows the record is
    # read with the record).
    with django_assert_num_queries(14):
        response = client.get(experimentation.get_absolute_url())
    assert response.status_code == 200
    assert len(response.context["object"].companies.all()) == rows


# Creating and editing -----------------------------------------------------------------


def test_coordinator_creates_an_experimentation_with_partners_territories_and_evaluation(
    client, agreement, anact, aract, anact_coordinator
):
    client.force_login(anact_coordinator)
    url = _url("experimentation_create", agreement.pk)
    assert client.get(url).status_code == 200
    data = _create_data(
        **{
            "partners-0-organisation": anact.pk,
            "partners-0-level": "national",
            "partners-0-is_lead": "on",
            "partners-1-organisation": aract.pk,
            "partners-1-level": "regional",
            "territories-0-region": Region.ARA,
            "territories-1-region": Region.BRE,
            "evaluation-0-method": "Entretiens avant et après.",
            "evaluation-0-criteria": "Maintien en emploi de 80 % des salariés suivis.",
        }
    )
    response = client.post(url, data)
    experimentation = Experimentation.objects.get(title="Maladies chroniques et travail en PME")
    assert response.status_code == 302
    assert response["Location"] == experimentation.get_absolute_url()
    assert experimentation.agreement == agreement
    assert experimentation.status == Phase.DESIGN
    assert experimentation.partners.get(is_lead=True).organisation == anact
    assert set(experimentation.territories.values_list("region", flat=True)) == {"ARA", "BRE"}
    assert experimentation.evaluation.criteria.startswith("Maintien")
    assert experimentation.history.first().history_user == anact_coordinator


def test_evaluation_is_created_only_when_filled(client, agreement, anact_coordinator):
    client.force_login(anact_coordinator)
    response = client.post(_url("experimentation_create", agreement.pk), _create_data())
    assert response.status_code == 302
    experimentation = Experimentation.objects.get()
    assert not Evaluation.objects.filter(experimentation=experimentation).exists()
    # Written later on the edit page.
    url = _url("experimentation_update", experimentation.pk)
    data = _post_data_from(client.get(url))
    data["evaluation-0-method"] = "Questionnaires."
    data["evaluation-0-criteria"] = "Baisse de l’absentéisme."
    assert client.post(url, data).status_code == 302
    assert Evaluation.objects.get(experimentation=experimentation).method == "Questionnaires."


def test_coordinator_edits_and_moves_the_lead_in_one_save(
    client, experimentation, anact, aract, anact_coordinator
):
    client.force_login(anact_coordinator)
    url = _url("experimentation_update", experimentation.pk)
    response = client.get(url)
    assert response.status_code == 200
    data = _post_data_from(response)
    # Rows are ordered lead first: Anact (lead), then the Aract.
    assert data["partners-0-organisation"] == str(anact.pk)
    data.pop("partners-0-is_lead")
    data["partners-1-is_lead"] = "on"
    data["title"] = "Aide à domicile : prévenir l’usure professionnelle"
    data["evaluation-0-findings"] = "Premiers résultats encourageants."
    response = client.post(url, data)
    assert response.status_code == 302, response.context and response.context["form"].errors
    experimentation.refresh_from_db()
    assert experimentation.title.endswith("professionnelle")
    assert experimentation.partners.get(is_lead=True).organisation == aract
    assert experimentation.evaluation.findings == "Premiers résultats encourageants."
    assert Evaluation.objects.filter(experimentation=experimentation).count() == 1


def test_two_leads_are_refused_with_a_formset_message(
    client, agreement, anact, inrs, anact_coordinator
):
    client.force_login(anact_coordinator)
    data = _create_data(
        **{
            "partners-0-organisation": anact.pk,
            "partners-0-level": "national",
            "partners-0-is_lead": "on",
            "partners-1-organisation": inrs.pk,
            "partners-1-level": "national",
            "partners-1-is_lead": "on",
        }
    )
    response = client.post(_url("experimentation_create", agreement.pk), data)
    assert response.status_code == 200
    errors = response.context["formsets"]["partners"].non_form_errors()
    assert [e.code for e in errors.as_data()] == ["several_leads"]
    assert 'class="alert alert-danger"' in response.text
    assert 'value="Maladies chroniques et travail en PME"' in response.text
    assert not Experimentation.objects.exists()


def test_same_partner_twice_is_refused(client, agreement, anact, anact_coordinator):
    client.force_login(anact_coordinator)
    data = _create_data(
        **{
            "partners-0-organisation": anact.pk,
            "partners-0-level": "national",
            "partners-1-organisation": anact.pk,
            "partners-1-level": "regional",
        }
    )
    response = client.post(_url("experimentation_create", agreement.pk), data)
    assert response.status_code == 200
    errors = response.context["formsets"]["partners"].non_form_errors()
    assert [e.code for e in errors.as_data()] == ["duplicate"]
    assert not Experimentation.objects.exists()
    assert not ExperimentationPartner.objects.exists()


def test_a_region_listed_twice_is_refused(client, agreement, anact_coordinator):
    client.force_login(anact_coordinator)
    data = _create_data(**{"territories-0-region": Region.ARA, "territories-1-region": Region.ARA})
    response = client.post(_url("experimentation_create", agreement.pk), data)
    assert response.status_code == 200
    errors = response.context["formsets"]["territories"].non_form_errors()
    assert [e.code for e in errors.as_data()] == ["duplicate"]
    assert not Experimentation.objects.exists()
    assert not Territory.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"starts_on": "2027-06-30", "ends_on": "2026-01-05"}, "ends_on"),
        ({"title": ""}, "title"),
        ({"priority": ""}, "priority"),
        ({"priority": "world_peace"}, "priority"),
        ({"title": "x" * 301}, "title"),
        ({"summary": "<script>alert(1)</script>"}, "summary"),
        ({"starts_on": "2026-13-45"}, "starts_on"),
    ],
)
def test_invalid_experimentation_is_refused_next_to_the_field_and_kept(
    client, agreement, anact_coordinator, overrides, field
):
    client.force_login(anact_coordinator)
    data = _create_data(summary="Résumé conservé", **{"territories-0-region": Region.ARA})
    data.update(overrides)
    response = client.post(_url("experimentation_create", agreement.pk), data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    if field != "summary":
        assert "Résumé conservé" in response.text
    if field != "title":
        assert 'value="Maladies chroniques et travail en PME"' in response.text
    assert not Experimentation.objects.exists()
    assert not Territory.objects.exists()


def test_required_field_message_is_in_french(client, agreement, anact_coordinator):
    client.force_login(anact_coordinator)
    response = client.post(_url("experimentation_create", agreement.pk), _create_data(title=""))
    assert "Ce champ est obligatoire." in response.text


def test_convention_of_another_agreement_is_refused(client, agreement, anact_coordinator):
    own = ConventionFactory(agreement=agreement)
    foreign = ConventionFactory()
    client.force_login(anact_coordinator)
    url = _url("experimentation_create", agreement.pk)
    response = client.post(url, _create_data(convention=foreign.pk))
    assert response.status_code == 200
    assert "convention" in response.context["form"].errors
    assert not Experimentation.objects.exists()
    assert client.post(url, _create_data(convention=own.pk)).status_code == 302
    assert Experimentation.objects.get().convention == own


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"evaluation-0-method": "", "evaluation-0-criteria": "Critère sans méthode"}, "method"),
        (
            {"evaluation-0-method": "Entretiens", "evaluation-0-criteria": "<b>gras</b>"},
            "criteria",
        ),
    ],
)
def test_invalid_evaluation_is_refused_next_to_the_field(
    client, agreement, anact_coordinator, overrides, field
):
    client.force_login(anact_coordinator)
    response = client.post(_url("experimentation_create", agreement.pk), _create_data(**overrides))
    assert response.status_code == 200
    evaluation_form = response.context["formsets"]["evaluation"].forms[0]
    assert field in evaluation_form.errors
    assert response.context["formsets_have_errors"]
    assert not Experimentation.objects.exists()
    assert not Evaluation.objects.exists()


def test_invalid_partner_row_is_refused_next_to_the_field(
    client, agreement, anact, anact_coordinator
):
    client.force_login(anact_coordinator)
    data = _create_data(**{"partners-0-organisation": anact.pk, "partners-0-level": ""})
    response = client.post(_url("experimentation_create", agreement.pk), data)
    assert response.status_code == 200
    assert "level" in response.context["formsets"]["partners"].forms[0].errors
    assert not Experimentation.objects.exists()


def test_coordinator_deletes_the_experimentation(client, experimentation, anact_coordinator):
    client.force_login(anact_coordinator)
    url = _url("experimentation_delete", experimentation.pk)
    assert client.get(url).status_code == 200
    response = client.post(url)
    assert response.status_code == 302
    assert response["Location"] == _url("experimentation_list")
    assert not Experimentation.objects.filter(pk=experimentation.pk).exists()
    assert not EnrolledCompany.objects.exists()


# Phases -------------------------------------------------------------------------------


def test_coordinator_walks_an_experimentation_from_design_to_evaluation(
    client, agreement, anact, aract, anact_coordinator
):
    client.force_login(anact_coordinator)
    client.post(
        _url("experimentation_create", agreement.pk),
        _create_data(
            **{
                "partners-0-organisation": anact.pk,
                "partners-0-level": "national",
                "partners-0-is_lead": "on",
                "partners-1-organisation": aract.pk,
                "partners-1-level": "regional",
                "territories-0-region": Region.ARA,
                "evaluation-0-method": "Entretiens avant et après.",
                "evaluation-0-criteria": "Maintien en emploi de 80 % des salariés suivis.",
                "criteria-0-gate": "evaluation",
                "criteria-0-text": "Maintien en emploi de 80 % des salariés suivis.",
            }
        ),
    )
    experimentation = Experimentation.objects.get()
    detail = experimentation.get_absolute_url()
    criterion = experimentation.criteria.get()

    start = _url("experimentation_transition", experimentation.pk, "start_trial")
    assert start in client.get(detail).text
    assert client.get(start).status_code == 200
    assert client.post(start)["Location"] == detail
    experimentation.refresh_from_db()
    assert experimentation.status == Phase.TRIAL

    # Evaluating a trial without any company is refused, with the reason.
    decide = _url("experimentation_decide", experimentation.pk)
    assert decide in client.get(detail).text
    decision = {
        "gate": "evaluation",
        "outcome": "go",
        f"c{criterion.pk}-met": "yes",
        f"c{criterion.pk}-url": "https://www.anact.fr/bilan-essai",
    }
    response = client.post(decide, decision)
    assert response.status_code == 200
    assert [e.code for e in response.context["form"].non_field_errors().as_data()] == ["no_company"]
    experimentation.refresh_from_db()
    assert experimentation.status == Phase.TRIAL

    add_company = _url("company_create", experimentation.pk)
    form = client.get(add_company).context["form"]
    assert form.initial["joined_phase"] == Phase.TRIAL
    response = client.post(add_company, _company_data())
    assert response["Location"] == f"{detail}#companies"

    assert client.post(decide, decision)["Location"] == f"{detail}#gates"
    experimentation.refresh_from_db()
    assert experimentation.status == Phase.EVALUATION
    response = client.get(detail)
    assert [step["state"] for step in response.context["phase_steps"]] == [
        "done",
        "done",
        "current",
        "todo",
        "todo",
    ]
    assert [h.status for h in experimentation.history.order_by("history_date")][-3:] == [
        "design",
        "trial",
        "evaluation",
    ]


@pytest.mark.parametrize("name", ["evaluate", "extend", "deploy"])
def test_phases_past_the_trial_have_no_transition_of_their_own(
    client, experimentation, anact_coordinator, name
):
    client.force_login(anact_coordinator)
    url = _url("experimentation_transition", experimentation.pk, name)
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    experimentation.refresh_from_db()
    assert experimentation.status == Phase.DESIGN


def test_no_stage_decision_in_design(client, experimentation, anact_coordinator):
    client.force_login(anact_coordinator)
    url = _url("experimentation_decide", experimentation.pk)
    response = client.post(url, {"gate": "evaluation", "outcome": "go"}, follow=True)
    assert response.redirect_chain[-1][0] == experimentation.get_absolute_url()
    assert len(_messages(response)) == 1
    experimentation.refresh_from_db()
    assert experimentation.status == Phase.DESIGN
    assert not experimentation.decisions.exists()


def test_trial_without_criteria_is_refused_with_its_reason(
    client, experimentation, anact_coordinator
):
    experimentation.criteria.all().delete()
    client.force_login(anact_coordinator)
    url = _url("experimentation_transition", experimentation.pk, "start_trial")
    response = client.post(url, follow=True)
    assert any("criteria" in m or "critères" in m for m in _messages(response))
    experimentation.refresh_from_db()
    assert experimentation.status == Phase.DESIGN


def test_unknown_transition_is_404(client, experimentation, anact_coordinator):
    client.force_login(anact_coordinator)
    url = _url("experimentation_transition", experimentation.pk, "teleport")
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    "reason",
    ["", "   ", "<script>alert(1)</script>", "Trop long. " * 300],
    ids=["empty", "blank", "script", "too-long"],
)
def test_invalid_stop_reason_is_refused_next_to_the_field(
    client, experimentation, anact_coordinator, reason
):
    client.force_login(anact_coordinator)
    url = _url("experimentation_transition", experimentation.pk, "stop")
    response = client.post(url, {"reason": reason})
    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    if reason.strip():
        assert escape(reason.strip()) in response.text
    experimentation.refresh_from_db()
    assert experimentation.status == Phase.DESIGN
    assert experimentation.stop_reason == ""


def test_stopping_needs_a_reason_which_the_page_then_shows(
    client, experimentation, anact_coordinator
):
    client.force_login(anact_coordinator)
    url = _url("experimentation_transition", experimentation.pk, "stop")
    response = client.post(url, {"reason": ""})
    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    assert "Ce champ est obligatoire." in response.text
    experimentation.refresh_from_db()
    assert experimentation.status == Phase.DESIGN

    client.post(url, {"reason": "Les structures n’ont pas pu dégager de temps."})
    experimentation.refresh_from_db()
    assert experimentation.status == Phase.STOPPED
    response = client.get(experimentation.get_absolute_url())
    assert "dégager de temps" in response.text
    assert [step["state"] for step in response.context["phase_steps"]] == [
        "done",
        "todo",
        "todo",
        "todo",
        "todo",
    ]


# Enrolled companies -------------------------------------------------------------------


def test_coordinator_edits_and_removes_a_company(client, experimentation, anact_coordinator):
    company = experimentation.companies.get()
    client.force_login(anact_coordinator)
    url = _url("company_update", company.pk)
    data = _post_data_from(client.get(url))
    data.update(left_on="2026-05-01", status="withdrawn")
    response = client.post(url, data)
    assert response.status_code == 302
    company.refresh_from_db()
    assert company.status == EnrolledCompany.Status.WITHDRAWN
    assert company.left_on == datetime.date(2026, 5, 1)

    delete = _url("company_delete", company.pk)
    assert client.get(delete).status_code == 200
    response = client.post(delete)
    assert response["Location"] == f"{experimentation.get_absolute_url()}#companies"
    assert not experimentation.companies.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"enrolled_on": "2026-03-01", "left_on": "2026-02-01"}, "left_on"),
        ({"name": ""}, "name"),
        ({"enrolled_on": ""}, "enrolled_on"),
        ({"name": "x" * 201}, "name"),
        ({"name": "<img src=x onerror=alert(1)>"}, "name"),
        ({"size_class": "huge"}, "size_class"),
        ({"region": "XYZ"}, "region"),
        ({"name": "domicile services lyon"}, "name"),
    ],
)
def test_invalid_company_is_refused_next_to_the_field_and_kept(
    client, experimentation, anact_coordinator, overrides, field
):
    client.force_login(anact_coordinator)
    data = _company_data(**overrides)
    response = client.post(_url("company_create", experimentation.pk), data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    if field != "name":
        assert 'value="Menuiserie Dubois"' in response.text
    if field != "enrolled_on":
        assert f'value="{data["enrolled_on"]}"' in response.text
    assert experimentation.companies.count() == 1


def test_company_leaving_before_enrolment_is_refused_on_edit_too(
    client, experimentation, anact_coordinator
):
    company = experimentation.companies.get()
    client.force_login(anact_coordinator)
    response = client.post(
        _url("company_update", company.pk),
        _company_data(name=company.name, enrolled_on="2026-03-01", left_on="2026-01-01"),
    )
    assert response.status_code == 200
    assert "left_on" in response.context["form"].errors
    company.refresh_from_db()
    assert company.left_on is None
