"""A frozen "today" for the stories that depend on the date (la rentrée, deadlines)."""

import datetime
import zoneinfo

from django.utils import timezone

PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def freeze(monkeypatch, day: datetime.date, hour: int = 12) -> datetime.datetime:
    """Make ``timezone.now()`` that day at ``hour`` (Paris time) and ``localdate()`` that day.

    Django's ``timezone`` module is patched, so the services, views and factories that ask it
    the time all see the same moment. Returns that moment.
    """
    moment = datetime.datetime(day.year, day.month, day.day, hour, tzinfo=PARIS)
    original_localdate = timezone.localdate

    def localdate(value=None, timezone=None):
        return original_localdate(value or moment, timezone)

    monkeypatch.setattr("django.utils.timezone.now", lambda: moment.astimezone(datetime.UTC))
    monkeypatch.setattr("django.utils.timezone.localdate", localdate)
    return moment
