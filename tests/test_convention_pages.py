"""The pages of the ad hoc conventions annexed to a framework agreement, and their amendments."""

import datetime

import pytest
from django.urls import reverse
from django.utils import translation

from conventions.models import Amendment, Commitment, Convention, ConventionParty
from conventions.views import ConventionList
from partnership.models import Agreement, Document
from tests import clock
from tests.factories import (
    ActionFactory,
    AgendaItemFactory,
    AgreementFactory,
    AgreementPartyFactory,
    CommitmentFactory,
    ConventionFactory,
    ConventionPartyFactory,
    OrganisationFactory,
    ProgrammeFactory,
    ThemeFactory,
)

REQUIRED = "Ce champ est obligatoire."


def in_french(message):
    """A message of ours as the French interface shows it (the msgid until it is translated)."""
    with translation.override("fr"):
        return str(translation.gettext(message))


@pytest.fixture
def theme(db):
    return ThemeFactory(code="tms", name="Troubles musculosquelettiques")


@pytest.fixture
def convention(agreement, anact, inrs, theme):
    convention = ConventionFactory(
        agreement=agreement,
        annex_number=1,
        theme=theme,
        title="Prévention des TMS dans l’aide à domicile",
        purpose="Conduire une étude commune.",
    )
    ConventionPartyFactory(convention=convention, organisation=anact)
    ConventionPartyFactory(convention=convention, organisation=inrs)
    return convention


@pytest.fixture
def signed_convention(convention):
    Convention.objects.filter(pk=convention.pk).update(
        status=Convention.Status.SIGNED, signed_on=datetime.date(2024, 3, 1)
    )
    convention.refresh_from_db()
    return convention


def _amend(convention, number, **fields):
    fields.setdefault("signed_on", datetime.date(2024, 6, 1))
    fields.setdefault("summary", f"Prolongation n° {number}.")
    return Amendment.objects.create(convention=convention, number=number, **fields)


def _management(prefix, total, initial=0):
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def _form_data(parties=(), commitments=(), **overrides):
    """The convention page as posted: main form, parties and commitments rows."""
    data = {
        "theme": "",
        "title": "Risques psychosociaux dans les TPE",
        "purpose": "Outiller les TPE.",
        "starts_on": "2025-01-01",
        "ends_on": "2026-12-31",
        "financial_terms": "Chaque partie supporte ses frais.",
        "intellectual_property": "Publication commune.",
        "confidentiality": "",
        "follow_up_arrangements": "Point trimestriel.",
        **_management("parties", len(parties)),
        **_management("commitments", len(commitments)),
    }
    for index, row in enumerate(parties):
        for key, value in row.items():
            data[f"parties-{index}-{key}"] = value
    for index, row in enumerate(commitments):
        for key, value in row.items():
            data[f"commitments-{index}-{key}"] = value
    data.update(overrides)
    return data


def _update_data(convention, **overrides):
    """The edit page of an existing convention posted back as it was, with changes."""
    parties = list(convention.parties.order_by("organisation__name"))
    commitments = list(convention.commitments.all())
    data = _form_data(
        title=convention.title,
        purpose=convention.purpose,
        starts_on=convention.starts_on.isoformat(),
        ends_on=convention.ends_on.isoformat(),
        theme=convention.theme_id,
        version=str(convention.version),
        parties=[
            {
                "id": party.pk,
                "version": party.version,
                "convention": convention.pk,
                "organisation": party.organisation_id,
            }
            for party in parties
        ],
        commitments=[
            {
                "id": commitment.pk,
                "version": commitment.version,
                "convention": convention.pk,
                "organisation": commitment.organisation_id,
                "description": commitment.description,
                "person_days": str(commitment.person_days),
                "budget": str(commitment.budget),
            }
            for commitment in commitments
        ],
    )
    data["parties-INITIAL_FORMS"] = str(len(parties))
    data["commitments-INITIAL_FORMS"] = str(len(commitments))
    data.update(overrides)
    return data


# Seeing -----------------------------------------------------------------------------------


