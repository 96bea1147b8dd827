"""The answers to errors: a request that cannot be read (400), and an error nobody caught:
503 while the database is unreachable, else 500.

Django sends every uncaught exception, whether raised in a view or in a middleware, to the
root URLconf's ``handler500``, from inside the ``except`` block that caught it. A middleware
could not do this job: Django turns an exception raised in a middleware into a response at
that middleware's own layer, so the session and authentication middlewares, which are the
first to query the database, would never let an outer middleware see it.

While the database is down or restarting, every page fails the same way; the person gets a
page saying so in their language, with ``Retry-After``, rendered with no context: no
context processor, no user, no session, nothing that needs the database. Django has already
logged the error with its traceback (the ``django.request`` logger, ERROR); the workers stay
up, and ``CONN_HEALTH_CHECKS`` replaces their broken connections once the database is back.
"""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, HttpResponseBadRequest
from django.template import loader
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import csrf, defaults

# OperationalError: the server refused or dropped the connection, is starting up or shutting
# down, a lock or statement timed out; InterfaceError: the connection is already closed.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 10


def server_error(request):
    if isinstance(sys.exception(), DATABASE_UNAVAILABLE):
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return defaults.server_error(request)


def bad_request(request, exception):
    """A request Django refused to read (a SuspiciousOperation): more fields than
    DATA_UPLOAD_MAX_NUMBER_FIELDS, a body over DATA_UPLOAD_MAX_MEMORY_SIZE, a malformed post.

    The page says, in the person's language, that nothing was saved and how to get back what
    they typed. Django's own view would render it with the context processors; like the 503
    page it is rendered with no request, so it needs neither the database nor a logged-in
    person. A refused form gets a link to its page: a path of this site, never another host.
    """
    page = request.get_full_path()
    if request.method != "POST" or not url_has_allowed_host_and_scheme(page, allowed_hosts=None):
        page = None
    html = loader.get_template("400.html").render({"page_url": page})
    return HttpResponseBadRequest(html)


def csrf_failure(request, reason=""):
    """Django's CSRF refusal, its reason kept for the security log's line (Django's own
    record of it is dropped with the other refusals: partnership.core.logs)."""
    request.refusal_reason = reason
    return csrf.csrf_failure(request, reason=reason)
