"""The deletion confirmation's plan, read in one query (partnership/core/deletion.py), says
what Django's deletion collector would do: the same records refusing, or the same numbers of
records deleted with the one confirmed, for every record of the demonstration data."""

import html
import re

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import router
from django.db.models import ProtectedError, RestrictedError
from django.db.models.deletion import Collector

from partnership.core.deletion import deletion_plan

pytestmark = pytest.mark.django_db

PER_MODEL = 25  # records of each model checked
APPS = ("partnership", "conventions", "experimentations")


def collector_plan(obj):
    """The collector's answer, as the confirmation page had it before: the refusing records,
    or the number of records of each kind deleted with ``obj``."""
    collector = Collector(using=router.db_for_write(type(obj)), origin=obj)
    try:
        collector.collect([obj])
    except ProtectedError as error:
        return {(type(o), o.pk) for o in error.protected_objects}, {}
    except RestrictedError as error:
        return {(type(o), o.pk) for o in error.restricted_objects}, {}
    counts = {}
    for model, instances in collector.data.items():
        number = sum(1 for instance in instances if not (model is type(obj) and instance == obj))
        if number:
            counts[model] = number
    return set(), counts


def records():
    for label in APPS:
        for model in apps.get_app_config(label).get_models():
            if model._meta.managed and not model.__name__.startswith("Historical"):
                yield from model._base_manager.order_by("pk")[:PER_MODEL]


def test_the_plan_is_the_collectors_for_every_record_of_the_demonstration_data(
    django_assert_max_num_queries,
):
    """And it costs one query, and one more for the keys of the refusing records."""
    call_command("load_demo", verbosity=0)
    checked = refused = 0
    for obj in records():
        with django_assert_max_num_queries(2):
            refusing, deleted = deletion_plan(obj)
        keys = {(model, pk) for model, pks in refusing.items() for pk in pks}
        assert (keys, deleted) == collector_plan(obj), obj
        checked += 1
        refused += bool(refusing)
    assert checked > 200 and refused > 10  # the data did exercise both answers


def test_a_refusal_names_the_records_one_can_open_and_counts_the_rows(
    client, administrator, agreement, anact, django_assert_max_num_queries
):
    """An organisation party to an agreement and leading an action: the confirmation names
    the action (a page to open), and counts the agreement's party row, whose name would only
    repeat the organisation's."""
    from django.urls import reverse

    from tests.factories import ActionFactory, ProgrammeFactory

    ActionFactory(
        programme=ProgrammeFactory(agreement=agreement), lead_organisation=anact, title="Guide TMS"
    )
    client.force_login(administrator)
    page = client.get(reverse("organisation_delete", args=[anact.pk])).content.decode()
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())
    assert "1 action commune (« Guide TMS »)" in text
    assert "1 partie à l’accord-cadre" in text
    assert "(« Anact »" not in text


def test_a_deletion_refused_on_confirming_says_why_in_french(
    client, administrator, agreement, anact
):
    """Records that came to depend on it after the confirmation page was opened: the refusal
    is French from end to end (its second sentence was once left out of the catalogue)."""
    from django.contrib.messages import get_messages
    from django.urls import reverse

    from tests.factories import ActionFactory, ProgrammeFactory

    ActionFactory(
        programme=ProgrammeFactory(agreement=agreement), lead_organisation=anact, title="Guide TMS"
    )
    client.force_login(administrator)
    response = client.post(reverse("organisation_delete", args=[anact.pk]))
    assert response.status_code == 302
    [message] = [str(message) for message in get_messages(response.wsgi_request)]
    assert "En dépendent\u00a0: " in message
    assert "Guide TMS" in message
    assert "Depending" not in message
