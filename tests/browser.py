"""Headless Debian chromium driven by Playwright, for the browser tests."""

import os
import shutil

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


# What any page of the shared browser logged as an error (console errors, script errors) since
# the current test began: tests/conftest.py's autouse fixture fails the test that leaves any.
_console_errors: list[str] = []


def _watch(context):
    """Collect what every page of this browser context logs as an error."""

    def console(message):
        if message.type == "error":
            where = message.page.url if message.page else ""
            _console_errors.append(f"{where}: {message.text}")

    context.on("console", console)
    context.on("weberror", lambda error: _console_errors.append(str(error.error)))
    return context


def _watched(browser):
    """The browser, with every context it opens (directly or through new_page) watched."""
    new_context, new_page = browser.new_context, browser.new_page
    browser.new_context = lambda *args, **kwargs: _watch(new_context(*args, **kwargs))

    def watched_new_page(*args, **kwargs):
        page = new_page(*args, **kwargs)
        _watch(page.context)
        return page

    browser.new_page = watched_new_page
    return browser


def take_console_errors() -> list[str]:
    """The errors logged since the last call (for a test that provokes one on purpose)."""
    errors = list(_console_errors)
    _console_errors.clear()
    return errors


# Each test module imports the `chromium` fixture, so pytest holds one session fixture per
# module; Playwright's sync API may run only once per thread, so they share one browser,
# closed when the last of them is torn down.
_shared = {"users": 0, "playwright": None, "browser": None}


@pytest.fixture(scope="session")
def chromium():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not os.path.exists(CHROMIUM):
        pytest.fail("Debian's chromium is missing: `make test` installs it.")
    # Playwright's sync API runs an event loop in this thread; the test's ORM calls are
    # still synchronous, which Django allows once told so.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    if _shared["browser"] is None:
        playwright = sync_api.sync_playwright().start()
        _shared["playwright"] = playwright
        _shared["browser"] = _watched(
            playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        )
    _shared["users"] += 1
    try:
        yield _shared["browser"]
    finally:
        _shared["users"] -= 1
        if not _shared["users"]:
            _shared["browser"].close()
            _shared["playwright"].stop()
            _shared.update(playwright=None, browser=None)


@pytest.fixture
def page(chromium):
    context = chromium.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def log_in(page, live_server, username, password):
    page.goto(f"{live_server.url}/comptes/login/")
    page.get_by_label("Nom d’utilisateur").fill(username)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Connexion").click()


def assert_no_horizontal_overflow(page):
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the page is {overflow}px wider than the window"


def logged_in_page(chromium, live_server, username, password, *, width=1280, javascript=True):
    """A page of its own browser context (its own cookies), in French, logged in as
    ``username``. ``page.errors`` collects what the browser refused or what failed in a
    script (console errors, page errors): a page should leave it empty. Close it with
    ``page.context.close()``."""
    context = chromium.new_context(
        locale="fr-FR", viewport={"width": width, "height": 900}, java_script_enabled=javascript
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.errors = []
    page.on("console", lambda message: message.type == "error" and page.errors.append(message.text))
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    log_in(page, live_server, username, password)
    page.wait_for_url(f"{live_server.url}/")
    return page
