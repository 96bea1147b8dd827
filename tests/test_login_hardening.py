"""The login page resists guessing; sessions end when idle or when the password changes.

Lock-out (django-axes): five failed logins of one username from one address lock that pair
for the cool-off period; the sixth attempt is refused, even with the right password, until
an administrator unlocks it or the cool-off is over.
"""

import datetime
import json
import subprocess
import time

import pytest
from axes.models import AccessAttempt
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from partnership.core.security import SEEN_KEY, client_ip, refresh_interval
from tests.test_production import MANAGE, base_env, production_env

pytestmark = pytest.mark.django_db

LOGIN_URL = "/comptes/login/"
WRONG_CREDENTIALS_FR = "Saisissez un nom d’utilisateur et un mot de passe valides."
LOCKED_FR = "Compte verrouillé: trop de tentatives de connexion. Veuillez réessayer plus tard."


def attempt(client, password, username="alice", **extra):
    return client.post(LOGIN_URL, {"username": username, "password": password}, **extra)


def fail(client, times, username="alice", **extra):
    return [attempt(client, "pas-le-bon", username, **extra) for _ in range(times)]


def test_sixth_wrong_password_is_refused_with_a_french_lockout_message(client, alice, password):
    answers = fail(client, 4)
    assert [answer.status_code for answer in answers] == [200] * 4
    assert all(WRONG_CREDENTIALS_FR in answer.text for answer in answers)

    fifth = attempt(client, "pas-le-bon")  # the fifth failure locks the pair
    sixth = attempt(client, "toujours-pas")

    for answer in (fifth, sixth):
        assert answer.status_code == 429
        assert LOCKED_FR in answer.text
        assert '<html lang="fr">' in answer.text
        assert answer.context["cool_off_minutes"] == 30
    assert "_auth_user_id" not in client.session


def test_the_right_password_is_refused_until_an_administrator_unlocks(
    client, alice, password, administrator
):
    fail(client, 5)

    refused = attempt(client, password)

    assert refused.status_code == 429
    assert LOCKED_FR in refused.text
    assert "_auth_user_id" not in client.session

    # The administrator finds the lock in the back office and deletes it.
    admin = Client()
    admin.force_login(administrator)
    lock = AccessAttempt.objects.get(username="alice")
    listing = admin.get(reverse("admin:axes_accessattempt_changelist"))
    assert listing.status_code == 200
    assert "alice" in listing.text
    deleted = admin.post(
        reverse("admin:axes_accessattempt_delete", args=[lock.pk]), {"post": "yes"}
    )
    assert deleted.status_code == 302

    accepted = attempt(client, password)
    assert accepted.status_code == 302
    assert client.session["_auth_user_id"] == str(alice.pk)


def test_axes_reset_command_unlocks_a_username(client, alice, password):
    fail(client, 5)

    call_command("axes_reset_username", "alice", stdout=open("/dev/null", "w"))  # noqa: SIM115

    assert attempt(client, password).status_code == 302


def test_the_lock_ends_after_the_cool_off_period(client, alice, password):
    fail(client, 5)
    assert attempt(client, password).status_code == 429

    AccessAttempt.objects.update(attempt_time=timezone.now() - datetime.timedelta(minutes=31))

    assert attempt(client, password).status_code == 302


def test_the_lock_holds_the_pair_username_and_address_only(client, alice, password):
    from tests.factories import UserFactory

    UserFactory(username="bob", password=password)
    fail(client, 5)

    # The same person from another address, another person from the same address: let in.
    assert attempt(Client(REMOTE_ADDR="198.51.100.7"), password).status_code == 302
    assert attempt(client, password, username="bob").status_code == 302
    assert attempt(client, password).status_code == 429


def test_a_successful_login_resets_the_failure_count(client, alice, password):
    fail(client, 4)
    assert attempt(client, password).status_code == 302
    client.post("/comptes/logout/")

    answers = fail(client, 4)

    assert [answer.status_code for answer in answers] == [200] * 4


def test_the_failed_attempts_keep_no_password(client, alice):
    attempt(client, "Secret-Tres-Particulier-1")

    stored = AccessAttempt.objects.get()
    assert "Secret-Tres-Particulier-1" not in stored.post_data
    assert "Secret-Tres-Particulier-1" not in stored.get_data


