"""The language of the pages is a setting of the person's account, never their browser's.

French by default, whatever Accept-Language says (the login page too); changed from the
person's menu, kept on their staff profile, so a new session on another browser has it.
"""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

ENGLISH_BROWSER = {"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.9"}


def _lang(response):
    html = response.content.decode()
    return html.split('<html lang="', 1)[1].split('"', 1)[0]


def test_the_login_page_is_french_whatever_the_browser_asks(client):
    response = client.get(reverse("login"), **ENGLISH_BROWSER)

    assert _lang(response) == "fr"
    assert "Nom d’utilisateur" in response.content.decode()
    assert response["Content-Language"] == "fr"


def test_a_language_chosen_on_the_login_page_is_kept_by_this_browser(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/comptes/login/"})

    assert response.status_code == 302
    assert response["Location"] == "/comptes/login/"
    response = client.get(reverse("login"))
    assert _lang(response) == "en"
    assert "Username" in response.content.decode()


def test_the_login_page_offers_the_choice_of_language(client):
    html = client.get(reverse("login")).content.decode()

    assert f'action="{reverse("set_language")}"' in html
    assert '<option value="en" lang="en">English</option>' in html


def test_a_person_reads_french_by_default_whatever_the_browser(client, anact_reader):
    client.force_login(anact_reader)

    assert _lang(client.get(reverse("home"), **ENGLISH_BROWSER)) == "fr"


def test_a_person_changes_the_language_from_their_menu_and_keeps_it(client, anact_reader):
    client.force_login(anact_reader)
    html = client.get(reverse("home")).content.decode()
    menu = html.split('class="dropdown-menu dropdown-menu-end"', 1)[1].split("</ul>", 1)[0]
    assert 'name="language" value="en" lang="en"' in menu

    response = client.post(reverse("set_language"), {"language": "en", "next": "/accords/"})

    assert response["Location"] == "/accords/"
    assert _lang(client.get(reverse("agreement_list"))) == "en"
    anact_reader.profile.refresh_from_db()
    assert anact_reader.profile.language == "en"
    # A preference is no change to the record: no new version, no history line.
    assert anact_reader.profile.history.count() == 1


def test_the_language_of_the_account_follows_the_person_to_a_new_session(
    client, django_user_model, anact_reader, password
):
    anact_reader.profile.language = "en"
    anact_reader.profile.save()
    other_browser = client.__class__()

    assert other_browser.login(username="anact.lecteur", password=password)
    response = other_browser.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="fr-FR")

    assert _lang(response) == "en"
    assert "Dashboard" in response.content.decode()


def test_an_unknown_language_changes_nothing(client, anact_reader):
    client.force_login(anact_reader)

    client.post(reverse("set_language"), {"language": "de", "next": "/"})

    anact_reader.profile.refresh_from_db()
    assert anact_reader.profile.language == "fr"
    assert _lang(client.get(reverse("home"))) == "fr"


def test_french_typography_only_in_french(client, anact_reader):
    client.force_login(anact_reader)
    french = client.get(reverse("home")).content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    english = client.get(reverse("home")).content.decode()

    assert "Accessibilité : partiellement conforme" in french
    assert "Accessibility: partially compliant" in english
    assert "Accessibility : " not in english


def test_the_statement_is_in_the_person_s_language(client, anact_reader):
    client.force_login(anact_reader)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})

    html = client.get(reverse("accessibility")).content.decode()

    assert '<h1 class="h3 mb-3">Accessibility statement</h1>' in html
    assert "<strong>partially compliant</strong>" in html


def test_in_english_a_history_reads_english_dates_and_typography(client, agreement, anact_reader):
    agreement.title = "Accord-cadre renouvelé"
    agreement.save()
    client.force_login(anact_reader)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})

    html = client.get(reverse("agreement_history", kwargs={"pk": agreement.pk})).content.decode()

    assert re.search(r"Title: <del", html), "no English label before the change"
    assert " : <del" not in html
    # The day before the month, the 24-hour clock: "6 December 2026, 17:12".
    assert re.search(r">\d{1,2} [A-Z][a-z]+ \d{4}, \d{2}:\d{2}</time>", html)
    assert not re.search(r"\b(a\.m\.|p\.m\.)", html)


def test_in_french_a_history_keeps_french_typography(client, agreement, anact_reader):
    agreement.title = "Accord-cadre renouvelé"
    agreement.save()
    client.force_login(anact_reader)

    html = client.get(reverse("agreement_history", kwargs={"pk": agreement.pk})).content.decode()

    assert "Titre\u00a0: <del" in html
