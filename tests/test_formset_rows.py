"""Rows added in the page: every list of rows of an edit form takes one more row without a save.

With JavaScript the row is added in the page (tests/test_browser_formset_rows.py); without
it, the "add a row" button posts the form, which comes back with what was typed, one more
blank row, no error shown and nothing saved.
"""

import re

import pytest
from django.urls import reverse

from partnership.models import Action, ActionResource
from tests.factories import ActionFactory, ActionResourceFactory, ProgrammeFactory
from tests.html_forms import form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def action(agreement, anact, inrs):
    action = ActionFactory(
        programme=ProgrammeFactory(agreement=agreement, year=2026),
        title="Guide TMS commun",
        lead_organisation=anact,
    )
    ActionResourceFactory(action=action, organisation=anact, person_days=10, budget=1000)
    return action


def _rows(response, prefix):
    return [
        form
        for form in response.context["formsets"][prefix].forms
        if not form.prefix.endswith("__prefix__")
    ]


def test_add_a_row_without_javascript_keeps_what_was_typed_and_saves_nothing(
    client, action, anact_coordinator, inrs
):
    client.force_login(anact_coordinator)
    url = reverse("action_update", args=[action.pk])
    page = client.get(url)
    assert '<button type="submit" name="add_row" value="resources"' in page.text
    data = form_data(page)
    assert data["resources-TOTAL_FORMS"] == "2"  # the saved row and a blank one
    data.update(
        {
            "title": "Guide TMS commun – nouvelle édition",
            "resources-1-organisation": str(inrs.pk),
            "resources-1-person_days": "4",
            "resources-1-budget": "",
            "add_row": "resources",
        }
    )
    response = client.post(url, data)
    assert response.status_code == 200
    # One more row, what was typed in each, and no error for the half-filled row.
    assert len(_rows(response, "resources")) == 3
    again = form_data(response)
    assert again["resources-TOTAL_FORMS"] == "3"
    assert again["title"] == "Guide TMS commun – nouvelle édition"
    assert (again["resources-1-organisation"], again["resources-1-person_days"]) == (
        str(inrs.pk),
        "4",
    )
    assert "nothing has been saved" not in response.text
    assert "Veuillez corriger" not in response.text
    assert 'class="invalid-feedback' not in response.text
    # Nothing saved.
    action.refresh_from_db()
    assert action.title == "Guide TMS commun"
    assert ActionResource.objects.filter(action=action).count() == 1

    # The page that came back saves everything at once.
    again.update({"resources-2-organisation": "", "resources-1-budget": "0"})
    again.pop("add_row", None)
    saved = client.post(url, again)
    assert saved.status_code == 302, [
        (f.prefix, f.errors) for fs in saved.context["formsets"].values() for f in fs if f.errors
    ] + [saved.context["form"].errors]
    action.refresh_from_db()
    assert action.title == "Guide TMS commun – nouvelle édition"
    assert sorted(action.resources.values_list("person_days", flat=True)) == [4, 10]


def test_add_a_row_on_a_new_record_saves_nothing(client, agreement, anact_coordinator):
    programme = ProgrammeFactory(agreement=agreement, year=2026)
    client.force_login(anact_coordinator)
    url = reverse("action_create", args=[programme.pk])
    data = form_data(client.get(url))
    data.update({"title": "Une action pas encore enregistrée", "add_row": "contacts"})
    response = client.post(url, data)
    assert response.status_code == 200
    assert len(_rows(response, "contacts")) == 2
    assert "Une action pas encore enregistrée" in response.text
    assert not Action.objects.exists()


def test_a_list_at_its_maximum_takes_no_more_rows(client, action, anact_coordinator):
    client.force_login(anact_coordinator)
    url = reverse("action_update", args=[action.pk])
    data = form_data(client.get(url))
    maximum = int(data["resources-MAX_NUM_FORMS"])
    data.update({"resources-TOTAL_FORMS": str(maximum), "add_row": "resources"})
    response = client.post(url, data)
    assert response.status_code == 200
    assert len(_rows(response, "resources")) == maximum
    assert [str(m) for m in response.context["messages"]] == [
        "Cette liste a atteint son nombre maximal de lignes."
    ]


@pytest.mark.parametrize(
    "tampered",
    [{"add_row": "not-a-list"}, {"add_row": "resources", "resources-TOTAL_FORMS": "many"}],
)
def test_a_tampered_add_a_row_is_a_bad_request(client, action, anact_coordinator, tampered):
    client.force_login(anact_coordinator)
    url = reverse("action_update", args=[action.pk])
    data = {**form_data(client.get(url)), **tampered}
    response = client.post(url, data)
    assert response.status_code == 400
    assert ActionResource.objects.filter(action=action).count() == 1


def test_add_a_row_asks_the_same_permission_as_saving(client, action, anact_reader, outsider):
    url = reverse("action_update", args=[action.pk])
    client.force_login(anact_reader)
    assert client.post(url, {"add_row": "resources"}).status_code == 403
    client.force_login(outsider)
    assert client.post(url, {"add_row": "resources"}).status_code == 404


def test_the_blank_row_the_script_copies_is_on_every_list(client, action, anact_coordinator):
    client.force_login(anact_coordinator)
    page = client.get(reverse("action_update", args=[action.pk])).text
    for prefix in ("resources", "contacts"):
        assert f'<fieldset class="mb-4" data-formset="{prefix}">' in page
        assert f'name="{prefix}-__prefix__-organisation"' in page
    assert page.count("<template data-formset-row>") == 2
    assert page.count("data-formset-remove") == 2  # only in the copied rows


def test_a_text_too_long_is_refused_with_its_message_and_kept_to_be_shortened(
    client, action, anact_coordinator
):
    """No maxlength: a browser would cut a pasted text without a word; the count is live
    (static/js/char-count.js) and the server says what is wrong."""
    client.force_login(anact_coordinator)
    url = reverse("action_update", args=[action.pk])
    page = client.get(url)
    title = re.search(r'<input[^>]*name="title"[^>]*>', page.text).group(0)
    assert 'data-max-length="300"' in title
    assert "maxlength" not in title
    data = form_data(page)
    data["title"] = "Guide " * 2000
    response = client.post(url, data)
    assert response.status_code == 200
    assert "au plus 300 caractères" in response.text
    assert response.context["form"]["title"].value() == "Guide " * 2000
    action.refresh_from_db()
    assert action.title == "Guide TMS commun"
