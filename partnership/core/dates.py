import calendar
import datetime

from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` later (or earlier), clamped to the end of a shorter month."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def long_day(day, *, weekday: bool = False) -> str:
    """A day as written in a sentence: “1er septembre 2026” in French; with ``weekday``,
    “mardi 1er septembre 2026”."""
    text = formats.date_format(day, "l j F Y" if weekday else "DATE_FORMAT")
    if day.day == 1 and translation.get_language() == "fr":
        text = text.replace("1", "1er", 1)
    return text


def long_moment(moment) -> str:
    """A moment as written in a sentence: “12 janvier 2027 à 9:00”."""
    moment = timezone.localtime(moment)
    return _("%(day)s at %(time)s") % {
        "day": long_day(moment.date()),
        "time": formats.time_format(moment, "TIME_FORMAT"),
    }
