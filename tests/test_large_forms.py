"""Large forms: an edit page with hundreds of rows saves, a post too large to read is a French
400 page, and a tampered row count is a French formset error that saves nothing.

A meeting of a national network can have hundreds of follow-up tasks; every row of the
decisions page posts about ten fields, so past about 120 tasks the page posted more than
Django's default limit of 1,000 fields and the person got Django's bare English "Bad Request
(400)" with what they had typed lost.
"""

import datetime

import pytest
from django import forms
from django.core.exceptions import TooManyFieldsSent
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse

from partnership.core import errors
from partnership.core.concurrency import is_versioned
from partnership.core.forms import BaseInlineFormSet
from partnership.meetings.forms import FollowUpTaskFormSet
from partnership.models import FollowUpTask, Meeting
from tests.factories import FollowUpTaskFactory, MeetingFactory
from tests.html_forms import form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def meeting(agreement):
    starts = datetime.datetime(2026, 3, 10, 9, tzinfo=datetime.UTC)
    return MeetingFactory(
        agreement=agreement,
        title="Comité de pilotage national",
        kind=Meeting.Kind.STEERING_COMMITTEE,
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=3),
    )


def _tasks(meeting, owner, count):
    return FollowUpTaskFactory.create_batch(count, meeting=meeting, owner=owner)


def _field_count(data):
    return sum(len(value) if isinstance(value, list) else 1 for value in data.values())


def _blank_row(data, prefix):
    total = int(data[f"{prefix}-TOTAL_FORMS"])
    return next(n for n in range(total) if not data.get(f"{prefix}-{n}-id"))


def test_a_meeting_with_150_follow_up_tasks_is_saved_from_its_decisions_page(
    client, meeting, anact_coordinator, anact_contributor
):
    tasks = _tasks(meeting, anact_contributor, 150)
    client.force_login(anact_coordinator)
    url = reverse("meeting_outcomes", args=[meeting.pk])
    data = form_data(client.get(url))
    assert _field_count(data) > 1_000  # Django's default limit, refused before the fix
    last = next(
        key[: -len("-id")]
        for key, value in data.items()
        if key.startswith("follow_ups-") and key.endswith("-id") and value == str(tasks[-1].pk)
    )
    data[f"{last}-title"] = "Diffuser le relevé de décisions au réseau"
    row = _blank_row(data, "follow_ups")
    data[f"follow_ups-{row}-title"] = "Préparer le prochain comité"
    data[f"follow_ups-{row}-owner"] = str(anact_contributor.pk)

    response = client.post(url, data)

    assert response.status_code == 302, [
        (fs.errors, fs.non_form_errors()) for fs in response.context["formsets"].values()
    ]
    tasks[-1].refresh_from_db()
    assert tasks[-1].title == "Diffuser le relevé de décisions au réseau"
    assert meeting.follow_ups.count() == 151
    assert meeting.follow_ups.filter(title="Préparer le prochain comité").exists()


def test_the_decisions_page_saves_a_meeting_with_as_many_tasks_as_it_takes(
    client, meeting, anact_coordinator, anact_contributor
):
    rows = FollowUpTaskFormSet.max_num
    FollowUpTask.objects.bulk_create(
        FollowUpTask(meeting=meeting, title=f"Relance {n}", owner=anact_contributor)
        for n in range(rows - 1)
    )
    client.force_login(anact_coordinator)
    url = reverse("meeting_outcomes", args=[meeting.pk])
    data = form_data(client.get(url))
    row = _blank_row(data, "follow_ups")
    data[f"follow_ups-{row}-title"] = "La dernière tâche que la page prend"
    data[f"follow_ups-{row}-owner"] = str(anact_contributor.pk)
    response = client.post(url, data)

    assert response.status_code == 302
    assert meeting.follow_ups.count() == rows
    assert meeting.follow_ups.filter(title="La dernière tâche que la page prend").exists()


# A post too large to read: the French 400 page -------------------------------------------


