"""Every page a browser test opens is watched: an error it logs fails the test (tests.browser,
tests/conftest.py ``no_console_error``), whichever fixture or helper opened the page."""

import pytest

from tests.browser import chromium, take_console_errors  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_error_logged_by_any_page_is_collected(chromium, live_server):  # noqa: F811
    # A context opened straight from the browser, as some test modules do.
    context = chromium.new_context(locale="fr-FR")
    page = context.new_page()
    page.goto(f"{live_server.url}/comptes/login/")
    page.evaluate("() => console.error('une erreur voulue')")
    page.evaluate("() => setTimeout(() => { throw new Error('une exception voulue'); })")
    page.wait_for_timeout(100)
    context.close()
    errors = take_console_errors()
    assert any("une erreur voulue" in error for error in errors)
    assert any("une exception voulue" in error for error in errors)


def test_a_missing_file_is_an_error_too(chromium, live_server):  # noqa: F811
    page = chromium.new_page()
    page.goto(f"{live_server.url}/comptes/login/")
    page.evaluate(
        "() => new Promise(done => { const s = document.createElement('img');"
        " s.onerror = done; s.src = '/static/absent.png'; document.body.append(s); })"
    )
    page.context.close()
    assert any("404" in error for error in take_console_errors())
