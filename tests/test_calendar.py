"""Meetings in calendars: one meeting's iCalendar file, and the personal subscription feed at
a secret address, read back with the icalendar library as a calendar client would."""

import datetime
from zoneinfo import ZoneInfo

import icalendar
import pytest
from django.urls import reverse
from django.utils import timezone

from partnership.models import Meeting, Participant, StaffProfile
from tests import clock
from tests.factories import (
    AgendaItemFactory,
    ContactFactory,
    MeetingFactory,
    ParticipantFactory,
    SignedAgreementFactory,
    UserFactory,
)

PARIS = ZoneInfo("Europe/Paris")
SUMMER_START = datetime.datetime(2026, 6, 10, 8, 0, tzinfo=datetime.UTC)  # 10:00 in Paris
WINTER_START = datetime.datetime(2026, 12, 8, 13, 30, tzinfo=datetime.UTC)  # 14:30 in Paris


@pytest.fixture
def meeting(agreement):
    return MeetingFactory(
        agreement=agreement,
        title="Comité de pilotage, juin",
        kind=Meeting.Kind.STEERING_COMMITTEE,
        starts_at=SUMMER_START,
        ends_at=SUMMER_START + datetime.timedelta(hours=3),
        place="Lyon; siège de l’Anact",
        video_link="https://visio.example.fr/copil",
    )


def _parse(response):
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return icalendar.Calendar.from_ical(response.content)


def _feed_url(user):
    profile = StaffProfile.objects.get(user=user)
    return reverse("calendar_feed", args=[profile.calendar_token])


# One meeting's file ------------------------------------------------------------------------


def test_meeting_file_reads_back_in_paris_time_with_its_participants(
    client, meeting, anact_coordinator, anact_reader, inrs_contributor
):
    ParticipantFactory(
        meeting=meeting,
        user=anact_coordinator,
        role=Participant.Role.CHAIR,
        attendance=Participant.Attendance.PRESENT,
    )
    ParticipantFactory(
        meeting=meeting, user=inrs_contributor, attendance=Participant.Attendance.EXCUSED
    )
    expert = ContactFactory(first_name="Jeanne", last_name="Expert", email="j.expert@cnam.fr")
    ParticipantFactory(meeting=meeting, user=None, contact=expert)
    ParticipantFactory(meeting=meeting, user=None, contact=ContactFactory(email=""))
    AgendaItemFactory(meeting=meeting, title="Programme 2027", position=1)
    client.force_login(anact_reader)

    response = client.get(reverse("meeting_calendar", args=[meeting.pk]))

    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    calendar = _parse(response)
    assert calendar["VERSION"] == "2.0"
    assert calendar["METHOD"] == "PUBLISH"
    assert [zone["TZID"] for zone in calendar.walk("VTIMEZONE")] == ["Europe/Paris"]
    (event,) = calendar.events
    assert event.start == datetime.datetime(2026, 6, 10, 10, 0, tzinfo=PARIS)
    assert event.end == datetime.datetime(2026, 6, 10, 13, 0, tzinfo=PARIS)
    assert event["DTSTART"].params["TZID"] == "Europe/Paris"
    assert "DTSTART;TZID=Europe/Paris:20260610T100000" in response.content.decode()
    assert str(event["SUMMARY"]) == "Comité de pilotage, juin"
    assert str(event["LOCATION"]) == "Lyon; siège de l’Anact"
    assert str(event["URL"]) == "http://testserver" + meeting.get_absolute_url()
    assert str(event["UID"]) == f"rendez-vous-{meeting.pk}@testserver"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert "Programme 2027" in str(event["DESCRIPTION"])
    attendees = {str(a): a.params for a in event["ATTENDEE"]}
    assert set(attendees) == {
        f"mailto:{anact_coordinator.email}",
        f"mailto:{inrs_contributor.email}",
        "mailto:j.expert@cnam.fr",
    }  # the contact without an e-mail address cannot be an attendee
    chair = attendees[f"mailto:{anact_coordinator.email}"]
    assert (chair["ROLE"], chair["PARTSTAT"]) == ("CHAIR", "ACCEPTED")
    assert chair["CN"] == anact_coordinator.get_full_name()
    excused = attendees[f"mailto:{inrs_contributor.email}"]
    assert (excused["ROLE"], excused["PARTSTAT"]) == ("REQ-PARTICIPANT", "DECLINED")
    assert attendees["mailto:j.expert@cnam.fr"]["PARTSTAT"] == "NEEDS-ACTION"
    assert attendees["mailto:j.expert@cnam.fr"]["CN"] == "Jeanne Expert"
    assert str(event["ORGANIZER"]) == f"mailto:{anact_coordinator.email}"


