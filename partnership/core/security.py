"""Login and session hardening, and the security log (OWASP ASVS 5.0 V16.3.1–2).

- ``client_ip``: the address of the person, read from the proxy's ``X-Forwarded-For`` when
  the application runs behind ``TRUSTED_PROXY_COUNT`` proxies that append to it, else from
  the connection. django-axes (lock-out) and the security log both use it.
- ``LoginLockoutBackend``: django-axes' lock-out check, first of the authentication backends.
- ``lockout_response``: the login page's answer to a locked-out username from that address.
- ``SessionActivityMiddleware``: a session expires after ``SESSION_COOKIE_AGE`` seconds
  without activity; an active person's session is kept alive.
- ``PrivateResponsesMiddleware``: answers to a logged-in person say ``private, no-store``.
- ``IntegerFieldIn``: out-of-range numbers in ``__in`` lookups match nothing, as Django already
  does for ``=``, ``<`` and ``>`` (a huge number posted to a multiple choice field was a
  server error on SQLite).
- ``RefusedAccessLogMiddleware`` and the signal receivers below: every login, failed login,
  lock-out and refused access (403, 404) is logged to the ``partnership.security`` logger
  with the username and the address; never a password, a session key or a query string.
"""

import ipaddress
import logging
import time

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_cool_off, get_lockout_message
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models import IntegerField
from django.db.models.lookups import In
from django.dispatch import receiver
from django.shortcuts import render

logger = logging.getLogger("partnership.security")

MAX_LOGGED_LENGTH = 150


def client_ip(request) -> str | None:
    """The client's address: the entry the outermost trusted proxy added to X-Forwarded-For.

    Each proxy appends the address it received the request from, so with N trusted proxies
    the N-th entry from the right is the one the first proxy saw. Anything further left was
    written by the client and is ignored. Without proxies, the connection's address.
    """
    remote = request.META.get("REMOTE_ADDR") or None
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    forwarded = [
        entry.strip()
        for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if entry.strip()
    ]
    if len(forwarded) < count:
        return remote
    try:
        return str(ipaddress.ip_address(forwarded[-count]))
    except ValueError:
        return remote


def loggable(value) -> str:
    """A value safe to put in a log line: no line breaks or control characters, bounded."""
    text = str(value if value is not None else "-")
    text = text.encode("unicode_escape").decode("ascii")
    if len(text) > MAX_LOGGED_LENGTH:
        text = text[:MAX_LOGGED_LENGTH] + "…"
    return text or "-"


def _who(request):
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return loggable(user.get_username())
    return "-"


# Login lock-out -------------------------------------------------------------------------


class LoginLockoutBackend(AxesStandaloneBackend):
    """django-axes' check that the username is not locked out from this address.

    Logins through the site always pass the request. Code that authenticates without one
    (Django's test client ``login()``, scripts) has no address to lock: it is let through
    to the next backends, which check the password as usual.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def lockout_response(request, original_response=None, credentials=None):
    """The login page, saying the account is locked from here for a while (HTTP 429)."""
    cool_off = get_cool_off(request)
    minutes = int(cool_off.total_seconds() // 60) if cool_off else None
    return render(
        request,
        "registration/locked_out.html",
        {"lockout_message": get_lockout_message(), "cool_off_minutes": minutes},
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )


# Hostile input ------------------------------------------------------------------------


@IntegerField.register_lookup
class IntegerFieldIn(In):
    """``pk__in=[...]`` without the numbers no integer column can hold.

    Django drops out-of-range values from ``=``, ``<`` and ``>`` lookups on integer fields
    but not from ``__in``: SQLite then raises OverflowError while binding the parameter, so a
    number like -99999999999999999999 posted to a multiple choice field (ModelMultipleChoiceField
    filters ``pk__in``) was a server error instead of "select a valid choice".
    """

    def process_rhs(self, compiler, connection):
        if self.rhs_is_direct_value():
            low, high = connection.ops.integer_field_range(
                self.lhs.output_field.get_internal_type()
            )
            self.rhs = [
                value
                for value in self.rhs
                if not isinstance(value, int)
                or ((low is None or value >= low) and (high is None or value <= high))
            ]
        return super().process_rhs(compiler, connection)


# Sessions -------------------------------------------------------------------------------

SEEN_KEY = "_last_seen"


def refresh_interval() -> int:
    """How often an active session's expiry is pushed back (a write per interval, not per
    request): a tenth of the idle timeout, five minutes at most."""
    return max(1, min(300, settings.SESSION_COOKIE_AGE // 10))


class SessionActivityMiddleware:
    """Expire a session after SESSION_COOKIE_AGE seconds of inactivity.

    Django sets a session's expiry when the session is saved. Saving it on every request
    (SESSION_SAVE_EVERY_REQUEST) would write to the database on every page; instead the
    session is marked modified when it was last saved more than ``refresh_interval()`` ago,
    so the expiry follows the person's activity to within that interval.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            seen = request.session.get(SEEN_KEY)
            if not isinstance(seen, int) or now - seen >= refresh_interval():
                request.session[SEEN_KEY] = now
        return self.get_response(request)