def test_reader_of_a_party_sees_the_convention_without_edit_buttons(
    client, signed_convention, anact_reader
):
    _amend(signed_convention, 1)
    client.force_login(anact_reader)
    response = client.get(signed_convention.get_absolute_url())
    assert response.status_code == 200
    assert signed_convention.title in response.text
    assert 'id="amendments"' in response.text
    amendment = signed_convention.amendments.get()
    for url in (
        reverse("conventions:convention_update", args=[signed_convention.pk]),
        reverse("conventions:convention_delete", args=[signed_convention.pk]),
        reverse("conventions:convention_transition", args=[signed_convention.pk, "terminate"]),
        reverse("conventions:amendment_create", args=[signed_convention.pk]),
        reverse("conventions:amendment_update", args=[amendment.pk]),
        reverse("conventions:amendment_delete", args=[amendment.pk]),
    ):
        assert url not in response.text


def test_aract_staff_see_the_conventions_of_their_network(client, convention, aract_reader):
    client.force_login(aract_reader)
    assert client.get(convention.get_absolute_url()).status_code == 200


def test_outsider_gets_404_and_does_not_see_it_listed(client, convention, outsider):
    client.force_login(outsider)
    assert client.get(convention.get_absolute_url()).status_code == 404
    response = client.get(reverse("conventions:convention_list"))
    assert response.status_code == 200
    assert convention.title not in response.text
    for url in (
        reverse("conventions:convention_update", args=[convention.pk]),
        reverse("conventions:convention_create", args=[convention.agreement_id]),
        reverse("conventions:convention_transition", args=[convention.pk, "negotiate"]),
    ):
        assert client.get(url).status_code == 404


def test_detail_shows_the_agreement_annex_conditions_and_totals(
    client, convention, anact, inrs, anact_reader
):
    Convention.objects.filter(pk=convention.pk).update(
        financial_terms="Chaque partie finance sa part.",
        confidentiality="Données d’entreprises confidentielles.",
    )
    CommitmentFactory(convention=convention, organisation=anact, person_days=20, budget=1000)
    CommitmentFactory(convention=convention, organisation=anact, person_days=5, budget=500)
    CommitmentFactory(convention=convention, organisation=inrs, person_days=12, budget=0)
    client.force_login(anact_reader)
    response = client.get(convention.get_absolute_url())
    assert convention.agreement.get_absolute_url() in response.text
    assert "Chaque partie finance sa part." in response.text
    assert "Données d’entreprises confidentielles." in response.text
    groups = response.context["commitments_by_party"]
    assert [(str(g["organisation"]), g["person_days"], g["budget"]) for g in groups] == [
        ("Anact", 25, 1500),
        ("INRS", 12, 0),
    ]
    assert response.context["total_person_days"] == 37
    assert response.context["total_budget"] == 1500
    # Written as on every page: thousands grouped, two decimals for money.
    assert "1\xa0500,00" in response.text and "1500" not in response.text


def test_third_party_shows_its_badge(client, convention, outsider_organisation, anact_reader):
    ConventionPartyFactory(convention=convention, organisation=outsider_organisation)
    client.force_login(anact_reader)
    response = client.get(convention.get_absolute_url())
    flags = {str(p.organisation): p.third_party for p in response.context["object"].parties.all()}
    assert flags == {"Anact": False, "INRS": False, "Cnav": True}
    assert response.text.count('class="badge third-party-badge"') == 1
    listed = client.get(reverse("conventions:convention_list"))
    assert listed.text.count('class="badge third-party-badge"') == 1


def test_dates_outside_the_agreement_give_a_warning(client, convention, anact_reader):
    Convention.objects.filter(pk=convention.pk).update(ends_on=datetime.date(2031, 1, 1))
    client.force_login(anact_reader)
    response = client.get(convention.get_absolute_url())
    assert response.context["date_warnings"] == [
        in_french("The convention ends after its framework agreement.")
    ]
    assert in_french("The convention ends after its framework agreement.") in response.text


def test_detail_lists_the_actions_it_governs(client, convention, agreement, anact, anact_reader):
    action = ActionFactory(
        programme=ProgrammeFactory(agreement=agreement),
        lead_organisation=anact,
        convention=convention,
    )
    client.force_login(anact_reader)
    response = client.get(convention.get_absolute_url())
    assert list(response.context["actions"]) == [action]
    assert reverse("action_detail", args=[action.pk]) in response.text


