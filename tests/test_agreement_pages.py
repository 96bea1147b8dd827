import datetime

import pytest
from django.urls import reverse

from partnership.models import Agreement, AgreementParty
from tests.conftest import _staff
from tests.factories import AgreementFactory, AgreementPartyFactory, OrganisationFactory


def test_reader_of_a_party_sees_the_agreement_hub(client, agreement, anact_reader):
    client.force_login(anact_reader)
    response = client.get(agreement.get_absolute_url())
    assert response.status_code == 200
    assert agreement.title in response.text
    assert reverse("agreement_update", args=[agreement.pk]) not in response.text


def test_aract_staff_see_the_agreements_of_their_network(client, agreement, aract_reader):
    client.force_login(aract_reader)
    assert client.get(agreement.get_absolute_url()).status_code == 200


def test_outsider_gets_404_and_does_not_see_it_listed(client, agreement, outsider):
    client.force_login(outsider)
    assert client.get(agreement.get_absolute_url()).status_code == 404
    assert agreement.reference not in client.get(reverse("agreement_list")).text


def test_reader_cannot_edit_the_agreement(client, agreement, anact_reader):
    client.force_login(anact_reader)
    url = reverse("agreement_update", args=[agreement.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"title": "Piraté"}).status_code == 403
    agreement.refresh_from_db()
    assert agreement.title != "Piraté"


