"""Long lists of options become searchable in the browser, by keyboard, and post as before."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from partnership.models import Action
from tests.browser import chromium, logged_in_page  # noqa: F401
from tests.factories import ActionFactory, OrganisationFactory, ProgrammeFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def action(agreement, anact):
    for number in range(20):
        OrganisationFactory(name=f"Organisme régional {number:02d}", acronym="")
    OrganisationFactory(name="Aract Normandie", acronym="")
    return ActionFactory(
        programme=ProgrammeFactory(agreement=agreement, year=2026),
        title="Guide TMS commun",
        lead_organisation=anact,
    )


def test_a_long_list_is_searched_and_chosen_with_the_keyboard(
    chromium,  # noqa: F811
    live_server,
    password,
    anact_coordinator,
    action,
    tmp_path,
):
    page = logged_in_page(chromium, live_server, "anact.coordinateur", password)
    try:
        page.goto(f"{live_server.url}{reverse('action_update', args=[action.pk])}")
        # The partners' list (over 15 organisations) is a searchable combobox, named by its
        # label; the keyboard hint is gone.
        partners = page.get_by_role("combobox", name="Partenaires")
        assert partners.count() == 1
        assert not page.get_by_text("Maintenez la touche Ctrl").is_visible()
        # Reached with the keyboard, it shows its focus.
        page.locator("select[name='lead_organisation'] + .ts-wrapper input").focus()
        page.keyboard.press("Escape")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id") == "id_partners-ts-control"
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline == "solid"
        page.keyboard.type("Normandie")
        options = page.locator("#id_partners-ts-dropdown").get_by_role("option")
        expect(options).to_have_text(["Aract Normandie"])
        page.keyboard.press("Enter")
        page.keyboard.press("Escape")
        page.screenshot(path=tmp_path / "searchable.png", full_page=False)
        # A short list (the kind of action) stays a plain select.
        assert page.locator("select[name='kind']").is_visible()
        page.get_by_role("button", name="Enregistrer").click()
        page.wait_for_url(f"{live_server.url}{action.get_absolute_url()}")
        saved = Action.objects.get(pk=action.pk)
        assert list(saved.partners.values_list("name", flat=True)) == ["Aract Normandie"]
        assert page.errors == []
    finally:
        page.context.close()


def test_a_field_with_a_limit_counts_its_characters_live(
    chromium,  # noqa: F811
    live_server,
    password,
    anact_coordinator,
    action,
):
    page = logged_in_page(chromium, live_server, "anact.coordinateur", password, width=390)
    try:
        page.goto(f"{live_server.url}{reverse('action_update', args=[action.pk])}")
        title = page.get_by_label("Titre")
        count = page.locator("#id_title_count")
        expect(count).to_have_text("16 / 300 caractères")
        assert "id_title_count" in title.get_attribute("aria-describedby")
        title.fill("x" * 310)  # as a paste: nothing is cut
        assert len(title.input_value()) == 310
        expect(count).to_have_text("10 caractères de trop")
        assert "text-danger" in count.get_attribute("class")
        title.fill("x" * 301)
        expect(count).to_have_text("1 caractère de trop")
    finally:
        page.context.close()