def test_coordinators_cannot_open_the_lockouts(client, anact_coordinator):
    client.force_login(anact_coordinator)

    response = client.get(reverse("admin:axes_accessattempt_changelist"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


# The client's address behind the proxy ------------------------------------------------------


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "203.0.113.5", "10.0.0.2"),  # no proxy: the header is the client's own words
        (1, "203.0.113.5", "203.0.113.5"),
        (1, "6.6.6.6, 203.0.113.5", "203.0.113.5"),  # the left part was written by the client
        (2, "6.6.6.6, 203.0.113.5, 10.0.0.9", "203.0.113.5"),
        (1, "", "10.0.0.2"),  # reached without the proxy
        (2, "203.0.113.5", "10.0.0.2"),
        (1, "not-an-address", "10.0.0.2"),
        (1, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_client_address_is_the_one_the_trusted_proxy_saw(settings, proxies, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)

    assert client_ip(request) == expected


def test_behind_the_proxy_a_forged_forwarded_address_does_not_escape_the_lock(
    client, alice, password, settings
):
    settings.TRUSTED_PROXY_COUNT = 1
    for index in range(5):
        # Each try forges another address on the left; the proxy appends the real one.
        attempt(
            client,
            "pas-le-bon",
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{index}, 203.0.113.5",
        )

    locked = attempt(
        client, password, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="192.0.2.99, 203.0.113.5"
    )
    elsewhere = attempt(
        Client(), password, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.7"
    )

    assert locked.status_code == 429
    assert elsewhere.status_code == 302
    assert AccessAttempt.objects.get().ip_address == "203.0.113.5"


# Passwords ---------------------------------------------------------------------------------


def test_password_validators_speak_french(client, alice, password):
    client.force_login(alice)

    response = client.post(
        "/comptes/password_change/",
        {"old_password": password, "new_password1": "1234567", "new_password2": "1234567"},
    )

    assert response.status_code == 200
    errors = " ".join(response.context["form"].errors["new_password2"])
    assert "Ce mot de passe est trop courant." in errors
    assert "Ce mot de passe est entièrement numérique." in errors
    assert "Ce mot de passe est trop court." in errors


def test_changing_the_password_logs_out_the_other_sessions(alice, password):
    laptop, phone = Client(), Client()
    assert attempt(laptop, password).status_code == 302
    assert attempt(phone, password).status_code == 302
    new_password = "Un-autre-mot-de-passe-2027"

    changed = laptop.post(
        "/comptes/password_change/",
        {"old_password": password, "new_password1": new_password, "new_password2": new_password},
    )

    assert changed.status_code == 302
    assert laptop.get("/").status_code == 200  # the session that changed it stays
    response = phone.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)


# Idle sessions ---------------------------------------------------------------------------------


def _session(client):
    return Session.objects.get(session_key=client.session.session_key)


def test_a_session_lasts_the_idle_timeout(client, alice, password, settings):
    attempt(client, password)

    session = _session(client)
    remaining = (session.expire_date - timezone.now()).total_seconds()
    assert settings.SESSION_COOKIE_AGE - 60 < remaining <= settings.SESSION_COOKIE_AGE
    assert settings.SESSION_COOKIE_AGE == 2 * 3600


def test_an_idle_session_has_expired(client, alice, password):
    attempt(client, password)
    Session.objects.update(expire_date=timezone.now() - datetime.timedelta(seconds=1))

    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN_URL}?next=/"


def test_activity_pushes_the_expiry_back(client, alice, password, settings):
    attempt(client, password)
    session = client.session
    session[SEEN_KEY] = int(time.time()) - refresh_interval() - 1
    session.save()
    Session.objects.update(expire_date=timezone.now() + datetime.timedelta(minutes=5))

    assert client.get("/").status_code == 200

    remaining = (_session(client).expire_date - timezone.now()).total_seconds()
    assert remaining > settings.SESSION_COOKIE_AGE - 60


def test_pages_seen_soon_after_do_not_write_the_session(client, alice, password):
    attempt(client, password)
    before = _session(client)

    client.get("/")
    client.get("/accords/")

    after = _session(client)
    assert (after.expire_date, after.session_data) == (before.expire_date, before.session_data)


# Settings from the environment ---------------------------------------------------------------

PRINT_SETTINGS = (
    "import json; from django.conf import settings as s; print(json.dumps({"
    "'age': s.SESSION_COOKIE_AGE, 'close': s.SESSION_EXPIRE_AT_BROWSER_CLOSE, "
    "'limit': s.AXES_FAILURE_LIMIT, 'cooloff': s.AXES_COOLOFF_TIME.total_seconds(), "
    "'proxies': s.TRUSTED_PROXY_COUNT, 'secure': s.SESSION_COOKIE_SECURE}))"
)


def settings_in(env):
    result = subprocess.run(
        [*MANAGE, "shell", "-c", PRINT_SETTINGS],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_limits_come_from_the_environment():
    env = production_env(
        SESSION_IDLE_TIMEOUT="900",
        SESSION_EXPIRE_AT_BROWSER_CLOSE="true",
        LOGIN_FAILURE_LIMIT="3",
        LOGIN_COOLOFF_MINUTES="60",
        TRUSTED_PROXY_COUNT="2",
    )

    assert settings_in(env) == {
        "age": 900,
        "close": True,
        "limit": 3,
        "cooloff": 3600.0,
        "proxies": 2,
        "secure": True,
    }


def test_production_defaults_trust_one_proxy_and_development_none():
    production = settings_in(production_env())
    development = settings_in({**base_env(), "DEBUG": "true"})

    assert (production["proxies"], development["proxies"]) == (1, 0)
    assert production["age"] == 7200 and production["limit"] == 5
