"""The main pages cost the same number of SQL queries on the demo data and with ten times more.

The benchmark (make bench) reports the queries of each page at full scale; this test holds the
count constant between two data sizes and at most 15, as the performance targets say.
"""

import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conventions.models import Convention
from partnership.demo import scale
from partnership.models import Action, Agreement, Meeting, Programme

pytestmark = pytest.mark.django_db

MAX_QUERIES = 15


def _pages():
    agreement = Agreement.objects.get(reference="AC-ANACT-INRS")
    programme = agreement.programmes.order_by("-year").first()
    action = Action.objects.filter(programme=programme).order_by("pk").first()
    convention = Convention.objects.filter(agreement=agreement).order_by("pk").first()
    meeting = Meeting.objects.filter(agreement=agreement).order_by("starts_at").first()
    return {
        "dashboard": reverse("home"),
        "agreement hub": agreement.get_absolute_url(),
        "agreement list": reverse("agreement_list"),
        "programme page": programme.get_absolute_url(),
        "programme list": reverse("programme_list"),
        "action list filtered": reverse("action_list") + "?status=in_progress",
        "action page": action.get_absolute_url(),
        "convention list": reverse("conventions:convention_list"),
        "convention page": convention.get_absolute_url(),
        "meeting list": reverse("meeting_list"),
        "meeting page": meeting.get_absolute_url(),
        "timeline": reverse("programme_timeline", args=[programme.pk]),
        "annual report": reverse("programme_report", args=[programme.pk]),
        "search": reverse("search") + "?q=TMS",
        "action edit form": reverse("action_update", args=[action.pk]),
        "parties' programming side by side": reverse(
            "programming", args=[agreement.pk, timezone.localdate().year + 1]
        ),
    }


def _count(client, url):
    # What a page keeps in the shared cache is found again, at either size: the side-by-side
    # page's overlaps (tests/test_programming.py counts them kept).
    caches["default"].clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


def test_main_pages_cost_the_same_queries_at_two_data_sizes(client, django_user_model):
    call_command("load_demo", verbosity=0)
    client.force_login(django_user_model.objects.get(username="anact.coordinateur"))
    pages = _pages()
    for url in pages.values():  # warm the caches that are per process (content types...)
        _count(client, url)
    small = {name: _count(client, url) for name, url in pages.items()}

    scale.generate(seed=1, scale=scale.Scale.small())
    assert Programme.objects.count() > 4
    large = {name: _count(client, url) for name, url in pages.items()}

    assert large == small
    over = {name: n for name, n in large.items() if n > MAX_QUERIES}
    assert over == {}
