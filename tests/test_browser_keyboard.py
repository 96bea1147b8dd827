"""Whole stories with the keyboard alone (RGAA 12.8 to 12.11, 10.7; WCAG 2.1.1, 2.4.1, 2.4.7):
no mouse click, only Tab, Shift+Tab, Enter, Space, arrows and typing, and every element that
takes the focus shows it.

Headless Debian chromium through Playwright (tests/browser.py).
"""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from partnership.models import Action
from tests.browser import chromium  # noqa: F401
from tests.factories import ProgrammeFactory

pytestmark = pytest.mark.django_db(transaction=True)

# What the focused element is: its tag, name, id, and the text of a link or button.
FOCUSED = """() => {
    const el = document.activeElement;
    return {tag: el.tagName.toLowerCase(), id: el.id || '', name: el.name || '',
            text: (el.innerText || el.value || '').trim().slice(0, 80)};
}"""
# Whether the focused element shows its focus: an outline or a box shadow (Bootstrap's ring).
FOCUS_SHOWN = """() => {
    const style = getComputedStyle(document.activeElement);
    const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
    return outline || style.boxShadow !== 'none';
}"""


@pytest.fixture
def keyboard_page(chromium):  # noqa: F811
    # Less motion asked for: the focus ring is drawn at once (static/css/app.css), not after
    # Bootstrap's transition.
    context = chromium.new_context(
        locale="fr-FR", viewport={"width": 1280, "height": 900}, reduced_motion="reduce"
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def tab_to(page, matches, limit=120, key="Tab"):
    """Press Tab until the focused element matches; each focused element must show its focus."""
    seen = []
    for _ in range(limit):
        page.keyboard.press(key)
        focused = page.evaluate(FOCUSED)
        seen.append(focused)
        if focused["tag"] != "body":
            try:  # the style follows the focus within a frame or two
                page.wait_for_function(FOCUS_SHOWN, timeout=2_000)
            except PlaywrightTimeout:
                style = page.evaluate(
                    "() => { const s = getComputedStyle(document.activeElement);"
                    " return [s.outlineStyle, s.outlineWidth, s.boxShadow,"
                    " document.activeElement.matches(':focus'), document.hasFocus()]; }"
                )
                raise AssertionError(f"the focus is not visible on {focused}: {style}") from None
        if matches(focused):
            return focused
    raise AssertionError(f"never reached with {key}; focused in turn: {seen}")


def log_in_with_the_keyboard(page, live_server, username, password):
    page.goto(f"{live_server.url}/comptes/login/")
    # The login page puts the focus in its first field.
    assert page.evaluate(FOCUSED)["name"] == "username"
    page.keyboard.type(username)
    tab_to(page, lambda f: f["name"] == "password", limit=2)
    page.keyboard.type(password)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/")


def test_a_person_logs_in_with_the_keyboard_alone(keyboard_page, live_server, password, alice):
    page = keyboard_page
    log_in_with_the_keyboard(page, live_server, "alice", password)

    # On the next page, the first Tab reaches the skip link, shown when focused; Enter moves
    # the focus to the content, past the navigation.
    skip = tab_to(page, lambda f: f["tag"] == "a", limit=1)
    assert skip["text"] == "Aller au contenu principal"
    assert page.locator(".skip-link").is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"
    focused = tab_to(page, lambda f: f["tag"] in {"a", "button", "input", "select"}, limit=1)
    assert page.locator("main").evaluate("(main, el) => main.contains(document.activeElement)")
    assert focused["text"] != "Tableau de bord"  # not the navigation's first link


def test_a_coordinator_creates_an_action_with_a_partner_and_resources_with_the_keyboard(
    keyboard_page, live_server, password, agreement, anact, inrs, anact_coordinator
):
    page = keyboard_page
    programme = ProgrammeFactory(agreement=agreement, year=timezone.localdate().year)
    log_in_with_the_keyboard(page, live_server, "anact.coordinateur", password)
    page.goto(f"{live_server.url}{programme.get_absolute_url()}")

    tab_to(page, lambda f: f["tag"] == "a" and f["text"].endswith("Nouvelle action"))
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/actions/nouvelle/$"))

    tab_to(page, lambda f: f["name"] == "title")
    page.keyboard.type("Repères partagés sur l’usure professionnelle")
    tab_to(page, lambda f: f["name"] == "kind", limit=3)
    page.keyboard.type("projet")  # a closed list selects by its first letters
    tab_to(page, lambda f: f["name"] == "lead_organisation", limit=4)
    page.keyboard.type("Anact")
    tab_to(page, lambda f: f["name"] == "partners", limit=3)
    page.keyboard.type("INRS")  # in a list box, typing moves to the option and selects it
    # The first resource row: INRS, 12.5 person-days.
    tab_to(page, lambda f: f["name"].endswith("-0-organisation") and "resource" in f["name"])
    page.keyboard.type("INRS")
    tab_to(page, lambda f: f["name"].endswith("-0-person_days"), limit=2)
    page.keyboard.type("12.5")
    # Back with Shift+Tab to check the organisation kept its value, then on to the button.
    tab_to(page, lambda f: f["name"].endswith("-0-organisation"), limit=2, key="Shift+Tab")
    tab_to(page, lambda f: f["tag"] == "button" and f["text"] == "Enregistrer")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/actions/\d+/$"))

    action = Action.objects.get(title="Repères partagés sur l’usure professionnelle")
    assert action.kind == Action.Kind.STUDY
    assert action.lead_organisation == anact
    assert list(action.partners.all()) == [inrs]
    resource = action.resources.get()
    assert (resource.organisation, float(resource.person_days)) == (inrs, 12.5)
