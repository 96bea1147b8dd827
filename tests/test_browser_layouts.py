"""Layouts that failed a person: a list's filters on a phone (folded behind "Filtres", open
when a filter is set), the meeting's follow-up tasks at 1280 px."""

import pytest
from django.urls import reverse

from tests.browser import chromium, logged_in_page  # noqa: F401
from tests.factories import FollowUpTaskFactory, MeetingFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_filters_fold_on_a_phone_and_open_when_asked_or_set(
    chromium,  # noqa: F811
    live_server,
    password,
    anact_coordinator,
    agreement,
):
    url = f"{live_server.url}{reverse('action_list')}"
    page = logged_in_page(chromium, live_server, "anact.coordinateur", password, width=390)
    try:
        page.goto(url)
        toggle = page.get_by_role("button", name="Filtres")
        filters = page.get_by_role("search", name="Filtrer la liste")
        assert toggle.is_visible() and not filters.is_visible()
        assert toggle.get_attribute("aria-expanded") == "false"
        toggle.click()
        assert filters.is_visible()
        assert toggle.get_attribute("aria-expanded") == "true"
        # A filter set: the page opens with the filters shown.
        page.goto(f"{url}?status=planned")
        assert filters.is_visible()
        assert toggle.get_attribute("aria-expanded") == "true"
    finally:
        page.context.close()

    page = logged_in_page(chromium, live_server, "anact.coordinateur", password)
    try:
        page.goto(url)
        assert page.get_by_role("search", name="Filtrer la liste").is_visible()
        assert not page.get_by_role("button", name="Filtres").is_visible()
    finally:
        page.context.close()

    page = logged_in_page(
        chromium, live_server, "anact.coordinateur", password, width=390, javascript=False
    )
    try:
        page.goto(url)
        assert page.get_by_role("search", name="Filtrer la liste").is_visible()
        assert not page.get_by_role("button", name="Filtres").is_visible()
    finally:
        page.context.close()


def test_the_follow_up_tasks_fit_their_card_at_1280(
    chromium,  # noqa: F811
    live_server,
    password,
    anact_coordinator,
    agreement,
):
    """The "mark as done" buttons overflowed the card of the meeting's follow-up tasks."""
    meeting = MeetingFactory(agreement=agreement)
    for title in ("Proposer un nouveau calendrier pour le rapport d’expertise", "Relancer"):
        FollowUpTaskFactory(meeting=meeting, title=title, owner=anact_coordinator)
    FollowUpTaskFactory(meeting=meeting, owner=anact_coordinator, done=True, done_on="2026-11-17")
    page = logged_in_page(chromium, live_server, "anact.coordinateur", password)
    try:
        page.goto(f"{live_server.url}{meeting.get_absolute_url()}")
        box = page.locator("#follow-ups .table-responsive")
        overflow = box.evaluate("box => box.scrollWidth - box.clientWidth")
        assert overflow <= 0, f"the follow-up tasks are {overflow}px wider than their card"
        done_buttons = page.get_by_role("button", name="Marquer comme terminée")
        assert done_buttons.count() == 2
    finally:
        page.context.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_a_row_table_shows_each_label_once_in_its_column_header(
    chromium,  # noqa: F811
    live_server,
    password,
    anact_coordinator,
    agreement,
    anact,
    width,
):
    from tests.factories import ActionFactory, ActionResourceFactory, ProgrammeFactory

    programme = ProgrammeFactory(agreement=agreement, year=2026)
    action = ActionFactory(programme=programme, lead_organisation=anact)
    ActionResourceFactory(action=action, organisation=anact, person_days=10, budget=10000)
    page = logged_in_page(chromium, live_server, "anact.coordinateur", password, width=width)
    try:
        page.goto(f"{live_server.url}{reverse('action_update', args=[action.pk])}")
        table = page.locator("[data-formset=resources] table")
        # The delete box of a saved row is named for a screen reader, its label not drawn
        # again under the "Supprimer" header; so are the other cells' labels.
        delete = table.locator("tbody input[type=checkbox]").first
        assert delete.evaluate("box => box.labels[0].textContent.trim()") == "Supprimer"
        labels = table.locator("tbody label")
        assert labels.count() >= 4
        for index in range(labels.count()):
            box = labels.nth(index).bounding_box()
            assert box is None or (box["width"] <= 1 and box["height"] <= 1)
        assert table.locator("thead th", has_text="Supprimer").count() == 1
    finally:
        page.context.close()
