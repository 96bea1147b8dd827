"""Logging in and out, changing and resetting a password, in French."""

import datetime
import re

import pytest
import time_machine
from django.conf import settings
from django.core import mail

pytestmark = pytest.mark.django_db

LOGIN_URL = "/comptes/login/"
WRONG_CREDENTIALS_FR = "Saisissez un nom d’utilisateur et un mot de passe valides."


def test_anonymous_visitor_of_home_is_sent_to_the_login_page(client):
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == "/comptes/login/?next=/"


def test_login_page_is_in_french(client):
    response = client.get(LOGIN_URL)

    assert response.status_code == 200
    assert '<html lang="fr">' in response.text
    assert "Nom d’utilisateur" in response.text
    assert "Mot de passe" in response.text


def test_wrong_password_shows_the_error_and_keeps_the_username(client, alice):
    response = client.post(LOGIN_URL, {"username": "alice", "password": "not-the-password"})

    assert response.status_code == 200
    assert WRONG_CREDENTIALS_FR in response.text
    assert 'value="alice"' in response.text
    assert "_auth_user_id" not in client.session


def test_good_login_leads_to_the_dashboard_that_greets_the_person(client, alice, password):
    response = client.post(LOGIN_URL, {"username": "alice", "password": password})

    assert response.status_code == 302
    assert response["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200
    assert "Alice Martin" in home.text


def test_login_goes_back_to_the_page_asked_for(client, alice, password):
    response = client.post(
        LOGIN_URL,
        {"username": "alice", "password": password, "next": "/comptes/password_change/"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/comptes/password_change/"


def test_login_ignores_a_next_page_on_another_site(client, alice, password):
    response = client.post(
        LOGIN_URL,
        {"username": "alice", "password": password, "next": "https://evil.example.com/"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/"


def test_login_form_carries_the_next_page(client):
    response = client.get(LOGIN_URL, {"next": "/comptes/password_change/"})

    assert 'name="next" value="/comptes/password_change/"' in response.text


def test_logout_by_post_ends_the_session(client, alice):
    client.force_login(alice)

    response = client.post("/comptes/logout/")

    assert response.status_code == 302
    assert response["Location"] == LOGIN_URL
    assert client.get("/")["Location"] == "/comptes/login/?next=/"


def test_logout_link_cannot_be_followed_by_get(client, alice):
    client.force_login(alice)

    response = client.get("/comptes/logout/")

    assert response.status_code == 405
    assert client.get("/").status_code == 200


def test_password_change_form_is_in_french(client, alice):
    client.force_login(alice)

    response = client.get("/comptes/password_change/")

    assert response.status_code == 200
    assert "Ancien mot de passe" in response.text
    assert "Nouveau mot de passe" in response.text


def test_password_change_sets_the_new_password_and_keeps_the_session(client, alice, password):
    client.force_login(alice)
    new_password = "Un-autre-mot-de-passe-2027"

    response = client.post(
        "/comptes/password_change/",
        {"old_password": password, "new_password1": new_password, "new_password2": new_password},
    )

    assert response.status_code == 302
    assert response["Location"] == "/comptes/password_change/done/"
    alice.refresh_from_db()
    assert alice.check_password(new_password)
    assert client.get("/comptes/password_change/done/").status_code == 200
    assert client.get("/").status_code == 200


def test_password_change_with_a_wrong_old_password_is_refused(client, alice, password):
    client.force_login(alice)
    new_password = "Un-autre-mot-de-passe-2027"

    response = client.post(
        "/comptes/password_change/",
        {"old_password": "wrong", "new_password1": new_password, "new_password2": new_password},
    )

    assert response.status_code == 200
    assert "Votre ancien mot de passe est incorrect. Veuillez le rectifier." in response.text
    alice.refresh_from_db()
    assert alice.check_password(password)


def reset_link_from(message):
    match = re.search(r"https?://testserver(/comptes/reset/[^/\s]+/[^/\s]+/)", message.body)
    assert match, message.body
    return match[1]


def test_password_reset_mails_a_link_that_sets_a_new_password(client, alice):
    new_password = "Un-autre-mot-de-passe-2027"

    response = client.post("/comptes/password_reset/", {"email": "alice@anact.fr"})

    assert response.status_code == 302
    assert response["Location"] == "/comptes/password_reset/done/"
    assert client.get(response["Location"]).status_code == 200
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@anact.fr"]
    assert message.from_email == settings.DEFAULT_FROM_EMAIL

    link = reset_link_from(message)
    response = client.get(link)
    # The token moves to the session so that it cannot leak through the Referer header.
    assert response.status_code == 302
    form_url = response["Location"]
    assert client.get(form_url).status_code == 200
    response = client.post(form_url, {"new_password1": new_password, "new_password2": new_password})

    assert response.status_code == 302
    assert response["Location"] == "/comptes/reset/done/"
    assert client.get("/comptes/reset/done/").status_code == 200
    alice.refresh_from_db()
    assert alice.check_password(new_password)
    assert client.login(username="alice", password=new_password)


def test_password_reset_link_works_only_once(client, alice):
    new_password = "Un-autre-mot-de-passe-2027"
    client.post("/comptes/password_reset/", {"email": "alice@anact.fr"})
    link = reset_link_from(mail.outbox[0])
    form_url = client.get(link)["Location"]
    client.post(form_url, {"new_password1": new_password, "new_password2": new_password})

    response = client.get(link)

    assert response.status_code == 200
    assert response.context["validlink"] is False
    assert 'name="new_password1"' not in response.text


def test_password_reset_with_mismatched_passwords_gives_the_french_error(client, alice, password):
    client.post("/comptes/password_reset/", {"email": "alice@anact.fr"})
    form_url = client.get(reset_link_from(mail.outbox[0]))["Location"]

    response = client.post(
        form_url, {"new_password1": "Un-autre-2027-abc", "new_password2": "Un-autre-2027-xyz"}
    )

    assert response.status_code == 200
    assert "Les deux mots de passe ne correspondent pas." in response.text
    alice.refresh_from_db()
    assert alice.check_password(password)


def test_password_reset_for_an_unknown_address_sends_nothing_and_reveals_nothing(client, alice):
    response = client.post("/comptes/password_reset/", {"email": "nobody@example.com"})

    assert response.status_code == 302
    assert response["Location"] == "/comptes/password_reset/done/"
    assert mail.outbox == []


def test_invalid_reset_link_says_so(client, alice):
    response = client.get("/comptes/reset/MQ/not-a-token/")

    assert response.status_code == 200
    assert response.context["validlink"] is False
    assert 'name="new_password1"' not in response.text
    assert 'href="/comptes/password_reset/"' in response.text


# Password reset requests are limited ------------------------------------------------------


def _reset(client, email, ip="203.0.113.7"):
    return client.post("/comptes/password_reset/", {"email": email}, REMOTE_ADDR=ip)


def test_resets_for_one_address_stop_after_the_limit_with_the_same_answer(client, alice):
    answers = [_reset(client, "alice@anact.fr", ip=f"203.0.113.{n}") for n in range(5)]

    assert len(mail.outbox) == settings.PASSWORD_RESET_LIMIT_PER_ADDRESS == 3
    assert {(a.status_code, a["Location"]) for a in answers} == {
        (302, "/comptes/password_reset/done/")
    }
    # The address's case does not give more tries.
    _reset(client, "ALICE@anact.fr", ip="203.0.113.99")
    assert len(mail.outbox) == 3


def test_resets_from_one_client_stop_after_the_limit_whatever_the_addresses(
    client, alice, django_user_model
):
    for n in range(12):
        django_user_model.objects.create_user(f"user{n}", f"user{n}@anact.fr", "x-2027-Mot")
    answers = [_reset(client, f"user{n}@anact.fr") for n in range(12)]

    assert len(mail.outbox) == settings.PASSWORD_RESET_LIMIT_PER_CLIENT == 10
    assert {a["Location"] for a in answers} == {"/comptes/password_reset/done/"}
    # Another client is not held back by this one.
    _reset(client, "alice@anact.fr", ip="198.51.100.1")
    assert len(mail.outbox) == 11


def test_unknown_addresses_count_too_and_the_limit_ends_with_its_window(client, alice):
    with time_machine.travel(datetime.datetime(2027, 3, 1, 9, 0, tzinfo=datetime.UTC)):
        for _ in range(3):
            _reset(client, "personne@example.com")
        _reset(client, "alice@anact.fr")  # another address: not limited
        assert len(mail.outbox) == 1
        for _ in range(3):
            _reset(client, "alice@anact.fr", ip="198.51.100.2")
        assert len(mail.outbox) == 3
    with time_machine.travel(datetime.datetime(2027, 3, 1, 10, 1, tzinfo=datetime.UTC)):
        _reset(client, "alice@anact.fr")
    assert len(mail.outbox) == 4
