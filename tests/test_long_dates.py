"""“Le 1er septembre”: the first of the month is written 1er in French, weekday or not, on the
meeting page, its minutes and the reminder e-mails."""

import datetime

import pytest
from django.template import Context, Template
from django.utils import translation

from partnership.core.dates import long_day
from partnership.models import Meeting
from tests.factories import MeetingFactory

pytestmark = pytest.mark.django_db

FIRST = datetime.date(2026, 9, 1)  # a Tuesday


def test_the_first_of_the_month_with_its_weekday():
    with translation.override("fr"):
        assert long_day(FIRST) == "1er septembre 2026"
        assert long_day(FIRST, weekday=True) == "mardi 1er septembre 2026"
        assert long_day(FIRST.replace(day=11), weekday=True) == "vendredi 11 septembre 2026"
    with translation.override("en"):
        assert long_day(FIRST, weekday=True) == "Tuesday 1 September 2026"


def test_the_reminder_texts_write_the_first_of_the_month_1er():
    template = Template(
        '{% load partnership_tags %}{% include "emails/reminder_due.txt" %}|'
        '{% include "emails/reminder_ending.txt" %}'
    )
    due = type("Reminder", (), {"date": FIRST, "overdue": False, "days": 3, "kind": "x"})
    with translation.override("fr"):
        text = template.render(Context({"reminder": due}))
    assert text.count("mardi 1er septembre 2026") == 2


def test_the_meeting_page_writes_the_first_of_the_month_1er(client, agreement, anact_reader):
    meeting = MeetingFactory(
        agreement=agreement,
        status=Meeting.Status.PLANNED,
        starts_at=datetime.datetime(2026, 9, 1, 7, tzinfo=datetime.UTC),  # 9:00 in Paris
        ends_at=datetime.datetime(2026, 9, 1, 9, tzinfo=datetime.UTC),
    )
    client.force_login(anact_reader)
    page = client.get(meeting.get_absolute_url()).content.decode()
    assert ">mardi 1er septembre 2026, 09:00</time>" in page


def test_the_demonstration_texts_write_the_first_of_the_month_1er():
    from partnership.demo.data import french_date

    assert french_date(FIRST) == "1er septembre 2026"
    assert french_date(FIRST.replace(day=27)) == "27 septembre 2026"