def test_a_post_beyond_the_field_limit_gets_the_french_400_page_and_saves_nothing(
    meeting, anact_coordinator, anact_contributor, settings
):
    task = FollowUpTaskFactory(meeting=meeting, title="Relancer Carsat", owner=anact_contributor)
    # As in production, the CSRF check is the first to read the post.
    client = Client(enforce_csrf_checks=True)
    client.force_login(anact_coordinator)
    url = reverse("meeting_outcomes", args=[meeting.pk])
    data = form_data(client.get(url))
    data["follow_ups-0-title"] = "Relancer la Carsat et la Dreets"
    padding = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS - _field_count(data) + 1
    data.update({f"champ-{n}": "x" for n in range(padding)})

    response = client.post(url, data)

    assert response.status_code == 400
    html = response.text
    assert 'lang="fr"' in html
    assert "<title>Demande refusée · Suivi du partenariat</title>" in html
    assert "Le formulaire envoyé n’a pas pu être lu" in html
    assert "rien n’a été enregistré" in html
    assert "bouton Précédent de votre navigateur" in html
    assert f'<a href="{url}">Rouvrir le formulaire' in html
    assert '<a href="/">Retour au tableau de bord</a>' in html
    assert "Bad Request" not in html
    task.refresh_from_db()
    assert task.title == "Relancer Carsat"
    assert task.history.count() == 1


def test_the_400_page_needs_neither_the_database_nor_a_person(rf, django_assert_num_queries):
    request = rf.post("/rendez-vous/12/decisions-et-suites/?onglet=suites")
    with django_assert_num_queries(0):
        response = errors.bad_request(request, TooManyFieldsSent())
    assert response.status_code == 400
    assert 'href="/rendez-vous/12/decisions-et-suites/?onglet=suites"' in response.text
    # A link to the page only for a refused form, and never to another site.
    elsewhere = rf.post("/x")
    elsewhere.path = "//ailleurs.example/x"  # a request line the test client cannot send
    for request in (rf.get("/rendez-vous/"), elsewhere):
        response = errors.bad_request(request, TooManyFieldsSent())
        assert "Rouvrir le formulaire" not in response.text
        assert "Retour au tableau de bord" in response.text


# A tampered row count: a French formset error, nothing saved -----------------------------


@pytest.mark.parametrize("total", [FollowUpTaskFormSet.absolute_max + 1, 10**9])
def test_a_tampered_row_count_is_refused_in_french_and_saves_nothing(
    client, meeting, anact_coordinator, anact_contributor, total
):
    tasks = _tasks(meeting, anact_contributor, 3)
    client.force_login(anact_coordinator)
    url = reverse("meeting_outcomes", args=[meeting.pk])
    data = form_data(client.get(url))
    data["follow_ups-0-title"] = "Titre changé"
    row = _blank_row(data, "follow_ups")
    data[f"follow_ups-{row}-title"] = "Tâche ajoutée"
    data["follow_ups-TOTAL_FORMS"] = str(total)

    response = client.post(url, data)

    assert response.status_code == 200
    formset = response.context["formsets"]["follow_ups"]
    assert formset.non_form_errors() == [
        f"Cette liste ne peut pas compter plus de {FollowUpTaskFormSet.max_num} lignes."
    ]
    assert len(formset.forms) == 3  # the rows the page was loaded with, none per claimed row
    assert "rien n’a encore été enregistré" in response.text
    assert meeting.follow_ups.count() == 3
    assert sorted(meeting.follow_ups.values_list("title", flat=True)) == sorted(
        task.title for task in tasks
    )


# Every edit page fits the field limit -----------------------------------------------------


def _edit_views():
    def walk(patterns):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns)
            else:
                yield pattern

    views = {
        getattr(pattern.callback, "view_class", None)
        for pattern in walk(get_resolver().url_patterns)
    }
    return sorted(
        (view for view in views if getattr(view, "formset_classes", None)),
        key=lambda view: view.__name__,
    )


def _multiple(field):
    return isinstance(field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField)


@pytest.mark.parametrize("view", _edit_views(), ids=lambda view: view.__name__)
def test_every_edit_page_with_its_lists_at_their_maximum_fits_the_field_limit(view, settings):
    """What a page posts at most: the main form's fields and version, and per list its four
    management fields and, per row, the row's fields, id, parent, version and "delete". The
    main form's multiple selects send one field per chosen option: they get what is left."""
    posted = 1 + len(view.form_class.base_fields) + 1  # the CSRF token, the form, its version
    for formset in view.formset_classes.values():
        # Every list is bounded: a tampered TOTAL_FORMS builds no more forms than it takes,
        # and a longer list is refused in the person's words.
        assert issubclass(formset, BaseInlineFormSet)
        assert formset.validate_max and formset.absolute_max == formset.max_num
        row = len(formset.form.base_fields) + 2 + is_versioned(formset.model) + formset.can_delete
        assert not any(_multiple(field) for field in formset.form.base_fields.values())
        posted += 4 + formset.max_num * row
    room = 1_000 if any(_multiple(field) for field in view.form_class.base_fields.values()) else 0
    assert posted + room <= settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
