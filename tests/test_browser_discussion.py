"""In the browser: mentioning someone in a comment with the keyboard, the bell, the
notification page and landing on the comment, at 1280 and 390 px."""

import os

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from partnership.models import Comment, Notification
from tests.browser import assert_no_horizontal_overflow, chromium, logged_in_page  # noqa: F401
from tests.factories import ActionFactory, ProgrammeFactory

pytestmark = pytest.mark.django_db(transaction=True)
SHOTS = os.environ.get("SCREENSHOTS_DIR")


def _shot(page, tmp_path, name):
    page.screenshot(path=os.path.join(SHOTS or tmp_path, name), full_page=True)


@pytest.fixture
def action(agreement, anact):
    return ActionFactory(
        programme=ProgrammeFactory(agreement=agreement, year=2026),
        title="Guide TMS commun",
        lead_organisation=anact,
    )


@pytest.mark.parametrize("width", [1280, 390])
def test_mention_with_the_keyboard_then_the_bell_leads_to_the_comment(
    chromium,  # noqa: F811
    live_server,
    password,
    anact_contributor,
    inrs_coordinator,
    outsider,
    action,
    tmp_path,
    width,
):
    # Names fixed, not drawn by Faker: the author, who is offered too, must not start with
    # "In" (a drawn name did in CI); the outsider's must, so the count checks it is left out.
    for person, first_name, last_name in (
        (inrs_coordinator, "Inès", "Roux"),
        (anact_contributor, "Paul", "Durand"),
        (outsider, "Ingrid", "Lefèvre"),
    ):
        person.first_name, person.last_name = first_name, last_name
        person.save()
    page = logged_in_page(chromium, live_server, "anact.contributeur", password, width=width)
    try:
        page.goto(f"{live_server.url}{action.get_absolute_url()}")
        comment_box = page.get_by_label("Votre commentaire")
        comment_box.fill("Un avis ? ")
        # The mention list is a combobox reached with Tab from the comment.
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id") == "id_comment_mention-ts-control"
        page.keyboard.type("In")
        options = page.locator("#id_comment_mention-ts-dropdown").get_by_role("option")
        expect(options).to_have_count(1)  # the outsider (Cnav) is never offered
        expect(options.first).to_contain_text("Inès Roux")
        page.keyboard.press("Enter")
        expect(comment_box).to_have_value("Un avis ? @inrs.coordinateur ")
        assert page.evaluate("document.activeElement.id") == "id_comment_body"
        _shot(page, tmp_path, f"comment-mention-{width}.png")
        page.get_by_role("button", name="Publier le commentaire").click()
        comment = Comment.objects.get()
        page.wait_for_url(f"**{action.get_absolute_url()}#comment-{comment.pk}")
        assert_no_horizontal_overflow(page)
        _shot(page, tmp_path, f"comment-thread-{width}.png")
    finally:
        page.context.close()

    page = logged_in_page(chromium, live_server, "inrs.coordinateur", password, width=width)
    try:
        page.goto(f"{live_server.url}/")
        # On a phone too, the bell is in sight without opening the menu.
        bell = page.get_by_role("link", name="Notifications 1 non lue")
        expect(bell).to_be_visible()
        bell.focus()
        page.keyboard.press("Enter")
        page.wait_for_url(f"**{reverse('notification_list')}")
        _shot(page, tmp_path, f"notifications-{width}.png")
        assert_no_horizontal_overflow(page)
        link = page.get_by_role("button", name="vous a mentionné dans un commentaire").first
        link.focus()
        page.keyboard.press("Enter")
        page.wait_for_url(f"**{action.get_absolute_url()}#comment-{comment.pk}")
        assert Notification.objects.get(recipient=inrs_coordinator).read_at is not None
        expect(page.locator(f"#comment-{comment.pk}")).to_be_in_viewport()
    finally:
        page.context.close()