def test_amendments_come_in_order(client, signed_convention, anact_reader):
    _amend(signed_convention, 2, summary="Deuxième avenant.")
    _amend(signed_convention, 1, summary="Premier avenant.")
    client.force_login(anact_reader)
    text = client.get(signed_convention.get_absolute_url()).text
    assert text.index("Premier avenant.") < text.index("Deuxième avenant.")


# The list --------------------------------------------------------------------------------


def test_list_filters_and_sorts_in_the_url(
    client, agreement, convention, theme, outsider_organisation, anact_reader
):
    other = ConventionFactory(
        agreement=agreement,
        annex_number=2,
        title="Prospective du travail",
        ends_on=datetime.date(2026, 6, 30),
    )
    ConventionPartyFactory(convention=other, organisation=outsider_organisation)
    client.force_login(anact_reader)
    url = reverse("conventions:convention_list")

    def titles(**query):
        response = client.get(url, query)
        assert response.status_code == 200
        return [c.title for c in response.context["object_list"]]

    assert titles() == [convention.title, other.title]
    assert titles(theme=theme.pk) == [convention.title]
    assert titles(party=outsider_organisation.pk) == [other.title]
    assert titles(status="draft", agreement=agreement.pk) == [convention.title, other.title]
    assert titles(status="signed") == []
    assert titles(q="prospective") == [other.title]
    assert titles(o="-annex_number") == [other.title, convention.title]
    assert titles(o="-ends_on") == [convention.title, other.title]
    assert titles(o="ends_on") == [other.title, convention.title]
    assert titles(o="-title") == list(reversed(titles(o="title")))


def test_page_links_keep_the_filters_and_the_order(
    client, agreement, convention, theme, anact_reader, monkeypatch
):
    monkeypatch.setattr(ConventionList, "paginate_by", 1)
    for number in (2, 3):
        ConventionFactory(agreement=agreement, annex_number=number, theme=theme)
    ConventionFactory(agreement=agreement, annex_number=4)  # another theme: filtered out
    client.force_login(anact_reader)
    url = reverse("conventions:convention_list")
    query = {"theme": theme.pk, "q": "", "o": "-annex_number"}

    response = client.get(url, {**query, "page": 2})
    assert [c.annex_number for c in response.context["object_list"]] == [2]
    # The page number replaced, every other parameter kept as it came (the empty one too).
    assert f'href="?theme={theme.pk}&amp;q=&amp;o=-annex_number&amp;page=1"' in response.text
    assert f'href="?theme={theme.pk}&amp;q=&amp;o=-annex_number&amp;page=3"' in response.text

    # Without a page in the URL, the next page's number comes last.
    response = client.get(url, query)
    assert f'href="?theme={theme.pk}&amp;q=&amp;o=-annex_number&amp;page=2"' in response.text
    assert "page=1" not in response.text


def test_agreement_filter_offers_only_visible_agreements(client, agreement, anact_reader):
    hidden = AgreementFactory()
    AgreementPartyFactory(agreement=hidden)
    client.force_login(anact_reader)
    response = client.get(reverse("conventions:convention_list"), {"agreement": hidden.pk})
    assert list(response.context["filter"].form.fields["agreement"].queryset) == [agreement]
    assert "agreement" in response.context["filter"].form.errors


@pytest.mark.parametrize("rows", [1, 50])
def test_convention_list_query_count_does_not_grow(
    client, agreement, anact, inrs, outsider_organisation, anact_reader,
    django_assert_num_queries, rows,
):  # fmt: skip
    theme = ThemeFactory()
    for number in range(1, rows + 1):
        convention = ConventionFactory(agreement=agreement, annex_number=number, theme=theme)
        for organisation in (anact, inrs, outsider_organisation):
            ConventionPartyFactory(convention=convention, organisation=organisation)
    client.force_login(anact_reader)
    # session, user, staff profile, the model permissions of the user and of their groups
    # (asked once for "can add"), agreements, themes and organisations of the filter form,
    # count, the page of conventions with agreement and theme, their parties with
    # organisation and third-party flag.
    # ... and the bell's unread count.
    with django_assert_num_queries(12):
        response = client.get(reverse("conventions:convention_list"))
    assert response.status_code == 200
    assert len(response.context["object_list"]) == min(rows, 25)


