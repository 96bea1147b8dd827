"""Time is an input: the tests that depend on the date choose it, with time-machine.

time-machine moves the whole process's clock (``time.time``, ``datetime.now``, ``date.today``
and so Django's ``timezone.now``), the live server's thread included; Chromium, another
process, keeps the real clock.
"""

import datetime
import zoneinfo

import time_machine

PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def moment(day: datetime.date, hour: int = 12, minute: int = 0) -> datetime.datetime:
    """That day at that time, Paris time."""
    return datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=PARIS)


def _instant(at: datetime.datetime) -> float:
    # A timestamp moves the clock only: given an aware datetime, time-machine would also set
    # the process's time zone (TZ) to its zone, and to UTC for UTC, where Django set Paris.
    return at.timestamp()


def freeze(time_machine, day: datetime.date, hour: int = 12) -> datetime.datetime:
    """Stop the clock that day at ``hour``, Paris time, for the rest of the test.

    ``time_machine`` is the test's fixture of that name (time-machine's pytest plugin): the
    clock runs again after the test. Returns the moment.
    """
    at = moment(day, hour)
    time_machine.move_to(_instant(at), tick=False)
    return at


def travel_to(value: str) -> time_machine.travel:
    """Start the clock at a day (``2028-02-29``, noon) or a moment (``2026-12-31T23:30``),
    Paris time, ticking from there; the caller stops the returned travel."""
    try:
        at = datetime.datetime.fromisoformat(value)
    except ValueError as error:
        expected = "a day (2028-02-29) or a moment (2028-02-29T23:30)"
        raise ValueError(f"TEST_TODAY={value!r}: {expected} was expected") from error
    if len(value) == 10:
        at = at.replace(hour=12)
    if at.tzinfo is None:
        at = at.replace(tzinfo=PARIS)
    travel = time_machine.travel(_instant(at), tick=True)
    travel.start()
    return travel
