"""While the database does not answer, every page is a French 503 with Retry-After.

The database is made to fail with ``connection.execute_wrapper``: the queries raise the error
the driver raises when the server refused or dropped the connection. The first query of a
page is the session's, in the middlewares before any view, so the failure is covered there
as well as in a view. The last test runs gunicorn against a database server that is not
there at all, over real HTTP.
"""

import contextlib
import logging
import signal
import socket
import subprocess
import time

import pytest
from django.conf import settings
from django.db import InterfaceError, OperationalError, ProgrammingError, connection
from django.test import Client
from django.urls import reverse

from tests.test_production import (
    BOOT_TIMEOUT,
    GUNICORN,
    Server,
    production_env,
    static_root,  # noqa: F401 (the fixture)
    wait_for_port,
)

UNAVAILABLE = "Service momentanément indisponible"


@contextlib.contextmanager
def database_down(error=OperationalError, *, spare=()):
    """Every query raises ``error``, except those naming one of the ``spare`` tables."""

    def fail(execute, sql, params, many, context):
        if any(table in sql for table in spare):
            return execute(sql, params, many, context)
        raise error("could not connect to server: Connection refused")

    with connection.execute_wrapper(fail):
        yield


@pytest.fixture
def browser():
    """A test client that answers as the server would, instead of raising the error."""
    return Client(raise_request_exception=False)


def assert_french_unavailable_page(response):
    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    text = response.content.decode()
    assert '<html lang="fr">' in text
    assert UNAVAILABLE in text
    assert "Ce que vous aviez enregistré auparavant n’est pas perdu" in text
    assert "Traceback" not in text
    assert "OperationalError" not in text


@pytest.mark.parametrize("error", [OperationalError, InterfaceError])
def test_a_page_while_the_database_is_down_is_the_french_503(browser, anact_reader, error):
    browser.force_login(anact_reader)

    with database_down(error):
        response = browser.get(reverse("about"))

    # The session could not be read: the middlewares failed before any view ran.
    assert_french_unavailable_page(response)


def test_a_form_sent_while_the_database_is_down_is_the_french_503(browser, anact_coordinator):
    browser.force_login(anact_coordinator)

    with database_down():
        response = browser.post(reverse("contact_create"), {"last_name": "Durand"})

    assert_french_unavailable_page(response)


def test_a_view_whose_queries_fail_is_the_french_503(browser, agreement, anact_coordinator):
    browser.force_login(anact_coordinator)

    # The session and the person are read; the dashboard's own queries fail.
    with database_down(spare=("django_session", "auth_user")):
        response = browser.get(reverse("home"))

    assert_french_unavailable_page(response)


def test_the_error_is_logged_with_its_traceback(browser, anact_reader, caplog):
    browser.force_login(anact_reader)

    with caplog.at_level(logging.ERROR, logger="django.request"), database_down():
        browser.get(reverse("about"))

    [record] = [r for r in caplog.records if r.name == "django.request"]
    assert record.levelno == logging.ERROR
    assert record.getMessage() == "Service Unavailable: /a-propos/"
    assert isinstance(record.exc_info[1], OperationalError)


def test_a_page_in_english_says_it_in_english(browser, anact_reader, settings):
    browser.force_login(anact_reader)
    browser.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the person chose English

    with database_down():
        response = browser.get(reverse("about"))

    assert response.status_code == 503
    assert "Service temporarily unavailable" in response.content.decode()


def test_other_errors_are_still_the_500_page(browser, anact_reader, settings):
    browser.force_login(anact_reader)

    with database_down(ProgrammingError):
        response = browser.get(reverse("about"))

    assert response.status_code == 500
    assert "Retry-After" not in response
    text = response.content.decode()
    assert '<html lang="fr">' in text
    assert "Une erreur est survenue" in text
    assert "Rien de ce que vous aviez enregistré n’est perdu" in text

    browser.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with database_down(ProgrammingError):
        response = browser.get(reverse("about"))
    assert response.status_code == 500
    assert "An error occurred" in response.content.decode()  # it was in French for everyone


def test_pages_are_unchanged_while_the_database_answers(browser, anact_reader):
    browser.force_login(anact_reader)

    response = browser.get(reverse("about"))

    assert response.status_code == 200
    assert "Retry-After" not in response
    assert UNAVAILABLE not in response.content.decode()


def unused_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_gunicorn_answers_503_when_the_database_server_is_not_there(static_root, tmp_path):
    """Nothing listens on the database's port: the worker answers, and stays up."""
    env = production_env(
        DATABASE_URL=f"postgres://postgres@127.0.0.1:{unused_port()}/partenariat",
        STATIC_ROOT=str(static_root),
        GUNICORN_WORKERS="1",
        GUNICORN_THREADS="2",
    )
    log_path = tmp_path / "gunicorn.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [str(GUNICORN), "-c", "gunicorn.conf.py", "--bind", "127.0.0.1:0", "partnership.wsgi"],
            env=env,
            cwd=settings.BASE_DIR,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        server = Server(wait_for_port(log_path, process), log_path)
        # The load balancer's liveness probe does not need the database.
        deadline = time.monotonic() + BOOT_TIMEOUT
        while True:  # the worker boots after the master listens
            try:
                assert server.request("GET", "/healthz", https=False).status == 200
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    pytest.fail(f"gunicorn does not answer:\n{log_path.read_text()}")
                time.sleep(0.1)

        # A person with a session cookie: reading the session needs the database.
        for _ in range(2):
            page = server.request("GET", "/a-propos/", headers={"Cookie": "sessionid=abcdefgh1234"})
            assert page.status == 503, page.text
            assert page.getheader("Retry-After") == "10"
            assert UNAVAILABLE in page.text
            assert "Traceback" not in page.text
        assert server.request("GET", "/healthz", https=False).status == 200
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=BOOT_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    log = log_path.read_text()
    assert "Service Unavailable: /a-propos/" in log
    assert "WORKER TIMEOUT" not in log
    assert log.count("Booting worker") == 1, log