def test_coordinator_starts_a_new_convention_from_the_list(
    client, agreement, anact_coordinator, outsider
):
    client.force_login(anact_coordinator)
    list_page = client.get(reverse("conventions:convention_list"))
    assert reverse("conventions:convention_create_start") in list_page.text
    response = client.get(reverse("conventions:convention_create_start"), {"accord": agreement.pk})
    assert response.status_code == 302
    assert response["Location"] == reverse("conventions:convention_create", args=[agreement.pk])
    assert client.get(reverse("conventions:convention_create_start")).status_code == 302
    client.force_login(outsider)
    response = client.get(reverse("conventions:convention_create_start"), {"accord": agreement.pk})
    assert response.status_code == 404


# Creating and editing ----------------------------------------------------------------------


def test_create_page_offers_the_agreement_parties(
    client, agreement, anact, inrs, anact_coordinator
):
    client.force_login(anact_coordinator)
    response = client.get(reverse("conventions:convention_create", args=[agreement.pk]))
    assert response.status_code == 200
    parties = response.context["formsets"]["parties"]
    assert [form.initial.get("organisation") for form in parties.forms] == [
        anact.pk,
        inrs.pk,
        None,
    ]


def test_two_conventions_created_through_the_page_get_annexes_1_and_2(
    client, agreement, anact, inrs, theme, anact_coordinator
):
    client.force_login(anact_coordinator)
    url = reverse("conventions:convention_create", args=[agreement.pk])
    rows = [{"organisation": anact.pk}, {"organisation": inrs.pk}, {"organisation": ""}]
    for title in ("Première convention", "Seconde convention"):
        data = _form_data(
            parties=rows,
            commitments=[
                {
                    "organisation": anact.pk,
                    "description": "Piloter l’étude.",
                    "person_days": "15",
                    "budget": "2000",
                }
            ],
            theme=theme.pk,
            title=title,
        )
        response = client.post(url, data)
        assert response.status_code == 302, response.context["form"].errors
    first, second = Convention.objects.filter(agreement=agreement).order_by("annex_number")
    assert (first.title, first.annex_number) == ("Première convention", 1)
    assert (second.title, second.annex_number) == ("Seconde convention", 2)
    assert response["Location"] == second.get_absolute_url()
    assert set(second.parties.values_list("organisation__acronym", flat=True)) == {
        "Anact",
        "INRS",
    }
    assert second.commitments.get().person_days == 15
    assert second.history.first().history_user == anact_coordinator


