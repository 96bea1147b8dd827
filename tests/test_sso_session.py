"""A single sign-on's session ends when the ID token's session does (issue 17), against the
real provider on loopback (tests/oidc.py).

The provider's ID tokens last an hour. After that, the next page asked for with GET sends the
person to the provider with ``prompt=none`` (``sso.SSOSessionRefresh``); the provider keeps no
session of its own (oidc-provider-mock asks for the identity every time), so it answers
``login_required``, as a provider whose session has ended does, and the session ends here. A
session opened with a password is never sent there. The clock is moved with time-machine,
which moves the provider's thread too.
"""

import logging
import time
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
import requests
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.urls import reverse

from partnership.directory import sso
from partnership.models import OIDCIdentity
from tests.oidc import (
    back_path,
    oidc_server,  # noqa: F401
    provider,  # noqa: F401
    provider_login,
)

User = get_user_model()
HOUR = 3600


@pytest.fixture
def security_log(caplog):
    caplog.set_level(logging.INFO, logger="partnership.security")
    return caplog


def _lines(caplog):
    return [record.getMessage() for record in caplog.records if record.name.endswith("security")]


@pytest.fixture
def signed_in(client, provider, anact_reader):
    """The Anact reader, logged in through the provider; the ID token's expiry."""
    OIDCIdentity.objects.create(user=anact_reader, issuer=provider.issuer, subject="reader-sso")
    provider.set_user("reader-sso", email="lecteur@anact.fr")
    assert provider_login(client, provider, "reader-sso")["Location"] == reverse("home")
    return client.session[sso.EXPIRY_KEY]


def _without_prompt_none(url: str) -> str:
    """The silent request as a provider whose session still runs would take it: the mock keeps
    no session (it answers ``login_required`` to ``prompt=none`` even when posted to), so the
    identity is picked on its form instead."""
    parts = urlsplit(url)
    query = [(name, value) for name, value in parse_qsl(parts.query) if name != "prompt"]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _later(time_machine, seconds):
    time_machine.move_to(time.time() + seconds, tick=False)


def test_the_session_keeps_the_id_token_expiry(client, provider, signed_in):
    assert HOUR - 60 <= signed_in - time.time() <= HOUR + 5
    assert client.get(reverse("home")).status_code == 200


def test_before_the_expiry_pages_are_served_without_asking_the_provider(
    client, provider, signed_in, time_machine
):
    _later(time_machine, HOUR - 120)
    response = client.get(reverse("home"))
    assert response.status_code == 200


def test_after_the_expiry_the_next_page_asks_the_provider_silently(
    client, provider, signed_in, time_machine, security_log
):
    _later(time_machine, HOUR + 60)
    response = client.get(reverse("home") + "?vue=1")
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == (
        f"{provider.url}/oauth2/authorize"
    )
    query = parse_qs(location.query)
    assert query["prompt"] == ["none"]
    assert query["redirect_uri"] == ["http://testserver" + reverse("oidc_callback")]
    assert query["nonce"][0] and query["code_challenge"][0]
    assert any(line.startswith("sso session check user=") for line in _lines(security_log))


def test_a_provider_session_ended_logs_the_person_out_at_the_next_page(
    client, provider, anact_reader, signed_in, time_machine, security_log
):
    session_key = client.session.session_key
    _later(time_machine, HOUR + 60)
    to_provider = client.get(reverse("home"))["Location"]
    # The real provider answers the silent request itself: no session there.
    answer = requests.get(to_provider, allow_redirects=False, timeout=5)
    assert answer.status_code == 302
    back = answer.headers["Location"]
    assert parse_qs(urlsplit(back).query)["error"] == ["login_required"]
    response = client.get(back_path(back))
    assert response.status_code == 302 and response["Location"] == reverse("login")
    login_page = client.get(reverse("login")).content.decode()
    assert "Votre session ProConnect a pris fin" in login_page
    assert client.get(reverse("home")).status_code == 302
    assert not Session.objects.filter(session_key=session_key).exists()
    assert any(
        line.startswith(f"sso session ended user={anact_reader.username}")
        and "login_required" in line
        for line in _lines(security_log)
    )


def test_a_form_sent_after_the_expiry_is_not_lost_the_next_get_checks(
    client, provider, signed_in, time_machine
):
    """Only GET requests go to the provider: a POST is answered as usual."""
    _later(time_machine, HOUR + 60)
    response = client.post(reverse("logout"))
    # The logout itself, with the provider's end of session, not a detour through prompt=none.
    assert "end_session" in response["Location"]


def test_a_password_session_is_never_sent_to_the_provider(
    client, provider, anact_reader, password, time_machine
):
    anact_reader.set_password(password)
    anact_reader.save()
    client.post(reverse("login"), {"username": anact_reader.username, "password": password})
    _later(time_machine, HOUR + 60)
    assert client.get(reverse("home")).status_code == 200


def test_a_session_check_answered_for_another_session_does_not_log_anyone_in(
    client, provider, signed_in, time_machine
):
    """The state of a silent check belongs to its session: replayed in another browser, it
    is an unknown state there."""
    _later(time_machine, HOUR + 60)
    to_provider = client.get(reverse("home"))["Location"]
    back = requests.get(to_provider, allow_redirects=False, timeout=5).headers["Location"]
    other = client.__class__()
    response = other.get(back_path(back))
    assert response.status_code == 403
    assert other.get(reverse("home")).status_code == 302


def test_a_check_coming_back_with_another_identity_ends_the_session(
    client, provider, anact_reader, signed_in, time_machine, security_log
):
    """A provider answering the silent check with a code for someone else (here, the person
    picks another identity at the provider) does not move the session to them."""
    provider.set_user("someone-else", email="autre@anact.fr")
    _later(time_machine, HOUR + 60)
    to_provider = client.get(reverse("home"))["Location"]
    location = provider.authorize(_without_prompt_none(to_provider), "someone-else")
    response = client.get(back_path(location))
    assert response["Location"] == reverse("login")
    assert client.get(reverse("home")).status_code == 302
    assert any("session check names another identity" in line for line in _lines(security_log))


def test_a_check_answered_with_a_code_for_the_same_identity_keeps_the_session(
    client, provider, anact_reader, signed_in, time_machine
):
    """A provider whose session still runs answers with a code at once: the person is back
    on the page they asked for, with a new ID token and expiry."""
    old_token = client.session[sso.ID_TOKEN_KEY]
    _later(time_machine, HOUR + 60)
    to_provider = client.get(reverse("home") + "?vue=1")["Location"]
    location = provider.authorize(_without_prompt_none(to_provider), "reader-sso")
    response = client.get(back_path(location))
    assert response["Location"] == reverse("home") + "?vue=1"
    assert client.get(reverse("home")).status_code == 200
    assert client.session[sso.ID_TOKEN_KEY] != old_token
    assert client.session[sso.EXPIRY_KEY] > time.time() + HOUR - 120


def test_an_unreachable_provider_ends_the_session(
    client, provider, signed_in, time_machine, settings, security_log
):
    cache.delete(sso.DISCOVERY_CACHE_KEY)
    settings.OIDC_DISCOVERY_URL = "http://127.0.0.1:1/.well-known/openid-configuration"
    _later(time_machine, HOUR + 60)
    assert client.get(reverse("home"))["Location"] == reverse("login")
    assert client.get(reverse("home")).status_code == 302
    assert any("discovery document unreachable" in line for line in _lines(security_log))
