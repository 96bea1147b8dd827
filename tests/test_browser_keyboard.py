"""Whole stories with the keyboard alone (RGAA 12.8 to 12.11, 10.7; WCAG 2.1.1, 2.1.2, 2.4.1,
2.4.3, 2.4.7): log in, create an action, record an action's review at a meeting, approve the
minutes. No mouse click, only Tab, Shift+Tab, Enter, Space, arrows and typing, and every
element that takes the focus shows it.

Headless Debian chromium through Playwright (tests/browser.py).
"""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from partnership.models import Action, ActionReview, Meeting
from tests.browser import chromium  # noqa: F401
from tests.factories import ActionFactory, AgendaItemFactory, MeetingFactory, ProgrammeFactory

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


@pytest.fixture
def held_meeting(agreement, anact):
    """A steering committee held last week, an action on its agenda, its minutes written."""
    programme = ProgrammeFactory(agreement=agreement, year=timezone.localdate().year)
    action = ActionFactory(programme=programme, title="Prévention des TMS", lead_organisation=anact)
    meeting = MeetingFactory(
        agreement=agreement,
        title="Comité de pilotage",
        status=Meeting.Status.HELD,
        minutes="Relevé des décisions : la campagne est lancée.",
    )
    AgendaItemFactory(meeting=meeting, action=action, title="Point sur la prévention des TMS")
    return meeting, action


def test_a_coordinator_records_an_action_s_review_at_a_meeting_with_the_keyboard(
    keyboard_page, live_server, password, held_meeting, anact_coordinator
):
    page = keyboard_page
    meeting, action = held_meeting
    log_in_with_the_keyboard(page, live_server, "anact.coordinateur", password)
    page.goto(f"{live_server.url}{meeting.get_absolute_url()}")

    # The agenda item's review form is folded in a disclosure: Enter opens it.
    tab_to(page, lambda f: f["tag"] == "summary" and f["text"].endswith("de cette action"))
    page.keyboard.press("Enter")
    status = tab_to(page, lambda f: f["name"] == "status", limit=3)
    assert page.locator(f"#{status['id']}").is_visible()
    page.keyboard.press("ArrowDown")  # a closed list moves to the next choice: in progress
    tab_to(page, lambda f: f["name"] == "progress", limit=2)
    # The field's content is selected when Tab reaches it: typing replaces it.
    page.keyboard.type("40")
    tab_to(page, lambda f: f["name"] == "comment", limit=2)
    page.keyboard.type("Campagne lancée dans trois régions.")
    # Back to the status with Shift+Tab: it kept its choice.
    tab_to(page, lambda f: f["name"] == "status", limit=3, key="Shift+Tab")
    assert page.evaluate("() => document.activeElement.value") == "in_progress"
    tab_to(
        page, lambda f: f["tag"] == "button" and f["text"] == "Enregistrer le point d’avancement"
    )
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"#reviews$"))

    review = ActionReview.objects.get()
    assert (review.action, review.status, review.progress, review.recorded_by) == (
        action,
        Action.Status.IN_PROGRESS,
        40,
        anact_coordinator,
    )
    assert review.comment == "Campagne lancée dans trois régions."
    action.refresh_from_db()
    assert (action.status, action.progress) == (Action.Status.IN_PROGRESS, 40)
    # The table of the reviews now lists it, reachable by its link.
    tab_to(page, lambda f: f["tag"] == "a" and f["text"] == "Prévention des TMS")


def test_a_coordinator_approves_the_minutes_with_the_keyboard(
    keyboard_page, live_server, password, held_meeting, anact_coordinator
):
    page = keyboard_page
    meeting, _action = held_meeting
    log_in_with_the_keyboard(page, live_server, "anact.coordinateur", password)
    page.goto(f"{live_server.url}{meeting.get_absolute_url()}")

    tab_to(page, lambda f: f["tag"] == "a" and f["text"] == "Approuver le compte rendu")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/approve_minutes/$"))
    # The confirmation: Tab reaches Confirm (past Cancel with Shift+Tab and back); Space
    # presses a button as Enter does.
    tab_to(page, lambda f: f["tag"] == "button" and f["text"] == "Confirmer")
    tab_to(page, lambda f: f["tag"] == "a" and f["text"] == "Annuler", limit=1)
    tab_to(
        page, lambda f: f["tag"] == "button" and f["text"] == "Confirmer", limit=1, key="Shift+Tab"
    )
    page.keyboard.press("Space")
    page.wait_for_url(f"{live_server.url}{meeting.get_absolute_url()}")

    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.MINUTES_APPROVED
    assert meeting.minutes_approved_by == anact_coordinator
    assert (
        page.get_by_role("note")
        .inner_text()
        .startswith("Le compte rendu de cette réunion est approuvé")
    )
    # The meeting is read-only now: the only transition offered is to reopen the minutes.
    tab_to(page, lambda f: f["tag"] == "a" and f["text"] == "Rouvrir le compte rendu")
