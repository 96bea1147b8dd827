from django.urls import reverse

from tests.factories import AgreementFactory


def test_refusal_is_a_french_page_with_the_navigation(client, agreement, anact_reader):
    client.force_login(anact_reader)
    response = client.get(reverse("agreement_update", args=[agreement.pk]))
    assert response.status_code == 403
    assert 'lang="fr"' in response.text
    assert "Navigation principale" in response.text
    assert reverse("home") in response.text


def test_unknown_record_is_a_french_page(client, anact_reader):
    client.force_login(anact_reader)
    response = client.get(reverse("agreement_detail", args=[AgreementFactory().pk]))
    assert response.status_code == 404
    assert 'lang="fr"' in response.text
    assert "Navigation principale" in response.text


def test_list_filters_read_as_titles_and_offer_all(client, agreement, anact_reader):
    client.force_login(anact_reader)
    response = client.get(reverse("agreement_list"))
    form = response.context["filter"].form
    assert form["status"].label == "Statut"  # as drawn (partnership.core.forms.BoundField)
    assert form.fields["status"].choices[0][0] == ""
    assert "---------" not in response.text
