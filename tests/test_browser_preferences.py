"""The notification preferences page in the browser: one table of radio buttons, worked with the
keyboard, that fits a phone's width."""

import pytest

from partnership.discussion.models import Event
from partnership.discussion.preferences import DeliveryPreference
from tests.browser import (  # noqa: F401
    assert_no_horizontal_overflow,
    chromium,
    logged_in_page,
)

pytestmark = pytest.mark.django_db(transaction=True)

# A radio button is named by its row (the kind, its default) and its column (the option).
COMMENT_ROW = "Un commentaire Par défaut : Dans le récapitulatif quotidien"


@pytest.mark.parametrize("width", [1280, 390])
def test_a_person_turns_comments_off_with_the_keyboard(
    chromium,  # noqa: F811
    live_server,
    password,
    inrs_coordinator,
    width,
    tmp_path_factory,
):
    page = logged_in_page(chromium, live_server, inrs_coordinator.username, password, width=width)
    try:
        page.goto(f"{live_server.url}/notifications/preferences/")
        assert page.get_by_role("heading", level=1).inner_text() == "Préférences de notification"
        digest = page.get_by_role(
            "radio",
            name=f"{COMMENT_ROW} Dans le récapitulatif quotidien",
        )
        assert digest.is_checked()
        digest.focus()
        page.keyboard.press("ArrowRight")  # to the next option of the row: off
        off = page.get_by_role("radio", name=f"{COMMENT_ROW} Désactivé")
        assert off.is_checked()
        assert_no_horizontal_overflow(page)
        page.screenshot(
            path=tmp_path_factory.getbasetemp() / f"preferences-{width}.png", full_page=True
        )
        page.get_by_role("button", name="Enregistrer mes préférences").click()
        page.get_by_text("Vos préférences de notification sont enregistrées.").wait_for()
        assert page.errors == []
    finally:
        page.context.close()
    assert DeliveryPreference.objects.get(user=inrs_coordinator).kind == Event.COMMENT
