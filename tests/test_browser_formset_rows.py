"""Rows added in the page, in a real browser: five Aract partners entered in one save.

With JavaScript the "add a row" button copies the blank row in the page; without it, the
button posts the form and the page comes back with one more row and nothing lost.
"""

import pytest
from django.urls import reverse

from experimentations.models import ExperimentationPartner
from tests.browser import chromium, logged_in_page  # noqa: F401
from tests.factories import ExperimentationFactory, OrganisationFactory

pytestmark = pytest.mark.django_db(transaction=True)

ARACTS = ["Aract Bretagne", "Aract Normandie", "Aract Occitanie", "Aract Grand Est"]


@pytest.fixture
def experimentation(agreement):
    for name in ARACTS:
        OrganisationFactory(name=name, acronym=name)
    return ExperimentationFactory(agreement=agreement, title="Prévention de l’usure à domicile")


def _partner_rows(page):
    return page.locator("fieldset[data-formset='partners'] tbody tr")


def test_partners_added_and_removed_in_the_page_then_saved_once(
    chromium,  # noqa: F811
    live_server,
    password,
    anact_coordinator,
    experimentation,
    tmp_path,
):
    page = logged_in_page(chromium, live_server, "anact.coordinateur", password)
    try:
        url = reverse("experimentations:experimentation_update", args=[experimentation.pk])
        page.goto(f"{live_server.url}{url}")
        add = page.locator("fieldset[data-formset='partners'] [data-formset-add]")
        assert add.get_attribute("type") == "button"  # Enter in a field saves the form
        assert _partner_rows(page).count() == 2  # two blank rows on a new list
        for _ in range(3):
            add.click()
        assert _partner_rows(page).count() == 5
        # The focus goes to the new row; the change is announced.
        focused = page.evaluate("document.activeElement.name")
        assert focused == "partners-4-organisation"
        status = page.locator("fieldset[data-formset='partners'] [data-formset-status]")
        assert status.inner_text() == "Une ligne a été ajoutée."
        page.locator("fieldset[data-formset='partners']").screenshot(path=tmp_path / "rows.png")
        page.set_viewport_size({"width": 390, "height": 900})
        page.locator("fieldset[data-formset='partners']").screenshot(path=tmp_path / "rows-390.png")
        page.set_viewport_size({"width": 1280, "height": 900})

        # One row too many: removed before saving.
        _partner_rows(page).nth(4).get_by_role("button", name="Retirer cette ligne").click()
        assert _partner_rows(page).count() == 4
        assert page.evaluate("document.activeElement.hasAttribute('data-formset-add')")
        for index, name in enumerate(ARACTS):
            page.locator(f"select[name='partners-{index}-organisation']").select_option(label=name)
            page.locator(f"select[name='partners-{index}-level']").select_option("regional")
        page.get_by_role("button", name="Enregistrer").click()
        page.wait_for_url(f"{live_server.url}{experimentation.get_absolute_url()}")
        saved = ExperimentationPartner.objects.filter(experimentation=experimentation)
        assert sorted(saved.values_list("organisation__name", flat=True)) == sorted(ARACTS)
        assert page.errors == []
    finally:
        page.context.close()


def test_a_row_added_without_javascript_keeps_what_was_typed(
    chromium,  # noqa: F811
    live_server,
    password,
    anact_coordinator,
    experimentation,
):
    page = logged_in_page(chromium, live_server, "anact.coordinateur", password, javascript=False)
    try:
        url = reverse("experimentations:experimentation_update", args=[experimentation.pk])
        page.goto(f"{live_server.url}{url}")
        page.get_by_label("Titre").fill("Usure professionnelle à domicile")
        page.locator("select[name='partners-0-organisation']").select_option(label=ARACTS[0])
        page.locator("select[name='partners-0-level']").select_option("regional")
        page.locator("fieldset[data-formset='partners'] [data-formset-add]").click()
        page.wait_for_load_state()
        assert _partner_rows(page).count() == 3
        assert page.get_by_label("Titre").input_value() == "Usure professionnelle à domicile"
        organisation = page.locator("select[name='partners-0-organisation'] option:checked")
        assert organisation.inner_text() == ARACTS[0]
        assert page.locator(".invalid-feedback").count() == 0
        for index in (1, 2):
            select = page.locator(f"select[name='partners-{index}-organisation']")
            select.select_option(label=ARACTS[index])
            page.locator(f"select[name='partners-{index}-level']").select_option("regional")
        page.get_by_role("button", name="Enregistrer").click()
        page.wait_for_url(f"{live_server.url}{experimentation.get_absolute_url()}")
        experimentation.refresh_from_db()
        assert experimentation.title == "Usure professionnelle à domicile"
        assert experimentation.partners.count() == 3
    finally:
        page.context.close()
