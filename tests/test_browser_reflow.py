"""Content reflows at 320 CSS px, and at 200 % zoom (RGAA 10.11, WCAG 1.4.10): no page
scrolls sideways. What cannot be narrower (a wide table) scrolls inside its own box, which
takes the keyboard focus and is named, so that a keyboard or screen reader user can reach
it and knows what it holds.

320 CSS px is a 1280 px screen at 400 % zoom; 640 px is the same screen at 200 %.
"""

import json
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.urls import Resolver404, resolve, reverse

from partnership.demo import data as demo
from tests.browser import chromium, logged_in_page  # noqa: F401
from tests.test_accessibility import NOT_PAGES
from tests.test_browser_staff import (  # noqa: F401
    _elements_past_the_right_edge,
    _main_pages,
    current_programme,
    dataset,
)

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = [320, 640]

# The boxes that scroll sideways in the page: each must take the focus and have a name, a
# region named after what it holds or a table named by its caption.
SCROLLING_BOXES = """() => {
    const found = [];
    for (const box of document.querySelectorAll("body *")) {
        const overflow = getComputedStyle(box).overflowX;
        if (!(overflow === "auto" || overflow === "scroll")) continue;
        if (box.scrollWidth <= box.clientWidth + 1 || !box.getClientRects().length) continue;
        if (box.matches("select, textarea, input")) continue;  // a field, named by its label
        const caption = box.tagName === "TABLE" && box.querySelector("caption");
        found.push({
            tag: box.tagName.toLowerCase() + (box.className ? "." + box.className : ""),
            focusable: box.tabIndex >= 0,
            role: box.getAttribute("role") || (caption ? "table" : ""),
            name: (caption && caption.textContent.trim()) || box.getAttribute("aria-label")
                || (box.getAttribute("aria-labelledby") || "").split(" ")
                    .map((id) => (document.getElementById(id) || {}).textContent || "")
                    .join(" ").trim(),
        });
    }
    return found;
}"""


def _staff_pages(data, anact, anact_coordinator):
    """The directory and the administration's pages (the back office of the staff)."""
    return {
        "organisation-list": reverse("organisation_list"),
        "organisation": anact.get_absolute_url(),
        "contact-list": reverse("contact_list"),
        "action-form": reverse("action_create", kwargs={"programme_pk": data["programme"].pk}),
        "action-edit": reverse("action_update", kwargs={"pk": data["action"].pk}),
        "action-history": reverse("action_history", kwargs={"pk": data["action"].pk}),
        "search": reverse("search") + "?q=pr%C3%A9vention",
        "deleted-records": reverse("deleted_records"),
        "statement": reverse("accessibility"),
        "admin": reverse("admin:index"),
        "admin-people": reverse("admin:auth_user_changelist"),
        "admin-person": reverse("admin:auth_user_change", args=[anact_coordinator.pk]),
        "admin-profiles": reverse("admin:partnership_staffprofile_changelist"),
        "admin-actions": reverse("admin:partnership_action_changelist"),
        "admin-organisation": reverse("admin:partnership_organisation_change", args=[anact.pk]),
    }


def _overflow(page):
    return page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def _reflow_problems(page):
    """What keeps the page from reflowing: sideways scrolling, content past the right edge,
    a box scrolling sideways that the keyboard cannot reach or that has no name, what the
    browser refused or what failed in a script."""
    problems = []
    overflow = _overflow(page)
    if overflow > 0:
        problems.append(f"{overflow}px wider than the window")
    past = _elements_past_the_right_edge(page)
    if past:
        problems.append(f"past the right edge: {past[:5]}")
    for box in page.evaluate(SCROLLING_BOXES):
        if not (box["focusable"] and box["name"] and box["role"] in ("region", "table")):
            problems.append(f"a box scrolls but is not a focusable, named region: {box}")
    if page.errors:
        problems.append(list(page.errors))
        page.errors.clear()
    return problems


@pytest.mark.parametrize("width", WIDTHS)
def test_every_main_page_reflows_without_sideways_scrolling(
    chromium,  # noqa: F811
    live_server,
    password,
    dataset,  # noqa: F811
    anact,
    anact_coordinator,
    administrator,
    width,
):
    pages = {**_main_pages(dataset), **_staff_pages(dataset, anact, anact_coordinator)}
    page = logged_in_page(chromium, live_server, "admin", password, width=width)
    failures = {}
    try:
        for name, url in pages.items():
            response = page.goto(f"{live_server.url}{url}")
            assert response.status == 200, url
            problems = _reflow_problems(page)
            if problems:
                failures[name] = problems
    finally:
        page.context.close()
    assert not failures, json.dumps(failures, indent=1, ensure_ascii=False)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_login_page_reflows(chromium, live_server, width):  # noqa: F811
    context = chromium.new_context(locale="fr-FR", viewport={"width": width, "height": 700})
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}{reverse('login')}")
        assert _overflow(page) <= 0
        assert _elements_past_the_right_edge(page) == []
    finally:
        context.close()


@pytest.fixture
def demo_data(db):
    call_command("load_demo", "--quiet")


@pytest.mark.parametrize("username", ["anact.coordinateur", "admin"])
def test_every_page_type_a_person_reaches_reflows_at_320_px(
    chromium,  # noqa: F811
    live_server,
    demo_data,
    username,
):
    """The walk of tests/test_accessibility.py, at 320 px: from the dashboard, the first
    address of each page type (URL name) the person reaches by following links."""
    page = logged_in_page(chromium, live_server, username, demo.DEMO_PASSWORD, width=320)
    seen, failures, queue = {}, {}, ["/"]
    try:
        while queue:
            path = queue.pop(0)
            try:
                name = resolve(path).view_name
            except Resolver404:
                continue
            if name in seen or name in NOT_PAGES or name.startswith("admin:"):
                continue
            seen[name] = path
            response = page.goto(f"{live_server.url}{path}")
            assert response.ok, f"{path}: {response.status}"
            problems = _reflow_problems(page)
            if problems:
                failures[f"{name} {path}"] = problems
            for href in page.eval_on_selector_all(
                "a[href]",
                "links => links.map(a => new URL(a.getAttribute('href'), a.baseURI).href)",
            ):
                parts = urlsplit(href)
                same_site = f"{parts.scheme}://{parts.netloc}" == live_server.url
                if same_site and parts.path and parts.path not in queue:
                    queue.append(parts.path)
    finally:
        page.context.close()
    assert {"home", "agreement_detail", "action_detail", "meeting_detail"} <= set(seen)
    assert not failures, json.dumps(failures, indent=1, ensure_ascii=False)