def test_the_time_zone_in_the_file_gives_the_right_offsets_in_summer_and_winter(
    client, meeting, agreement, anact_reader
):
    MeetingFactory(
        agreement=agreement,
        starts_at=WINTER_START,
        ends_at=WINTER_START + datetime.timedelta(hours=1),
    )
    client.force_login(anact_reader)
    response = client.get(reverse("meeting_calendar", args=[meeting.pk]))
    (zone,) = _parse(response).timezones
    tz = zone.to_tz()
    assert datetime.datetime(2026, 6, 10, 10, 0, tzinfo=tz).utcoffset() == datetime.timedelta(
        hours=2
    )
    assert datetime.datetime(2026, 12, 8, 14, 30, tzinfo=tz).utcoffset() == datetime.timedelta(
        hours=1
    )
    assert datetime.datetime(2031, 3, 30, 12, 0, tzinfo=tz).utcoffset() == datetime.timedelta(
        hours=2
    )  # after the last Sunday of March, whatever the year


def test_cancelled_meeting_is_cancelled_in_the_calendar_and_its_uid_does_not_change(
    client, meeting, anact_coordinator
):
    client.force_login(anact_coordinator)
    url = reverse("meeting_calendar", args=[meeting.pk])
    before = _parse(client.get(url)).events[0]
    Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.CANCELLED)
    after = _parse(client.get(url)).events[0]
    assert str(after["STATUS"]) == "CANCELLED"
    assert after["UID"] == before["UID"]


def test_outsider_gets_404_on_the_meeting_file(client, meeting, outsider):
    client.force_login(outsider)
    assert client.get(reverse("meeting_calendar", args=[meeting.pk])).status_code == 404


@pytest.mark.parametrize("rows", [1, 50])
def test_meeting_file_query_count_does_not_grow(
    client, meeting, anact_reader, django_assert_num_queries, rows
):
    for _ in range(rows):
        ParticipantFactory(meeting=meeting)
        ParticipantFactory(meeting=meeting, user=None, contact=ContactFactory())
        AgendaItemFactory(meeting=meeting)
    client.force_login(anact_reader)
    # session, user, staff profile, the meeting with its agreement, the agreement's parties
    # (permission), participants with their people, agenda items.
    with django_assert_num_queries(7):
        response = client.get(reverse("meeting_calendar", args=[meeting.pk]))
    assert len(_parse(response).events[0]["ATTENDEE"]) == 2 * rows


# The personal feed -------------------------------------------------------------------------


@pytest.fixture
def november(time_machine):
    """The feed reaches a year back: it is read in the autumn after the June meeting (it would
    have left the feed by June 2027)."""
    return clock.freeze(time_machine, datetime.date(2026, 11, 24))


def test_person_creates_a_feed_address_and_subscribes_without_logging_in(
    client, november, meeting, agreement, anact_reader
):
    past = timezone.now() - datetime.timedelta(days=400)
    MeetingFactory(agreement=agreement, title="Trop ancien", starts_at=past)
    MeetingFactory(agreement=SignedAgreementFactory(), title="Pas mon accord")
    recent = MeetingFactory(agreement=agreement, title="Le mois dernier")
    client.force_login(anact_reader)
    page = client.get(reverse("calendar_feed_settings"))
    assert page.status_code == 200 and page.context["feed_url"] is None
    assert reverse("calendar_feed_settings") in page.text  # the user menu links to it

    response = client.post(reverse("calendar_feed_settings"), {"action": "renew"})
    assert response.status_code == 302
    url = _feed_url(anact_reader)
    page = client.get(reverse("calendar_feed_settings"))
    assert page.context["feed_url"] == "http://testserver" + url
    assert page["Cache-Control"].startswith("max-age=0")

    client.logout()
    response = client.get(url)
    assert response.status_code == 200
    calendar = _parse(response)
    titles = [str(event["SUMMARY"]) for event in calendar.events]
    assert sorted(titles) == sorted([meeting.title, recent.title])
    assert calendar.timezones[0]["TZID"] == "Europe/Paris"
    assert "private" in response["Cache-Control"]
    assert "_auth_user_id" not in client.session  # nobody was logged in by the feed


