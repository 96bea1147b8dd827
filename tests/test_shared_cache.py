"""The cache is shared by every server: Redis through Django's own backend when REDIS_URL is
set, each process's memory without it (development, the demo), and no page is kept in it.

The page cache that kept pages in files local to one server is gone: a page is drawn for
every request, so what one server saved shows at once through every other
(tests/test_two_servers.py runs two gunicorn servers on one database and one Redis).
"""

import json

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from partnership.models import Action
from tests.factories import ActionFactory, ProgrammeFactory
from tests.test_production import base_env, production_env, run_manage

PRINT_CACHES = "import json; from django.conf import settings; print(json.dumps(settings.CACHES))"


def caches_in(env):
    result = run_manage("shell", "--no-imports", "-c", PRINT_CACHES, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_with_redis_url_the_cache_is_redis_through_django_s_own_backend():
    caches = caches_in(production_env(REDIS_URL="redis://127.0.0.1:6379/3"))

    assert list(caches) == ["default"]  # no "pages" cache any more
    assert caches["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert caches["default"]["LOCATION"] == "redis://127.0.0.1:6379/3"
    assert caches["default"]["KEY_PREFIX"] == "partenariat"


def test_without_redis_url_the_cache_is_each_process_s_memory():
    """``make run`` and the SQLite demo need no Redis."""
    caches = caches_in({**base_env(), "DEBUG": "true"})

    assert caches == {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def test_a_malformed_redis_url_stops_start_up_with_a_clear_message():
    result = run_manage("check", env=production_env(REDIS_URL="127.0.0.1:6379"))

    assert result.returncode != 0
    assert "REDIS_URL must start with redis://" in result.stderr


def test_the_deployment_checks_pass_with_redis():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env=production_env(REDIS_URL="redis://127.0.0.1:6379/0"),
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_the_redis_cache_is_reached_with_the_settings_given(settings, redis_url, cache_key_prefix):
    """What one process writes, another reads: the keys live in Redis, under the prefix."""
    from django.core.cache import caches

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": cache_key_prefix,
        }
    }
    caches["default"].set("shared", "écrit par un serveur", 30)
    script = (
        "from django.core.cache import cache; import sys; "
        "sys.stdout.write(cache.get('shared') or 'absent')"
    )
    result = run_manage(
        "shell",
        "--no-imports",
        "-c",
        script,
        env=production_env(REDIS_URL=redis_url, CACHE_KEY_PREFIX=cache_key_prefix),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "écrit par un serveur"


def test_no_page_is_kept_every_request_draws_it_again(agreement, anact, anact_reader):
    """A change written without a save signal (in bulk, by another server's command) shows
    on the very next page: nothing of the page was kept."""
    programme = ProgrammeFactory(agreement=agreement, year=2026)
    action = ActionFactory(programme=programme, title="Guide TMS commun", lead_organisation=anact)
    browser = Client()
    browser.force_login(anact_reader)
    browser.get(reverse("home"))
    assert "Guide TMS commun" in browser.get(action.get_absolute_url()).text

    Action.objects.filter(pk=action.pk).update(title="Écrite en masse")

    assert "Écrite en masse" in browser.get(action.get_absolute_url()).text


@pytest.mark.parametrize(
    "name", ["PAGE_CACHE_SECONDS", "PAGE_CACHE_DIR"], ids=["seconds", "folder"]
)
def test_the_page_cache_settings_are_gone(name):
    assert not hasattr(settings, name)
    assert "partnership.core.pagecache.PageCacheMiddleware" not in settings.MIDDLEWARE