# What browsers and proxies keep ------------------------------------------------------------


class PrivateResponsesMiddleware:
    """An answer to a logged-in person is kept by no browser cache, proxy or shared cache.

    Every page, export and download drawn for a person says ``Cache-Control: private,
    no-store``: a shared computer's back button, a disk cache or a proxy keeps nothing of
    it after the session ends. A view that already says ``no-store`` keeps its own header.
    The calendar feed is reached without a session (its key is in the address) and says
    ``max-age`` of at most a minute itself (``partnership.meetings.calendar_views``).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        logged_in = user is not None and user.is_authenticated
        if logged_in and "no-store" not in response.get("Cache-Control", ""):
            response["Cache-Control"] = "private, no-store"
        return response


# The security log -----------------------------------------------------------------------


class RefusedAccessLogMiddleware:
    """Log every refused access (403) and every record or page not found (404), as one line
    (with the reason of a CSRF refusal); Django's own record of it, with a traceback, is
    dropped (partnership.core.logs.RefusalsFilter)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code in (403, 404):
            reason = getattr(request, "refusal_reason", None)
            logger.warning(
                "access refused status=%s method=%s path=%s user=%s ip=%s%s",
                response.status_code,
                loggable(request.method),
                loggable(request.path),
                _who(request),
                loggable(client_ip(request)),
                f" reason={loggable(reason)}" if reason else "",
            )
        return response


@receiver(user_logged_in, dispatch_uid="partnership.core.security.logged_in")
def log_login(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        request.session[SEEN_KEY] = int(time.time())
    logger.info(
        "login succeeded user=%s ip=%s",
        loggable(user.get_username()),
        loggable(client_ip(request) if request is not None else None),
    )


@receiver(user_login_failed, dispatch_uid="partnership.core.security.login_failed")
def log_login_failed(sender, credentials, request=None, **kwargs):
    # Django has already masked the password in ``credentials``; only the username is read.
    logger.warning(
        "login failed user=%s ip=%s",
        loggable(credentials.get("username")),
        loggable(client_ip(request) if request is not None else None),
    )


@receiver(user_logged_out, dispatch_uid="partnership.core.security.logged_out")
def log_logout(sender, request, user, **kwargs):
    if user is not None:
        logger.info(
            "logout user=%s ip=%s",
            loggable(user.get_username()),
            loggable(client_ip(request) if request is not None else None),
        )


@receiver(user_locked_out, dispatch_uid="partnership.core.security.locked_out")
def log_lockout(sender, request, username, ip_address, **kwargs):
    logger.warning(
        "login locked out user=%s ip=%s after %s failures",
        loggable(username),
        loggable(ip_address),
        settings.AXES_FAILURE_LIMIT,
    )
