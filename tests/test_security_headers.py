"""The security headers of real responses, and the production cookie and HTTPS settings."""

import json
import subprocess

import pytest
from django.urls import reverse

from tests.factories import DocumentFactory
from tests.test_production import MANAGE, production_env

pytestmark = pytest.mark.django_db

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def assert_security_headers(response):
    assert response["Content-Security-Policy"] == CSP
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_the_login_page_sends_the_security_headers(client):
    response = client.get("/comptes/login/")

    assert response.status_code == 200
    assert_security_headers(response)
    assert "<script>" not in response.text  # no inline script: the policy would block it
    assert " style=" not in response.text


def test_a_staff_page_sends_the_security_headers(client, agreement, anact_reader):
    client.force_login(anact_reader)

    response = client.get(agreement.get_absolute_url())

    assert response.status_code == 200
    assert_security_headers(response)


def test_refusals_and_downloads_send_them_too(client, agreement, anact_reader, outsider):
    document = DocumentFactory(agreement=agreement)
    client.force_login(anact_reader)
    download = client.get(reverse("document_download", args=[document.pk]))
    client.force_login(outsider)
    not_found = client.get(reverse("document_download", args=[document.pk]))

    assert download.status_code == 200
    assert not_found.status_code == 404
    for response in (download, not_found):
        assert_security_headers(response)
    assert download["Cache-Control"] == "private, no-store"


def test_cookies_are_http_only_and_same_site(client, alice, password):
    response = client.post("/comptes/login/", {"username": "alice", "password": password})

    session = response.cookies["sessionid"]
    assert session["httponly"] is True
    assert session["samesite"] == "Lax"


def test_production_settings_send_cookies_over_https_only_with_hsts():
    code = (
        "import json; from django.conf import settings as s; print(json.dumps({"
        "'session': s.SESSION_COOKIE_SECURE, 'csrf': s.CSRF_COOKIE_SECURE, "
        "'hsts': s.SECURE_HSTS_SECONDS, 'subdomains': s.SECURE_HSTS_INCLUDE_SUBDOMAINS, "
        "'redirect': s.SECURE_SSL_REDIRECT, 'frame': s.X_FRAME_OPTIONS, "
        "'proxy': list(s.SECURE_PROXY_SSL_HEADER)}))"
    )
    result = subprocess.run(
        [*MANAGE, "shell", "-c", code],
        env=production_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {
        "session": True,
        "csrf": True,
        "hsts": 31536000,
        "subdomains": True,
        "redirect": True,
        "frame": "DENY",
        "proxy": ["HTTP_X_FORWARDED_PROTO", "https"],
    }


# What browsers and proxies may keep ---------------------------------------------------------


@pytest.mark.parametrize(
    "url_name",
    ["home", "agreement_list", "action_export_csv", "action_export_xlsx", "organisation_list"],
)
def test_pages_and_exports_for_a_logged_in_person_are_never_stored(
    client, agreement, anact_reader, url_name
):
    client.force_login(anact_reader)

    response = client.get(reverse(url_name))

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"


def test_a_record_page_and_a_refusal_are_never_stored_either(
    client, agreement, anact_reader, outsider
):
    client.force_login(anact_reader)
    page = client.get(agreement.get_absolute_url())
    client.force_login(outsider)
    refused = client.get(agreement.get_absolute_url())

    assert (page.status_code, refused.status_code) == (200, 404)
    assert page["Cache-Control"] == "private, no-store"
    assert refused["Cache-Control"] == "private, no-store"


def test_the_calendar_feed_is_kept_a_minute_at_most(client, agreement, anact_reader):
    from partnership.meetings.services import calendar_token_renew

    calendar_token_renew(user=anact_reader)
    anact_reader.profile.refresh_from_db()

    response = client.get(reverse("calendar_feed", args=[anact_reader.profile.calendar_token]))

    assert response.status_code == 200
    directives = dict(
        (part.strip().split("=") + [""])[:2] for part in response["Cache-Control"].split(",")
    )
    assert "private" in directives
    assert 0 < int(directives["max-age"]) <= 60
