"""Every admin change page costs the same number of SQL queries on the demo data and with
ten times more, at most 15: a row of an inline does not query on its own (its autocomplete
fields' chosen records are read once for all the rows, the records its title names with the
rows: partnership.core.admin)."""

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from partnership.demo import scale
from partnership.models import Meeting, Programme

pytestmark = pytest.mark.django_db

MAX_QUERIES = 15
# django-axes' and django-tasks-db's own admins (read-only) are not ours.
MODELS = sorted(
    (
        model
        for model in admin.site._registry
        if model._meta.app_label not in ("axes", "django_tasks_database")
    ),
    key=lambda model: model._meta.label,
)


def _change_pages():
    """The change page of each model's newest record: after the scale data, a record with
    many rows (a programme's actions, a meeting's participants and agenda)."""
    pages = {}
    for model in MODELS:
        obj = model._default_manager.order_by("-pk").first()
        if obj is not None:
            opts = model._meta
            pages[opts.label] = (
                reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]),
                obj,
            )
    return pages


def _count(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


def test_every_admin_change_page_costs_the_same_queries_at_two_data_sizes(
    client, django_user_model
):
    call_command("load_demo", verbosity=0)
    client.force_login(django_user_model.objects.get(username="admin"))
    pages = _change_pages()
    for url, _obj in pages.values():  # the per-process caches warmed (content types...)
        _count(client, url)
    small = {label: _count(client, url) for label, (url, _obj) in pages.items()}
    small_rows = {
        "programme actions": pages["partnership.Programme"][1].actions.count(),
        "meeting participants": pages["partnership.Meeting"][1].participants.count(),
    }

    scale.generate(seed=1, scale=scale.Scale.small())
    pages = _change_pages()
    large = {label: _count(client, url) for label, (url, _obj) in pages.items()}
    large_rows = {
        "programme actions": Programme.objects.get(
            pk=pages["partnership.Programme"][1].pk
        ).actions.count(),
        "meeting participants": Meeting.objects.get(
            pk=pages["partnership.Meeting"][1].pk
        ).participants.count(),
    }

    # The pages measured at the larger size do have more rows.
    assert all(large_rows[name] > small_rows[name] for name in small_rows), (small_rows, large_rows)
    assert {label: (small[label], n) for label, n in large.items() if n != small[label]} == {}
    assert {label: n for label, n in large.items() if n > MAX_QUERIES} == {}
