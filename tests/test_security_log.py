"""The security log (OWASP ASVS 5.0 V16.3.1–2): logins, failed logins, lock-outs and refused
accesses, each with the username and the address, never a password."""

import logging

import pytest
from django.urls import reverse

from tests.factories import DocumentFactory

pytestmark = pytest.mark.django_db

LOGIN_URL = "/comptes/login/"
LOGGER = "partnership.security"


@pytest.fixture
def security_log(caplog):
    caplog.set_level(logging.INFO, logger=LOGGER)

    def lines():
        return [record.getMessage() for record in caplog.records if record.name == LOGGER]

    return lines


def refusals(lines):
    return [line for line in lines if line.startswith("access refused")]


def test_a_successful_login_is_logged_with_username_and_address(
    client, alice, password, security_log
):
    client.post(LOGIN_URL, {"username": "alice", "password": password})

    assert "login succeeded user=alice ip=127.0.0.1" in security_log()
    assert not any(password in line for line in security_log())


def test_a_failed_login_is_logged_without_the_password(client, alice, security_log, caplog):
    client.post(LOGIN_URL, {"username": "alice", "password": "Secret-Tres-Particulier-1"})

    assert "login failed user=alice ip=127.0.0.1" in security_log()
    assert "Secret-Tres-Particulier-1" not in caplog.text  # in no logger at all


def test_a_lockout_is_logged(client, alice, security_log):
    for _ in range(5):
        client.post(LOGIN_URL, {"username": "alice", "password": "pas-le-bon"})

    assert "login locked out user=alice ip=127.0.0.1 after 5 failures" in security_log()


def test_the_logged_address_is_the_one_the_proxy_saw(client, alice, settings, security_log):
    settings.TRUSTED_PROXY_COUNT = 1
    client.post(
        LOGIN_URL,
        {"username": "alice", "password": "pas-le-bon"},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="192.0.2.1, 203.0.113.5",
    )

    assert "login failed user=alice ip=203.0.113.5" in security_log()


def test_a_logout_is_logged(client, alice, security_log):
    client.force_login(alice)
    client.post("/comptes/logout/")

    assert "logout user=alice ip=127.0.0.1" in security_log()


def test_a_forbidden_page_is_logged(client, agreement, anact_reader, security_log):
    client.force_login(anact_reader)

    response = client.post(reverse("agreement_update", args=[agreement.pk]))

    assert response.status_code == 403
    assert (
        f"access refused status=403 method=POST path=/accords/{agreement.pk}/modifier/ "
        "user=anact.lecteur ip=127.0.0.1"
    ) in security_log()


def test_a_record_out_of_scope_is_logged(client, agreement, outsider, security_log):
    document = DocumentFactory(agreement=agreement)
    client.force_login(outsider)

    client.get(reverse("agreement_detail", args=[agreement.pk]))
    client.get(reverse("document_download", args=[document.pk]))

    assert refusals(security_log()) == [
        f"access refused status=404 method=GET path=/accords/{agreement.pk}/ "
        "user=cnav.coordinateur ip=127.0.0.1",
        f"access refused status=404 method=GET path=/documents/{document.pk}/telecharger/ "
        "user=cnav.coordinateur ip=127.0.0.1",
    ]


def test_the_query_string_is_not_logged(client, outsider, security_log):
    client.force_login(outsider)

    client.get("/accords/999999/?token=secret-value")

    assert refusals(security_log()) == [
        "access refused status=404 method=GET path=/accords/999999/ "
        "user=cnav.coordinateur ip=127.0.0.1"
    ]


def test_a_download_is_logged(client, agreement, anact_reader, security_log):
    document = DocumentFactory(agreement=agreement)
    client.force_login(anact_reader)

    client.get(reverse("document_download", args=[document.pk]))

    assert (
        f"document downloaded document={document.pk} version=current user=anact.lecteur "
        "ip=127.0.0.1"
    ) in security_log()


def test_forged_usernames_cannot_forge_log_lines(client, security_log):
    client.post(
        LOGIN_URL,
        {"username": "x\nlogin succeeded user=admin ip=1.2.3.4", "password": "pas-le-bon"},
    )

    lines = security_log()
    assert all("\n" not in line for line in lines)
    assert r"login failed user=x\nlogin succeeded user=admin ip=1.2.3.4 ip=127.0.0.1" in lines


# One line per refusal, no traceback; no calendar key in any line ------------------------------


def test_a_refused_page_is_one_line_without_a_traceback(client, agreement, anact_reader, caplog):
    caplog.set_level(logging.INFO)
    client.force_login(anact_reader)
    caplog.clear()

    forbidden = client.post(reverse("agreement_update", args=[agreement.pk]))
    not_found = client.get("/accords/999999/")

    assert (forbidden.status_code, not_found.status_code) == (403, 404)
    lines = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert [record.name for record in lines] == [LOGGER, LOGGER]
    assert all(record.exc_info is None for record in caplog.records)
    assert all("\n" not in record.getMessage() for record in caplog.records)


def test_a_csrf_refusal_is_one_line_with_its_reason(agreement, anact_reader, security_log):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(anact_reader)

    response = client.post(reverse("agreement_update", args=[agreement.pk]), {})

    assert response.status_code == 403
    [line] = refusals(security_log())
    assert line.startswith(f"access refused status=403 method=POST path=/accords/{agreement.pk}/")
    assert "reason=CSRF cookie not set." in line


def _console_handler():
    from partnership.core.logs import SecretsFilter

    return next(
        handler
        for handler in logging.getLogger().handlers
        if any(isinstance(log_filter, SecretsFilter) for log_filter in handler.filters)
    )


@pytest.mark.parametrize("prefix", ["/calendrier/", "/%63alendrier/"])
def test_a_calendar_key_is_never_written_to_the_log(client, anact_reader, caplog, prefix):
    from partnership.meetings.services import calendar_token_renew

    caplog.set_level(logging.INFO)
    calendar_token_renew(user=anact_reader)
    anact_reader.profile.refresh_from_db()
    key = anact_reader.profile.calendar_token
    revoked = "x" * 43
    assert reverse("calendar_feed", args=[key]).startswith("/calendrier/")

    assert client.get(f"{prefix}{key}.ics").status_code == 200
    assert client.get(f"{prefix}{revoked}.ics").status_code == 404  # a revoked key

    handler = _console_handler()
    written = [handler.format(record) for record in caplog.records if handler.filter(record)]
    assert any("[clé masquée]" in line for line in written)
    assert not any(key in line or revoked in line for line in written)


def test_the_masking_reads_percent_encoded_addresses():
    from partnership.core.logs import mask_secrets

    assert mask_secrets("GET /calendrier/abcDEF_12-x.ics HTTP/1.1") == (
        "GET /calendrier/[clé masquée] HTTP/1.1"
    )
    assert "abc" not in mask_secrets("GET /%63alendrier/%61bc.ics HTTP/1.1")
    assert mask_secrets("GET /calendrier/ HTTP/1.1") == "GET /calendrier/ HTTP/1.1"
    assert mask_secrets("GET /accords/3/?q=50%25 HTTP/1.1") == "GET /accords/3/?q=50%25 HTTP/1.1"
