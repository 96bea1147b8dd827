"""The page cache: a page is drawn once and served again to the same person until anything
changes; never to someone else, never after a change, never with someone else's messages."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from partnership.core import pagecache
from partnership.models import Action
from tests.factories import ActionFactory, ProgrammeFactory
from tests.html_forms import form_data


@pytest.fixture(autouse=True)
def page_cache(settings, tmp_path):
    settings.PAGE_CACHE_SECONDS = 60
    settings.CACHES = {
        **settings.CACHES,
        "pages": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path / "pages"),
        },
    }


@pytest.fixture
def action(agreement, anact):
    programme = ProgrammeFactory(agreement=agreement, year=2026)
    return ActionFactory(programme=programme, title="Guide TMS commun", lead_organisation=anact)


def _browser(user):
    """A logged-in browser that has its CSRF cookie, as after any page with a form."""
    browser = Client()
    browser.force_login(user)
    browser.get(reverse("home"))
    return browser


def test_a_page_is_drawn_once_then_served_with_two_queries(
    action, anact_reader, django_assert_num_queries
):
    browser = _browser(anact_reader)
    first = browser.get(action.get_absolute_url())
    with django_assert_num_queries(2):  # the session and the person: nothing of the page
        second = browser.get(action.get_absolute_url())
    assert second.status_code == 200
    assert second.content == first.content
    assert second["Content-Type"] == first["Content-Type"]
    # The headers of every answer are still there.
    assert "Content-Security-Policy" in second
    assert second["X-Frame-Options"] == "DENY"


def test_a_change_saved_by_someone_else_shows_on_the_next_page(
    action, anact_reader, anact_coordinator
):
    reader = _browser(anact_reader)
    assert "Guide TMS commun" in reader.get(action.get_absolute_url()).text

    coordinator = _browser(anact_coordinator)
    edit = reverse("action_update", args=[action.pk])
    data = form_data(coordinator.get(edit))
    data["title"] = "Guide TMS révisé"
    assert coordinator.post(edit, data).status_code == 302

    response = reader.get(action.get_absolute_url())
    assert response.context["action"].title == "Guide TMS révisé"  # drawn again
    assert "Guide TMS révisé" in response.text


def test_a_record_saved_outside_any_page_shows_on_the_next_page(
    transactional_db, action, anact_reader
):
    """As from a command or the shell: each save commits at once (real transactions here)."""
    browser = _browser(anact_reader)
    browser.get(action.get_absolute_url())
    action.title = "Renommée depuis une commande"
    action.save()
    assert "Renommée depuis une commande" in browser.get(action.get_absolute_url()).text


def test_pages_kept_before_a_change_are_old_once_it_commits_not_before(
    transactional_db, action, django_capture_on_commit_callbacks
):
    """Until the change commits, a page drawn meanwhile (without it) may be kept: it is the
    commit that makes the pages old. Several saves ask for one change of generation; a save
    in a savepoint rolled back does not take the outer save's along."""
    from django.db import transaction

    with transaction.atomic(), django_capture_on_commit_callbacks() as callbacks:
        action.title = "Première"
        action.save()
        action.partners.set([])
        try:
            with transaction.atomic():
                action.title = "Annulée"
                action.save()
                raise RuntimeError
        except RuntimeError:
            pass
    assert callbacks.count(pagecache.new_generation) == 1

    with transaction.atomic(), django_capture_on_commit_callbacks() as callbacks:
        with transaction.atomic():
            action.title = "Dans un point de sauvegarde"
            action.save()  # asks inside the savepoint
        action.title = "Après"
        action.save()  # the savepoint's call is still there: it commits with this save
    assert callbacks.count(pagecache.new_generation) == 1

    with transaction.atomic(), django_capture_on_commit_callbacks() as callbacks:
        try:
            with transaction.atomic():
                action.title = "Annulée"
                action.save()
                raise RuntimeError
        except RuntimeError:
            pass
        action.title = "Gardée"
        action.save()  # the rolled-back call is gone: this save asks again
    assert callbacks.count(pagecache.new_generation) == 1


def test_a_bulk_change_shows_once_the_command_says_so(action, anact_reader):
    browser = _browser(anact_reader)
    browser.get(action.get_absolute_url())
    Action.objects.filter(pk=action.pk).update(title="Écrite en masse")
    pagecache.new_generation()  # what the bulk commands (scale data, restore) call
    assert "Écrite en masse" in browser.get(action.get_absolute_url()).text


def test_a_page_kept_for_one_person_is_never_served_to_another(
    action, anact_reader, anact_coordinator, outsider
):
    edit = reverse("action_update", args=[action.pk])
    coordinator, other = _browser(anact_coordinator), _browser(outsider)  # logged in first:
    reader = _browser(anact_reader)  # a login is a change, the pages kept before are old
    # Even with the same CSRF cookie (a shared computer, say): the person is in the key.
    other.cookies["csrftoken"] = reader.cookies["csrftoken"].value
    assert edit not in reader.get(action.get_absolute_url()).text

    assert edit in coordinator.get(action.get_absolute_url()).text
    assert other.get(action.get_absolute_url()).status_code == 404


def test_the_edit_form_served_again_carries_a_valid_csrf_token(action, anact_coordinator):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(anact_coordinator)
    browser.get(reverse("home"))
    edit = reverse("action_update", args=[action.pk])
    browser.get(edit)
    kept = browser.get(edit)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', kept.text).group(1)
    data = form_data(kept)
    data.update(title="Titre envoyé depuis la page gardée", csrfmiddlewaretoken=token)
    assert browser.post(edit, data).status_code == 302
    action.refresh_from_db()
    assert action.title == "Titre envoyé depuis la page gardée"


def test_a_message_is_shown_once_even_on_a_page_kept_before(action, anact_coordinator):
    browser = _browser(anact_coordinator)
    browser.get(action.get_absolute_url())
    edit = reverse("action_update", args=[action.pk])
    response = browser.post(edit, form_data(browser.get(edit)), follow=True)
    assert "a été enregistrée" in response.text
    assert "a été enregistrée" not in browser.get(action.get_absolute_url()).text


def test_each_language_has_its_own_page(action, anact_reader):
    browser = _browser(anact_reader)
    assert 'lang="fr"' in browser.get(action.get_absolute_url()).text
    english = browser.get(action.get_absolute_url(), headers={"accept-language": "en"})
    assert 'lang="en"' in english.text


def test_pages_outside_the_list_are_drawn_every_time(agreement, anact_reader):
    browser = _browser(anact_reader)
    url = reverse("organisation_list")
    browser.get(url)
    assert browser.get(url).context is not None  # drawn from its template, not kept


def test_nothing_is_kept_when_the_cache_is_off(settings, action, anact_reader):
    settings.PAGE_CACHE_SECONDS = 0
    browser = _browser(anact_reader)
    browser.get(action.get_absolute_url())
    Action.objects.filter(pk=action.pk).update(title="Sans cache")
    assert "Sans cache" in browser.get(action.get_absolute_url()).text
