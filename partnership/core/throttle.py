"""Counting requests against a limit, shared by every process through the database.

``allow(scope, value, limit=..., window=...)`` counts one request for ``value`` (an e-mail
address, a client's address) in ``scope`` and says whether it is within ``limit`` requests
per ``window``. A request over the limit is not counted, so the window slides: the value is
allowed again once its oldest counted request is older than the window. Values are stored
as a keyed hash (HMAC with SECRET_KEY), never as they were typed.
"""

import hashlib
import hmac

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from partnership.core.models import ThrottledRequest


def _digest(scope: str, value: str) -> str:
    message = f"{scope}\x1f{value}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


@transaction.atomic
def allow(scope: str, value: str, *, limit: int, window) -> bool:
    now = timezone.now()
    since = now - window
    ThrottledRequest.objects.filter(scope=scope, at__lt=since).delete()
    key = _digest(scope, value)
    if ThrottledRequest.objects.filter(scope=scope, key=key, at__gte=since).count() >= limit:
        return False
    ThrottledRequest.objects.create(scope=scope, key=key, at=now)
    return True
