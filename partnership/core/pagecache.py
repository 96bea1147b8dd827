"""The main pages, kept ready for the person who asked for them, until anything changes.

A page is drawn once and served again from the "pages" cache (files shared by every gunicorn
worker of the server) to the same person, in the same language, with the same CSRF cookie,
the same address and the same day, for at most ``PAGE_CACHE_SECONDS``, and only while
nothing was written: every write moves the *generation*, a random token that is part of
every page's key, so a page drawn before a change is never served after it.

The generation moves
- after every request that is not a GET or HEAD, once the view has answered (its
  transaction committed): a person always sees their own change on the next page;
- when a record of the application or an account is saved or deleted anywhere (a command,
  the shell), once its transaction commits;
- when a command writes in bulk (scale data, restore): it calls ``new_generation()``.

Not kept: a page with messages to show, an answer other than 200, an answer that sets a
cookie or says ``no-store``, the pages outside ``PAGES``. Several application servers would
each have their own cache: set ``PAGE_CACHE_SECONDS=0`` there (README, "Benchmark").
"""

import hashlib
import uuid

from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver
from django.http import HttpResponse
from django.utils import timezone

GENERATION_KEY = "generation"
# The pages kept, by URL name: read-only pages and the action edit form. Adding one: its
# content must depend only on the data, the person, the language, the address and the day.
PAGES = frozenset(
    {
        "home",
        "agreement_list",
        "agreement_detail",
        "programme_detail",
        "programme_timeline",
        "programme_report",
        "programme_report_csv",
        "programme_report_xlsx",
        "action_list",
        "action_detail",
        "action_update",
        "meeting_list",
        "meeting_detail",
        "search",
        "conventions:convention_list",
        "conventions:convention_detail",
    }
)
# Saving one of these apps' records moves the generation (sessions and login attempts do not).
WATCHED_APPS = frozenset({"partnership", "conventions", "experimentations", "auth"})
KEPT_HEADERS = ("Content-Type", "Content-Disposition", "Content-Language")


def _cache():
    return caches["pages"]


def enabled() -> bool:
    return settings.PAGE_CACHE_SECONDS > 0


def new_generation():
    """Every page kept so far is out of date."""
    if enabled():
        _cache().set(GENERATION_KEY, uuid.uuid4().hex, timeout=None)


def generation() -> str:
    cache = _cache()
    current = cache.get(GENERATION_KEY)
    if current is None:  # first use, or the cache was emptied: a new one
        cache.add(GENERATION_KEY, uuid.uuid4().hex, timeout=None)
        current = cache.get(GENERATION_KEY)
    return current


def _has_messages(request) -> bool:
    storage = getattr(request, "_messages", None)
    return storage is not None and len(storage) > 0


def _csrf_secret(request):
    """The CSRF secret the page's tokens are made from, when it is the browser's own cookie
    (no cookie, or a new secret replacing an invalid one: nothing is kept)."""
    secret = request.META.get("CSRF_COOKIE")
    if secret and secret == request.COOKIES.get(settings.CSRF_COOKIE_NAME):
        return secret
    return None


def page_key(request):
    """The key of the page asked for, or None when it is not to be kept."""
    if not enabled() or request.method != "GET":
        return None
    match = request.resolver_match
    if match is None or match.view_name not in PAGES:
        return None
    user = request.user
    csrf_secret = _csrf_secret(request)
    if not user.is_authenticated or not csrf_secret or _has_messages(request):
        return None
    parts = (
        str(settings.DATABASES["default"]["NAME"]),
        generation(),
        str(user.pk),
        csrf_secret,
        request.LANGUAGE_CODE,
        timezone.localdate().isoformat(),
        request.get_full_path(),
    )
    return "page:" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _storable(request, response) -> bool:
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and "no-store" not in response.get("Cache-Control", "")
        and _csrf_secret(request) is not None
        and not _has_messages(request)
    )


class PageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            new_generation()  # after the view: its changes are committed
            return response
        key = getattr(request, "_page_cache_key", None)
        if key is not None and _storable(request, response):
            if hasattr(response, "render") and not response.is_rendered:
                response.render()
            kept = {name: response[name] for name in KEPT_HEADERS if response.has_header(name)}
            _cache().set(key, (response.content, kept), settings.PAGE_CACHE_SECONDS)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        key = page_key(request)
        if key is None:
            return None
        kept = _cache().get(key)
        if kept is None:
            request._page_cache_key = key
            return None
        content, headers = kept
        response = HttpResponse(content)
        for name, value in headers.items():
            response[name] = value
        return response


@receiver(post_save, dispatch_uid="partnership.core.pagecache.saved")
@receiver(post_delete, dispatch_uid="partnership.core.pagecache.deleted")
@receiver(m2m_changed, dispatch_uid="partnership.core.pagecache.m2m")
def _record_changed(sender, **kwargs):
    if not enabled() or sender._meta.app_label not in WATCHED_APPS:
        return
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        new_generation()  # already committed
        return
    # Once the transaction commits, once for all its saves. A call asked for in a savepoint
    # rolled back since is gone from the list (Django drops it with the savepoint), so a call
    # still listed will run when this save commits.
    if not any(func is new_generation for _, func, _ in connection.run_on_commit):
        transaction.on_commit(new_generation)