def _form_data(**overrides):
    data = {
        "reference": "AC-2027-001",
        "title": "Accord-cadre Anact – Cnav",
        "purpose": "Coopérer sur le maintien en emploi.",
        "starts_on": "2027-01-01",
        "ends_on": "2030-12-31",
        "notice_period_months": "6",
        "meeting_frequency": "quarterly",
        "parties-TOTAL_FORMS": "2",
        "parties-INITIAL_FORMS": "0",
        "parties-MIN_NUM_FORMS": "0",
        "parties-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


def test_coordinator_creates_an_agreement_with_its_parties(
    client, anact, outsider_organisation, anact_coordinator
):
    client.force_login(anact_coordinator)
    data = _form_data(
        **{
            "parties-0-organisation": anact.pk,
            "parties-0-signatory_name": "Directeur général",
            "parties-1-organisation": outsider_organisation.pk,
        }
    )
    response = client.post(reverse("agreement_create"), data)
    agreement = Agreement.objects.get(reference="AC-2027-001")
    assert response.status_code == 302
    assert response["Location"] == agreement.get_absolute_url()
    assert set(agreement.parties.values_list("organisation__acronym", flat=True)) == {
        "Anact",
        "Cnav",
    }
    assert agreement.history.first().history_user == anact_coordinator


def test_coordinator_cannot_create_an_agreement_without_their_organisation(
    client, inrs, outsider_organisation, anact_coordinator
):
    client.force_login(anact_coordinator)
    data = _form_data(
        **{"parties-0-organisation": inrs.pk, "parties-1-organisation": outsider_organisation.pk}
    )
    response = client.post(reverse("agreement_create"), data)
    assert response.status_code == 200
    assert not Agreement.objects.filter(reference="AC-2027-001").exists()
    assert not AgreementParty.objects.filter(organisation=outsider_organisation).exists()


def test_aract_coordinator_cannot_make_their_network_head_a_party_without_its_consent(
    client, anact, outsider_organisation, aract
):
    # Before invitations, naming Anact made the agreement the Aract's (Anact network) at once.
    # Now Anact is only invited: the Aract coordinator would not be able to change the
    # agreement they create, which is refused, and nothing is saved.
    aract_coordinator = _staff("aract.coordinateur", aract, "coordinator")
    client.force_login(aract_coordinator)
    data = _form_data(
        **{"parties-0-organisation": anact.pk, "parties-1-organisation": outsider_organisation.pk}
    )
    response = client.post(reverse("agreement_create"), data)
    assert response.status_code == 200
    assert "Votre organisme doit être l’une des parties" in response.text
    assert not Agreement.objects.filter(reference="AC-2027-001").exists()


def test_administrator_creates_an_agreement_their_organisation_is_no_party_to(
    client, inrs, outsider_organisation, administrator
):
    client.force_login(administrator)
    data = _form_data(
        **{"parties-0-organisation": inrs.pk, "parties-1-organisation": outsider_organisation.pk}
    )
    response = client.post(reverse("agreement_create"), data)
    assert response.status_code == 302
    assert Agreement.objects.filter(reference="AC-2027-001").exists()


def test_reversed_dates_are_refused_next_to_the_field_and_kept(client, anact, anact_coordinator):
    client.force_login(anact_coordinator)
    data = _form_data(
        starts_on="2030-01-01", ends_on="2027-01-01", **{"parties-0-organisation": anact.pk}
    )
    response = client.post(reverse("agreement_create"), data)
    assert response.status_code == 200
    assert "ends_on" in response.context["form"].errors
    assert 'value="Accord-cadre Anact – Cnav"' in response.text
    assert not Agreement.objects.filter(reference="AC-2027-001").exists()


def test_reader_cannot_create_an_agreement(client, anact_reader):
    client.force_login(anact_reader)
    assert client.get(reverse("agreement_create")).status_code == 403


def test_coordinator_signs_through_a_confirmation_step(client, anact, inrs, anact_coordinator):
    agreement = AgreementFactory(status=Agreement.Status.NEGOTIATION)
    AgreementPartyFactory(agreement=agreement, organisation=anact)
    AgreementPartyFactory(agreement=agreement, organisation=inrs)
    client.force_login(anact_coordinator)
    url = reverse("agreement_transition", args=[agreement.pk, "sign"])
    assert client.get(agreement.get_absolute_url()).text.count(url) == 1
    assert client.get(url).status_code == 200
    response = client.post(url, {"signed_on": "2024-01-10"})
    assert response.status_code == 302
    agreement.refresh_from_db()
    assert agreement.status == Agreement.Status.SIGNED
    assert agreement.signed_on == datetime.date(2024, 1, 10)


def test_refused_transition_explains_why(client, anact, anact_coordinator):
    agreement = AgreementFactory(status=Agreement.Status.NEGOTIATION)
    AgreementPartyFactory(agreement=agreement, organisation=anact)
    client.force_login(anact_coordinator)
    url = reverse("agreement_transition", args=[agreement.pk, "sign"])
    response = client.post(url, {"signed_on": "2024-01-10"}, follow=True)
    agreement.refresh_from_db()
    assert agreement.status == Agreement.Status.NEGOTIATION
    messages = [str(m) for m in response.context["messages"]]
    assert any("two parties" in m or "deux parties" in m for m in messages)


@pytest.mark.parametrize("rows", [1, 30])
def test_agreement_list_query_count_does_not_grow(
    client, anact, anact_reader, django_assert_num_queries, rows
):
    for _ in range(rows):
        agreement = AgreementFactory()
        AgreementPartyFactory(agreement=agreement, organisation=anact)
        AgreementPartyFactory(agreement=agreement, organisation=OrganisationFactory())
    client.force_login(anact_reader)
    # session, user, staff profile, count, the model permissions of the user and of their
    # groups (asked once for "can add"), organisations of the filter, the page of
    # agreements, their parties with organisations.
    # ... and the bell's unread count.
    with django_assert_num_queries(10):
        response = client.get(reverse("agreement_list"))
    assert response.status_code == 200


def test_refused_creation_stays_a_creation_page_with_nothing_saved(
    client, inrs, outsider_organisation, anact_coordinator
):
    client.force_login(anact_coordinator)
    data = _form_data(
        **{"parties-0-organisation": inrs.pk, "parties-1-organisation": outsider_organisation.pk}
    )
    response = client.post(reverse("agreement_create"), data)
    assert response.status_code == 200
    assert response.context.get("object") is None
    assert response.context["form"].instance.pk is None
    assert all(f.instance.pk is None for f in response.context["formsets"]["parties"])


def test_formset_errors_are_announced_at_the_top(client, anact, anact_coordinator):
    client.force_login(anact_coordinator)
    data = _form_data(**{"parties-0-organisation": anact.pk, "parties-1-organisation": anact.pk})
    response = client.post(reverse("agreement_create"), data)
    assert response.status_code == 200
    assert response.context["formsets_have_errors"]
    assert not Agreement.objects.filter(reference="AC-2027-001").exists()


def test_hub_offers_the_coordinator_to_add_under_the_agreement(
    client, agreement, anact_coordinator, anact_reader
):
    links = [
        reverse("programme_create", args=[agreement.pk]),
        reverse("conventions:convention_create", args=[agreement.pk]),
        reverse("meeting_create", args=[agreement.pk]),
        reverse("experimentations:experimentation_create", args=[agreement.pk]),
    ]
    client.force_login(anact_coordinator)
    page = client.get(agreement.get_absolute_url()).text
    assert all(link in page for link in links)
    client.force_login(anact_reader)
    page = client.get(agreement.get_absolute_url()).text
    assert not any(link in page for link in links)


def test_edit_page_names_each_formset(client, agreement, anact_coordinator):
    client.force_login(anact_coordinator)
    response = client.get(reverse("agreement_update", args=[agreement.pk]))
    assert '<legend class="h6">Parties à l’accord-cadre</legend>' in response.text


def test_expiry_is_offered_only_once_the_end_date_has_passed(client, agreement, anact_coordinator):
    client.force_login(anact_coordinator)
    url = reverse("agreement_transition", args=[agreement.pk, "expire"])
    assert url not in client.get(agreement.get_absolute_url()).text
    Agreement.objects.filter(pk=agreement.pk).update(
        starts_on=datetime.date(2018, 1, 1), ends_on=datetime.date(2022, 12, 31)
    )
    assert url in client.get(agreement.get_absolute_url()).text
