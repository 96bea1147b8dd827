"""What the logs never hold, and how a refusal is logged.

Loaded by gunicorn before Django is (``logger_class`` in ``gunicorn.conf.py``), so this
module imports nothing of Django's.

- Secrets in addresses: the personal calendar feed is reached at ``/calendrier/<key>.ics``,
  the key standing for a login. ``mask_secrets`` replaces the key, in any text, percent-
  encoded or not; ``AccessLogger`` applies it to every value of gunicorn's access log
  (request line, path, query, referer...), and ``SecretsFilter`` to every record of the
  application's own log handler (Django's "Not Found" lines, the development server's
  request lines, the security log).
- Refusals: a 403 or 404 is logged once, as one line, by the security log
  (``partnership.core.security.RefusedAccessLogMiddleware``). ``RefusalsFilter`` drops
  Django's own record of it on the ``django.request`` logger, which for a
  ``PermissionDenied`` or an ``Http404`` carried the whole traceback.
"""

import logging
import re
from urllib.parse import unquote

from gunicorn.glogging import Logger

# The calendar feed's address (partnership/meetings/urls.py, "calendar_feed"); the test of
# the access log checks it against the URL configuration.
SECRET_PATH = re.compile(r"(/calendrier/)[^/\s?#\"']+")
MASK = r"\1[clé masquée]"


def mask_secrets(text):
    if not isinstance(text, str) or "/" not in text:
        return text
    masked = SECRET_PATH.sub(MASK, text)
    if "%" in masked:
        decoded = unquote(masked)
        if SECRET_PATH.search(decoded):  # an encoded address reaches the feed too
            masked = SECRET_PATH.sub(MASK, decoded)
    return masked


class AccessLogger(Logger):
    """gunicorn's logger, with the secrets of addresses masked in the access log."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {name: mask_secrets(value) for name, value in atoms.items()}


class SecretsFilter(logging.Filter):
    """Mask the secrets of addresses in a record's message (the handler's filter)."""

    def filter(self, record):
        message = record.getMessage()
        masked = mask_secrets(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


class RefusalsFilter(logging.Filter):
    """Drop ``django.request``'s records of 403 and 404 answers: the security log has one
    line for each, without a traceback."""

    def filter(self, record):
        return getattr(record, "status_code", None) not in (403, 404)
