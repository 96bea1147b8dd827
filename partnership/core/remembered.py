"""What a page computes from records, kept in the shared cache under a key made of those
records' content.

The key is a digest of everything the result is computed from: the same records give the
same key on every server, and any change to one of them (saved, updated in bulk, restored,
by whichever server or command) gives another key, so a result is never out of date and
nothing needs invalidating. Old keys expire.

The cache is Redis in production (``settings.CACHES``). When it does not answer, the result
is computed as if it had never been kept: losing Redis makes a page slower, never wrong or
failing (tests/test_cache_outage.py).
"""

import hashlib
import logging

import redis
from django.core.cache import cache

logger = logging.getLogger(__name__)

KEPT_SECONDS = 24 * 3600


def content_key(kind: str, *content) -> str:
    """The key of a result of ``kind`` computed from ``content``: plain values (numbers,
    strings, dates, None, tuples and lists of them), whose ``repr`` says all they are."""
    digest = hashlib.blake2b(repr(content).encode(), digest_size=20).hexdigest()
    return f"remembered:{kind}:{digest}"


def remembered(key: str, compute):
    """The value kept under ``key``, or ``compute()`` kept there for next time."""
    try:
        value = cache.get(key)
    except redis.exceptions.RedisError as error:
        logger.warning("shared cache unreachable, computing again: %s", error)
        return compute()
    if value is None:
        value = compute()
        try:
            cache.set(key, value, KEPT_SECONDS)
        except redis.exceptions.RedisError as error:
            logger.warning("shared cache unreachable, result not kept: %s", error)
    return value
