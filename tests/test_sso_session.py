"""A single sign-on's session ends when the ID token's session does (issue 17), against the
real provider on loopback (tests/oidc.py).

The provider's ID tokens last an hour. After that, the next page asked for with GET sends the
person to the provider with ``prompt=none`` (``sso.SSOSessionRefresh``); the provider keeps no
session of its own (oidc-provider-mock asks for the identity every time), so it answers
``login_required``, as a provider whose session has ended does, and the session ends here. A
session opened with a password is never sent there. The clock is moved with time-machine,
which moves the provider's thread too.

And when the provider says so server to server (OpenID Connect Back-Channel Logout), the
sessions opened from its session end at once; a forged, foreign, old or replayed logout
token ends nothing.
"""

import logging
import time
import uuid
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit, urlunsplit

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from partnership.directory import sso
from partnership.models import OIDCIdentity, SSOSession
from tests.oidc import (
    CLIENT_ID,
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


# Back-channel logout ----------------------------------------------------------------------
# oidc-provider-mock sends no logout token (nor a sid in its ID tokens): the tests sign them
# with a key of their own published as the provider's (in the keys' cache, as tests/test_sso.py
# does), and post them as the provider would, server to server.

BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"


@pytest.fixture
def own_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _publish(key, kid="own-key"):
    public = jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    cache.set(sso.JWKS_CACHE_KEY, {"keys": [{**public, "kid": kid, "alg": "RS256"}]}, 600)


def _logout_token(provider, key, kid="own-key", **overrides):
    claims = {
        "iss": provider.issuer,
        "aud": CLIENT_ID,
        "iat": int(time.time()),
        "jti": uuid.uuid4().hex,
        "sub": "reader-sso",
        "events": {BACKCHANNEL_EVENT: {}},
        **overrides,
    }
    claims = {name: value for name, value in claims.items() if value is not None}
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


def _post(token):
    """The provider's call: a fresh client, no session, no CSRF token."""
    server = Client(enforce_csrf_checks=True)
    return server.post(reverse("oidc_backchannel_logout"), {"logout_token": token})


def test_the_provider_ends_the_sso_sessions_of_a_person(
    client, provider, anact_reader, signed_in, own_key, password, security_log
):
    anact_reader.set_password(password)
    anact_reader.save()
    with_password = Client()
    with_password.post(reverse("login"), {"username": anact_reader.username, "password": password})
    session_key = client.session.session_key
    assert SSOSession.objects.get().session_key == session_key
    _publish(own_key)
    response = _post(_logout_token(provider, own_key))
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    assert client.get(reverse("home")).status_code == 302
    assert not Session.objects.filter(session_key=session_key).exists()
    assert not SSOSession.objects.exists()
    # The same person's session opened with their password is not the provider's.
    assert with_password.get(reverse("home")).status_code == 200
    assert any(
        line.startswith("sso backchannel logout sub=reader-sso") and "sessions=1" in line
        for line in _lines(security_log)
    )


def test_a_logout_token_naming_a_sid_ends_that_session_only(
    client, provider, anact_reader, signed_in, own_key
):
    other = Client()
    assert provider_login(other, provider, "reader-sso")["Location"] == reverse("home")
    first, second = SSOSession.objects.order_by("created_at", "pk")
    SSOSession.objects.filter(pk=first.pk).update(sid="session-1")
    SSOSession.objects.filter(pk=second.pk).update(sid="session-2")
    _publish(own_key)
    assert _post(_logout_token(provider, own_key, sid="session-2")).status_code == 200
    assert Session.objects.filter(session_key=first.session_key).exists()
    assert not Session.objects.filter(session_key=second.session_key).exists()


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"aud": "another-client"}, "logout token refused"),
        ({"iss": "http://127.0.0.1:1"}, "logout token refused"),
        ({"events": None}, "logout token refused"),
        ({"events": {"http://example.org/other": {}}}, "without the logout event"),
        ({"nonce": "n-1"}, "with a nonce"),
        ({"sub": None}, "names no session"),
        ({"iat": int(time.time()) - 3600}, "too old"),
        ({"jti": None}, "logout token refused"),
    ],
)
def test_a_wrong_logout_token_is_refused_and_ends_nothing(
    client, provider, signed_in, own_key, overrides, reason, security_log
):
    _publish(own_key)
    assert _post(_logout_token(provider, own_key, **overrides)).status_code == 400
    assert client.get(reverse("home")).status_code == 200
    assert any(
        line.startswith("sso refused reason=") and reason in line for line in _lines(security_log)
    )


def test_a_forged_logout_token_is_refused(client, provider, signed_in, own_key):
    _publish(own_key)
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert _post(_logout_token(provider, forger)).status_code == 400
    unsigned = jwt.encode(
        {"iss": provider.issuer, "aud": CLIENT_ID, "sub": "reader-sso"}, None, algorithm="none"
    )
    assert _post(unsigned).status_code == 400
    assert _post("").status_code == 400
    assert client.get(reverse("home")).status_code == 200


def test_a_replayed_logout_token_is_refused(client, provider, anact_reader, own_key, signed_in):
    _publish(own_key)
    token = _logout_token(provider, own_key)
    assert _post(token).status_code == 200
    # Logged in again, the same token posted again ends nothing.
    assert provider_login(client, provider, "reader-sso")["Location"] == reverse("home")
    assert _post(token).status_code == 400
    assert client.get(reverse("home")).status_code == 200


def test_the_backchannel_address_takes_post_only_and_is_off_without_sso(client, db, settings):
    url = reverse("oidc_backchannel_logout")
    assert client.post(url, {"logout_token": "x"}).status_code == 404
    settings.OIDC_ENABLED = True
    assert client.get(url).status_code == 405


def test_logging_out_forgets_the_session_and_a_login_prunes_the_expired_ones(
    client, provider, anact_reader, signed_in
):
    assert SSOSession.objects.count() == 1
    client.post(reverse("logout"))
    assert not SSOSession.objects.exists()
    # A session that expired and was cleared from the sessions' table leaves no row behind.
    provider_login(client, provider, "reader-sso")
    Session.objects.all().delete()
    other = Client()
    provider_login(other, provider, "reader-sso")
    assert list(SSOSession.objects.values_list("session_key", flat=True)) == [
        other.session.session_key
    ]
