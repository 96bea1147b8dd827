"""Redis down: people keep working. The shared cache is Redis through Django's own
``RedisCache``, which raises on a connection error; nothing a page needs may be read from it
(sessions are in the database, the login limits and the throttling too), so a Redis outage
or restart is not an outage of the application. ``make loadtest`` restarts Redis under load;
these tests hold the same with the cache pointed at a port where nothing listens.

A page that starts reading the cache must give a miss when Redis does not answer (and draw
the page) instead of failing: these tests fail first.
"""

import socket

import pytest
import redis
from django.contrib.auth import SESSION_KEY
from django.core.cache import caches
from django.test import Client
from django.urls import reverse

from partnership.models import Action
from tests.factories import PASSWORD, ActionFactory, PlannedProjectFactory, ProgrammeFactory
from tests.html_forms import form_data


@pytest.fixture
def redis_unreachable(settings):
    """The cache is Redis on a port of 127.0.0.1 where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # free, and closed again: nothing listens there
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    with pytest.raises(redis.exceptions.ConnectionError):  # the cache does raise
        caches["default"].get("anything")
    return port


@pytest.fixture
def action(agreement, anact):
    programme = ProgrammeFactory(agreement=agreement, year=2026)
    return ActionFactory(programme=programme, title="Guide TMS commun", lead_organisation=anact)


def test_a_person_logs_in_works_and_logs_out_while_redis_is_down(
    redis_unreachable, action, anact_contributor
):
    browser = Client(raise_request_exception=False)

    response = browser.post(
        reverse("login"), {"username": anact_contributor.username, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert browser.session[SESSION_KEY] == str(anact_contributor.pk)

    for url in (
        reverse("home"),
        reverse("agreement_detail", args=[action.programme.agreement_id]),
        reverse("programme_detail", args=[action.programme_id]),
        action.get_absolute_url(),
        reverse("action_list"),
        reverse("search") + "?q=guide",
        # Kept in the cache when it answers (partnership.core.remembered): written again.
        reverse("programme_report_xlsx", args=[action.programme_id]),
    ):
        assert browser.get(url).status_code == 200, url

    url = reverse("action_update", args=[action.pk])
    data = form_data(browser.get(url))
    data["description"] = "Écrit pendant la panne du cache"
    assert browser.post(url, data).status_code == 302
    assert Action.objects.get(pk=action.pk).description == "Écrit pendant la panne du cache"

    session_key = browser.session.session_key
    assert browser.post(reverse("logout")).status_code == 302
    # The session is gone for good: the cookie of before opens nothing.
    stolen = Client()
    stolen.cookies["sessionid"] = session_key
    assert stolen.get(reverse("home")).status_code == 302


def test_a_wrong_password_is_refused_and_counted_while_redis_is_down(
    redis_unreachable, anact_contributor
):
    """The login limits (django-axes) keep counting: they live in the database."""
    from axes.models import AccessAttempt

    browser = Client(raise_request_exception=False)
    response = browser.post(
        reverse("login"), {"username": anact_contributor.username, "password": "faux"}
    )
    assert response.status_code == 200
    assert SESSION_KEY not in browser.session
    assert AccessAttempt.objects.filter(username=anact_contributor.username).exists()


def test_the_parties_overlaps_are_found_again_while_redis_is_down(
    redis_unreachable, agreement, anact, inrs, anact_coordinator, caplog
):
    """The side-by-side page keeps its overlaps in the cache when it answers
    (``partnership.core.remembered``): it finds them again when it does not."""
    for organisation in (anact, inrs):
        PlannedProjectFactory(
            agreement=agreement,
            organisation=organisation,
            title="Prévention de l’usure professionnelle des soignants",
        )
    browser = Client(raise_request_exception=False)
    browser.force_login(anact_coordinator)
    response = browser.get(reverse("programming", args=[agreement.pk, 2027]))
    assert response.status_code == 200
    assert len(response.context["overlap_groups"]) == 1
    assert "shared cache unreachable" in caplog.text
