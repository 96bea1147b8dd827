"""The accessibility statement (RGAA): public, linked from every page's footer with the
conformity status, and saying what the law asks it to say."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

FOOTER_LINK = '<a href="/accessibilite/">Accessibilité : partiellement conforme</a>'


def test_the_login_page_links_to_the_statement_with_the_status(client):
    html = client.get(reverse("login")).content.decode()

    assert FOOTER_LINK in html


def test_every_staff_page_links_to_the_statement_with_the_status(client, anact_reader):
    client.force_login(anact_reader)

    for name in ("home", "agreement_list", "about"):
        assert FOOTER_LINK in client.get(reverse(name)).content.decode()


def test_an_anonymous_visitor_reads_the_statement(client):
    response = client.get(reverse("accessibility"))

    assert response.status_code == 200
    html = response.content.decode()
    for required in (
        '<h1 class="h3 mb-3">Déclaration d’accessibilité</h1>',
        "<strong>partiellement conforme</strong>",
        "RGAA), version 4.1",
        "Sur quoi repose ce statut",  # the basis of the status
        "Ce que les tests automatiques ne voient pas",  # honest about the tests
        "Critères couverts par les tests automatiques",
        "Non-conformités et points non vérifiés",
        "Pages vérifiées",
        "alternative accessible",  # how to get an accessible alternative
        "Défenseur des droits",  # the recourse
        "75342 Paris CEDEX 07",
    ):
        assert required in html, required


def test_the_contact_address_is_a_setting(client, settings):
    settings.ACCESSIBILITY_CONTACT_EMAIL = "accessibilite@example.fr"

    html = client.get(reverse("accessibility")).content.decode()

    assert '<a href="mailto:accessibilite@example.fr">' in html


def test_without_a_contact_address_the_statement_sends_to_the_coordinator(client):
    html = client.get(reverse("accessibility")).content.decode()

    assert "mailto:" not in html
    assert "coordinateur du partenariat de votre organisme" in html