def test_coordinator_may_drop_a_prefilled_party_or_add_a_third_party(
    client, agreement, anact, inrs, outsider_organisation, theme, anact_coordinator
):
    client.force_login(anact_coordinator)
    data = _form_data(
        parties=[
            {"organisation": anact.pk},
            {"organisation": ""},
            {"organisation": outsider_organisation.pk},
        ],
        theme=theme.pk,
    )
    response = client.post(reverse("conventions:convention_create", args=[agreement.pk]), data)
    assert response.status_code == 302
    convention = Convention.objects.get(agreement=agreement)
    assert set(convention.parties.values_list("organisation__acronym", flat=True)) == {
        "Anact",
        "Cnav",
    }


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"starts_on": "2027-01-01", "ends_on": "2025-01-01"}, "ends_on"),
        ({"title": ""}, "title"),
        ({"theme": ""}, "theme"),
        ({"title": "T" * 301}, "title"),
        ({"purpose": "<script>alert(1)</script>"}, "purpose"),
        ({"financial_terms": "<img src=x onerror=alert(1)>"}, "financial_terms"),
        ({"starts_on": "2025-13-45"}, "starts_on"),
    ],
)
def test_invalid_convention_is_refused_next_to_the_field_and_kept(
    client, agreement, anact, theme, anact_coordinator, overrides, field
):
    client.force_login(anact_coordinator)
    data = _form_data(parties=[{"organisation": anact.pk}], theme=theme.pk)
    data.update(overrides)
    response = client.post(reverse("conventions:convention_create", args=[agreement.pk]), data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert "Point trimestriel." in response.text
    if field != "title":
        assert 'value="Risques psychosociaux dans les TPE"' in response.text
    assert not Convention.objects.exists()
    assert not ConventionParty.objects.exists()


def test_required_fields_get_the_french_message(client, agreement, anact_coordinator):
    client.force_login(anact_coordinator)
    data = _form_data(title="")
    response = client.post(reverse("conventions:convention_create", args=[agreement.pk]), data)
    assert response.context["form"].errors["title"] == [REQUIRED]
    assert REQUIRED in response.text


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ({"person_days": "-3"}, "person_days"),
        ({"budget": "-1"}, "budget"),
        ({"budget": "12345678901234"}, "budget"),
        ({"description": ""}, "description"),
        ({"description": "<b>gras</b>"}, "description"),
    ],
)
def test_invalid_commitment_is_refused_next_to_the_field(
    client, agreement, anact, theme, anact_coordinator, row, field
):
    client.force_login(anact_coordinator)
    commitment = {
        "organisation": anact.pk,
        "description": "Piloter l’étude.",
        "person_days": "10",
        "budget": "100",
        **row,
    }
    data = _form_data(
        parties=[{"organisation": anact.pk}], commitments=[commitment], theme=theme.pk
    )
    response = client.post(reverse("conventions:convention_create", args=[agreement.pk]), data)
    assert response.status_code == 200
    assert field in response.context["formsets"]["commitments"].forms[0].errors
    assert 'value="Risques psychosociaux dans les TPE"' in response.text
    assert not Convention.objects.exists()
    assert not Commitment.objects.exists()


def test_a_commitment_needs_its_organisation_among_the_parties(
    client, convention, outsider_organisation, anact_coordinator
):
    client.force_login(anact_coordinator)
    data = _update_data(convention, title="Titre modifié")
    data.update(_management("commitments", 1))
    data.update(
        {
            "commitments-0-organisation": outsider_organisation.pk,
            "commitments-0-description": "Financer l’étude.",
            "commitments-0-person_days": "0",
            "commitments-0-budget": "5000",
        }
    )
    response = client.post(reverse("conventions:convention_update", args=[convention.pk]), data)
    assert response.status_code == 200
    assert response.context["formsets"]["commitments"].non_form_errors()
    assert response.context["formsets_have_errors"]
    assert 'value="Titre modifié"' in response.text
    convention.refresh_from_db()
    assert convention.title != "Titre modifié"
    assert not convention.commitments.exists()


def test_a_party_cannot_be_listed_twice(client, convention, anact, anact_coordinator):
    client.force_login(anact_coordinator)
    data = _update_data(convention)
    data.update(_management("parties", 3, initial=2))
    data["parties-2-organisation"] = anact.pk
    response = client.post(reverse("conventions:convention_update", args=[convention.pk]), data)
    assert response.status_code == 200
    assert convention.parties.count() == 2


def test_coordinator_edits_the_convention_with_a_third_party_and_its_commitment(
    client, convention, outsider_organisation, inrs_coordinator
):
    client.force_login(inrs_coordinator)
    url = reverse("conventions:convention_update", args=[convention.pk])
    assert client.get(url).status_code == 200
    data = _update_data(convention, confidentiality="Confidentialité des données.")
    data.update(_management("parties", 3, initial=2))
    data["parties-2-organisation"] = outsider_organisation.pk
    data["parties-2-signatory_name"] = "Directrice"
    data.update(_management("commitments", 1))
    data.update(
        {
            "commitments-0-organisation": outsider_organisation.pk,
            "commitments-0-description": "Financer l’étude.",
            "commitments-0-person_days": "2.5",
            "commitments-0-budget": "5000",
        }
    )
    response = client.post(url, data)
    assert response.status_code == 302
    convention.refresh_from_db()
    assert convention.confidentiality == "Confidentialité des données."
    assert convention.parties.count() == 3
    assert convention.commitments.get().organisation == outsider_organisation
    assert convention.history.first().history_user == inrs_coordinator