def test_wrong_regenerated_or_revoked_key_gives_404(client, meeting, anact_reader):
    client.force_login(anact_reader)
    client.post(reverse("calendar_feed_settings"), {"action": "renew"})
    old = _feed_url(anact_reader)
    client.post(reverse("calendar_feed_settings"), {"action": "renew"})
    new = _feed_url(anact_reader)
    assert new != old
    client.logout()
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200
    assert client.get(reverse("calendar_feed", args=["x" * 43])).status_code == 404

    client.force_login(anact_reader)
    client.post(reverse("calendar_feed_settings"), {"action": "revoke"})
    assert StaffProfile.objects.get(user=anact_reader).calendar_token is None
    client.logout()
    assert client.get(new).status_code == 404


def test_the_key_is_long_random_and_kept_out_of_the_history(client, anact_reader):
    client.force_login(anact_reader)
    client.post(reverse("calendar_feed_settings"), {"action": "renew"})
    profile = StaffProfile.objects.get(user=anact_reader)
    assert len(profile.calendar_token) >= 43
    historical_fields = {field.name for field in profile.history.model._meta.get_fields()}
    assert "calendar_token" not in historical_fields


def test_feed_of_a_deactivated_account_gives_404(client, meeting, anact_reader):
    client.force_login(anact_reader)
    client.post(reverse("calendar_feed_settings"), {"action": "renew"})
    url = _feed_url(anact_reader)
    anact_reader.is_active = False
    anact_reader.save()
    client.logout()
    assert client.get(url).status_code == 404


def test_feed_follows_what_the_person_sees_an_outsider_feed_is_empty(
    client, november, meeting, anact_reader, outsider
):
    for person in (anact_reader, outsider):
        client.force_login(person)
        client.post(reverse("calendar_feed_settings"), {"action": "renew"})
    client.logout()
    [event] = _parse(client.get(_feed_url(anact_reader))).events
    assert str(event["SUMMARY"]) == meeting.title
    assert _parse(client.get(_feed_url(outsider))).events == []


def test_account_without_a_staff_profile_has_no_feed(client, alice):
    client.force_login(alice)
    assert client.get(reverse("calendar_feed_settings")).context["profile"] is None
    response = client.post(reverse("calendar_feed_settings"), {"action": "renew"}, follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["error"]


def test_feed_answers_only_get(client, anact_reader):
    client.force_login(anact_reader)
    client.post(reverse("calendar_feed_settings"), {"action": "renew"})
    client.logout()
    assert client.post(_feed_url(anact_reader)).status_code == 405


@pytest.mark.parametrize("rows", [1, 50])
def test_feed_query_count_does_not_grow(
    client, agreement, anact_reader, django_assert_num_queries, rows
):
    for _ in range(rows):
        meeting = MeetingFactory(agreement=agreement)
        ParticipantFactory(meeting=meeting, user=UserFactory())
        ParticipantFactory(meeting=meeting, user=None, contact=ContactFactory())
        AgendaItemFactory(meeting=meeting)
    client.force_login(anact_reader)
    client.post(reverse("calendar_feed_settings"), {"action": "renew"})
    url = _feed_url(anact_reader)
    client.logout()
    # the profile with its user and organisation (by key), the meetings with their
    # agreements, their participants with their people, their agenda items.
    with django_assert_num_queries(4):
        response = client.get(url)
    assert len(_parse(response).events) == rows