def test_contributor_cannot_edit_a_convention(client, convention, anact_contributor):
    client.force_login(anact_contributor)
    url = reverse("conventions:convention_update", args=[convention.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, _update_data(convention, title="Piraté")).status_code == 403
    assert (
        client.get(
            reverse("conventions:convention_create", args=[convention.agreement_id])
        ).status_code
        == 403
    )


# Access for a reader -------------------------------------------------------------------------


def _reader_urls(convention, amendment):
    return [
        reverse("conventions:convention_create", args=[convention.agreement_id]),
        reverse("conventions:convention_update", args=[convention.pk]),
        reverse("conventions:convention_delete", args=[convention.pk]),
        reverse("conventions:convention_transition", args=[convention.pk, "terminate"]),
        reverse("conventions:convention_transition", args=[convention.pk, "enter_into_force"]),
        reverse("conventions:amendment_create", args=[convention.pk]),
        reverse("conventions:amendment_update", args=[amendment.pk]),
        reverse("conventions:amendment_delete", args=[amendment.pk]),
    ]


@pytest.mark.parametrize("method", ["get", "post"])
def test_reader_gets_403_on_edit_transition_and_amendment_pages(
    client, signed_convention, anact_reader, method
):
    amendment = _amend(signed_convention, 1)
    client.force_login(anact_reader)
    for url in _reader_urls(signed_convention, amendment):
        response = getattr(client, method)(
            url, {"reason": "x", "summary": "Piraté", "signed_on": "2024-07-01"}
        )
        assert response.status_code == 403, url
    signed_convention.refresh_from_db()
    assert signed_convention.status == Convention.Status.SIGNED
    assert list(signed_convention.amendments.values_list("summary", flat=True)) == [
        amendment.summary
    ]
    assert (
        client.get(
            reverse("conventions:convention_create_start"),
            {"accord": signed_convention.agreement_id},
        ).status_code
        == 403
    )


# Lifecycle -------------------------------------------------------------------------------------


def test_coordinator_negotiates_then_signs_through_a_confirmation_step(
    client, convention, anact_coordinator
):
    client.force_login(anact_coordinator)
    negotiate = reverse("conventions:convention_transition", args=[convention.pk, "negotiate"])
    assert client.get(convention.get_absolute_url()).text.count(negotiate) == 1
    assert client.get(negotiate).status_code == 200
    assert client.post(negotiate).status_code == 302
    sign = reverse("conventions:convention_transition", args=[convention.pk, "sign"])
    assert client.get(sign).status_code == 200
    response = client.post(sign, {"signed_on": "2024-02-01"})
    assert response.status_code == 302
    convention.refresh_from_db()
    assert convention.status == Convention.Status.SIGNED
    assert convention.signed_on == datetime.date(2024, 2, 1)


def test_signing_without_a_date_is_refused_next_to_the_field(client, convention, anact_coordinator):
    Convention.objects.filter(pk=convention.pk).update(status=Convention.Status.NEGOTIATION)
    client.force_login(anact_coordinator)
    url = reverse("conventions:convention_transition", args=[convention.pk, "sign"])
    response = client.post(url, {"signed_on": ""})
    assert response.status_code == 200
    assert response.context["form"].errors["signed_on"] == [REQUIRED]
    convention.refresh_from_db()
    assert convention.status == Convention.Status.NEGOTIATION


def test_signing_before_the_agreement_is_signed_is_refused_with_its_reason(
    client, anact, inrs, theme, anact_coordinator
):
    agreement = AgreementFactory(status=Agreement.Status.NEGOTIATION)
    AgreementPartyFactory(agreement=agreement, organisation=anact)
    AgreementPartyFactory(agreement=agreement, organisation=inrs)
    convention = ConventionFactory(
        agreement=agreement, theme=theme, status=Convention.Status.NEGOTIATION
    )
    ConventionPartyFactory(convention=convention, organisation=anact)
    ConventionPartyFactory(convention=convention, organisation=inrs)
    client.force_login(anact_coordinator)
    url = reverse("conventions:convention_transition", args=[convention.pk, "sign"])
    response = client.post(url, {"signed_on": "2024-02-01"}, follow=True)
    convention.refresh_from_db()
    assert convention.status == Convention.Status.NEGOTIATION
    reason = in_french("A convention cannot be signed before its framework agreement is signed.")
    assert [str(m) for m in response.context["messages"]] == [reason]
    assert reason in response.text


def test_coordinator_terminates_a_signed_convention_with_a_reason(
    client, signed_convention, anact_coordinator
):
    client.force_login(anact_coordinator)
    url = reverse("conventions:convention_transition", args=[signed_convention.pk, "terminate"])
    response = client.post(url, {"reason": ""})
    assert response.status_code == 200
    assert response.context["form"].errors["reason"] == [REQUIRED]
    response = client.post(url, {"reason": "Fin du financement."})
    assert response.status_code == 302
    signed_convention.refresh_from_db()
    assert signed_convention.status == Convention.Status.TERMINATED
    assert signed_convention.termination_reason == "Fin du financement."


def test_unknown_transition_is_404(client, convention, anact_coordinator):
    client.force_login(anact_coordinator)
    url = reverse("conventions:convention_transition", args=[convention.pk, "expire"])
    assert client.get(url).status_code == 404


# Deleting ----------------------------------------------------------------------------------


def test_coordinator_deletes_a_draft_convention(client, convention, anact_coordinator):
    client.force_login(anact_coordinator)
    url = reverse("conventions:convention_delete", args=[convention.pk])
    assert url in client.get(convention.get_absolute_url()).text
    assert client.get(url).status_code == 200
    response = client.post(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("conventions:convention_list")
    assert not Convention.objects.filter(pk=convention.pk).exists()


def test_a_signed_convention_cannot_be_deleted(client, signed_convention, anact_coordinator):
    client.force_login(anact_coordinator)
    url = reverse("conventions:convention_delete", args=[signed_convention.pk])
    assert url not in client.get(signed_convention.get_absolute_url()).text
    for method in (client.get, client.post):
        response = method(url, follow=True)
        assert response.redirect_chain[-1][0] == signed_convention.get_absolute_url()
        assert len(list(response.context["messages"])) == 1
    assert Convention.objects.filter(pk=signed_convention.pk).exists()


def test_a_convention_on_a_meeting_agenda_cannot_be_deleted(
    client, convention, agreement, anact_coordinator
):
    AgendaItemFactory(meeting__agreement=agreement, convention=convention)
    client.force_login(anact_coordinator)
    response = client.post(
        reverse("conventions:convention_delete", args=[convention.pk]), follow=True
    )
    assert response.redirect_chain[-1][0] == convention.get_absolute_url()
    assert Convention.objects.filter(pk=convention.pk).exists()


# Amendments ------------------------------------------------------------------------------------


def test_coordinator_adds_amendments_numbered_in_order(
    client, signed_convention, anact_coordinator
):
    client.force_login(anact_coordinator)
    url = reverse("conventions:amendment_create", args=[signed_convention.pk])
    assert url in client.get(signed_convention.get_absolute_url()).text
    assert client.get(url).status_code == 200
    for summary in ("Prolongation d’un an.", "Ajout d’un livrable."):
        response = client.post(url, {"signed_on": "2024-09-01", "summary": summary})
        assert response.status_code == 302
        assert response["Location"] == signed_convention.get_absolute_url() + "#amendments"
    assert list(signed_convention.amendments.values_list("number", "summary")) == [
        (1, "Prolongation d’un an."),
        (2, "Ajout d’un livrable."),
    ]
    assert signed_convention.amendments.first().history.first().history_user == (anact_coordinator)


def test_a_draft_convention_cannot_be_amended(client, convention, anact_coordinator):
    client.force_login(anact_coordinator)
    url = reverse("conventions:amendment_create", args=[convention.pk])
    assert url not in client.get(convention.get_absolute_url()).text
    response = client.get(url)
    assert response.status_code == 302
    response = client.post(url, {"signed_on": "2024-09-01", "summary": "Avenant."})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert "Avenant." in response.text
    assert not Amendment.objects.exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"signed_on": "", "summary": "Avenant."}, "signed_on"),
        ({"signed_on": "2024-09-01", "summary": ""}, "summary"),
        ({"signed_on": "2024-02-01", "summary": "Avant la convention."}, "signed_on"),
        ({"signed_on": "2999-01-01", "summary": "Dans le futur."}, "signed_on"),
        ({"signed_on": "2024-02-31", "summary": "Date impossible."}, "signed_on"),
        ({"signed_on": "2024-09-01", "summary": "<script>alert(1)</script>"}, "summary"),
    ],
)
def test_invalid_amendment_is_refused_next_to_the_field_and_kept(
    client, signed_convention, anact_coordinator, data, field
):
    client.force_login(anact_coordinator)
    url = reverse("conventions:amendment_create", args=[signed_convention.pk])
    response = client.post(url, data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    if data["summary"] and "<" not in data["summary"]:
        assert data["summary"] in response.text
    assert not Amendment.objects.exists()


def test_coordinator_corrects_then_deletes_an_amendment(
    client, signed_convention, anact_coordinator
):
    amendment = _amend(signed_convention, 1)
    client.force_login(anact_coordinator)
    url = reverse("conventions:amendment_update", args=[amendment.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {"signed_on": "2024-07-14", "summary": "Résumé corrigé.", "version": amendment.version},
    )
    assert response.status_code == 302
    amendment.refresh_from_db()
    assert (amendment.number, amendment.signed_on, amendment.summary) == (
        1,
        datetime.date(2024, 7, 14),
        "Résumé corrigé.",
    )
    response = client.post(url, {"signed_on": "2024-07-14", "summary": "<i>x</i>"})
    assert response.status_code == 200
    assert "summary" in response.context["form"].errors
    amendment.refresh_from_db()
    assert amendment.summary == "Résumé corrigé."
    delete = reverse("conventions:amendment_delete", args=[amendment.pk])
    assert client.get(delete).status_code == 200
    response = client.post(delete)
    assert response["Location"] == signed_convention.get_absolute_url() + "#amendments"
    assert not Amendment.objects.exists()


# Query counts of the detail page ---------------------------------------------------------------


@pytest.mark.parametrize("rows", [1, 50])
def test_convention_detail_query_count_does_not_grow(
    client, signed_convention, agreement, anact_reader, django_assert_num_queries, rows
):
    programme = ProgrammeFactory(agreement=agreement)
    for number in range(1, rows + 1):
        organisation = OrganisationFactory()
        ConventionPartyFactory(convention=signed_convention, organisation=organisation)
        CommitmentFactory(convention=signed_convention, organisation=organisation)
        amendment = _amend(signed_convention, number)
        Document.objects.create(title=f"Avenant {number}", file="x.pdf", amendment=amendment)
        Document.objects.create(
            title=f"Annexe {number}", file="y.pdf", convention=signed_convention
        )
        ActionFactory(
            programme=programme, lead_organisation=organisation, convention=signed_convention
        )
    client.force_login(anact_reader)
    # session, user, staff profile, the convention with agreement and theme, the agreement's
    # parties (permission, once), its parties with third-party flag, commitments, amendments,
    # their documents, its documents, the actions it governs, its history.
    # ... and the bell's unread count, the comments (whether the person follows the record is
    # read with the record).
    with django_assert_num_queries(14):
        response = client.get(signed_convention.get_absolute_url())
    assert response.status_code == 200
    assert len(response.context["object"].amendments.all()) == rows
    assert response.text.count("Prolongation n°") == rows


def test_a_signed_convention_says_from_when_it_enters_into_force(
    client, time_machine, signed_convention, anact_coordinator
):
    clock.freeze(time_machine, datetime.date(2027, 8, 20))
    Convention.objects.filter(pk=signed_convention.pk).update(
        starts_on=datetime.date(2027, 9, 1), ends_on=datetime.date(2028, 8, 31)
    )
    client.force_login(anact_coordinator)
    html = client.get(signed_convention.get_absolute_url()).text
    url = reverse(
        "conventions:convention_transition", args=[signed_convention.pk, "enter_into_force"]
    )
    assert url not in html
    assert "Possible à partir de sa date de début, le 1er septembre 2027." in html
    clock.freeze(time_machine, datetime.date(2027, 9, 1))
    client.force_login(anact_coordinator)
    assert url in client.get(signed_convention.get_absolute_url()).text
