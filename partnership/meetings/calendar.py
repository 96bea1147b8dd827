"""Meetings as iCalendar (RFC 5545): one meeting's file, and a person's subscription feed.

Times are written in Paris time (``DTSTART;TZID=Europe/Paris``) with the VTIMEZONE that
defines it, so that a calendar client shows the meeting at the right hour on either side of
a change of summer time. The time zone is described by its rule (last Sunday of March and
of October, as in force in the European Union since 1996) rather than by a list of dates,
which keeps the file short and valid for any year.

Participants are attendees (``mailto:``, their name, CHAIR for the chair, their attendance
as PARTSTAT); a participant without an e-mail address cannot be an attendee and is left
out. The file is published (METHOD:PUBLISH), not sent as an invitation.
"""

import datetime
from zoneinfo import ZoneInfo

import icalendar
from django.utils import timezone
from django.utils.translation import gettext as _

from partnership.meetings.models import Meeting, Participant

PARIS = ZoneInfo("Europe/Paris")
PRODID = "-//Anact-INRS//Suivi du partenariat//FR"

PARTSTAT = {
    Participant.Attendance.INVITED: "NEEDS-ACTION",
    Participant.Attendance.PRESENT: "ACCEPTED",
    Participant.Attendance.EXCUSED: "DECLINED",
    Participant.Attendance.ABSENT: "DECLINED",
}
ROLE = {
    Participant.Role.CHAIR: "CHAIR",
    Participant.Role.SECRETARY: "REQ-PARTICIPANT",
    Participant.Role.PARTICIPANT: "REQ-PARTICIPANT",
}


def paris_timezone() -> icalendar.Timezone:
    """The VTIMEZONE of Europe/Paris: CET in winter, CEST in summer."""
    zone = icalendar.Timezone()
    zone.add("tzid", "Europe/Paris")
    summer = icalendar.TimezoneDaylight()
    summer.add("tzname", "CEST")
    summer.add("dtstart", datetime.datetime(1981, 3, 29, 2, 0))
    summer.add("rrule", {"freq": "yearly", "bymonth": 3, "byday": "-1su"})
    summer.add("tzoffsetfrom", datetime.timedelta(hours=1))
    summer.add("tzoffsetto", datetime.timedelta(hours=2))
    winter = icalendar.TimezoneStandard()
    winter.add("tzname", "CET")
    winter.add("dtstart", datetime.datetime(1996, 10, 27, 3, 0))
    winter.add("rrule", {"freq": "yearly", "bymonth": 10, "byday": "-1su"})
    winter.add("tzoffsetfrom", datetime.timedelta(hours=2))
    winter.add("tzoffsetto", datetime.timedelta(hours=1))
    zone.add_component(summer)
    zone.add_component(winter)
    return zone


def _person(participant):
    """(name, e-mail) of a participant, staff member or contact."""
    if participant.user_id:
        user = participant.user
        return user.get_full_name() or user.get_username(), user.email
    contact = participant.contact
    return str(contact), contact.email


def _address(name, email, **params) -> icalendar.vCalAddress:
    address = icalendar.vCalAddress(f"mailto:{email}")
    address.params["CN"] = name
    for key, value in params.items():
        address.params[key] = value
    return address


def meeting_uid(meeting: Meeting, domain: str) -> str:
    return f"rendez-vous-{meeting.pk}@{domain}"


def meeting_event(meeting: Meeting, *, url: str, domain: str, stamp) -> icalendar.Event:
    """The VEVENT of a meeting; its participants and agenda items must be prefetched."""
    event = icalendar.Event()
    event.add("uid", meeting_uid(meeting, domain))
    event.add("dtstamp", stamp)
    event.add("sequence", max(meeting.version - 1, 0))
    event.add("dtstart", timezone.localtime(meeting.starts_at, PARIS))
    event.add("dtend", timezone.localtime(meeting.ends_at, PARIS))
    event.add("summary", meeting.title)
    if meeting.place:
        event.add("location", meeting.place)
    elif meeting.video_link:
        event.add("location", meeting.video_link)
    event.add("url", url)
    event.add(
        "status",
        "CANCELLED" if meeting.status == Meeting.Status.CANCELLED else "CONFIRMED",
    )
    event.add("description", _description(meeting, url))
    organiser_set = False
    for participant in meeting.participants.all():
        name, email = _person(participant)
        if not email:
            continue
        event.add(
            "attendee",
            _address(
                name,
                email,
                CUTYPE="INDIVIDUAL",
                ROLE=ROLE[participant.role],
                PARTSTAT=PARTSTAT[participant.attendance],
            ),
        )
        if participant.role == Participant.Role.CHAIR and not organiser_set:
            event.add("organizer", _address(name, email))
            organiser_set = True
    return event


def _description(meeting: Meeting, url: str) -> str:
    lines = [
        f"{meeting.get_kind_display().capitalize()} – {meeting.agreement.reference}",
        meeting.agreement.title,
    ]
    if meeting.video_link:
        lines.append(_("Video link: %(link)s") % {"link": meeting.video_link})
    agenda = list(meeting.agenda_items.all())
    if agenda:
        lines += ["", _("Agenda:")]
        lines += [f"{number}. {item.title}" for number, item in enumerate(agenda, start=1)]
    lines += ["", url]
    return "\n".join(lines)


def calendar_of(meetings, *, request, name: str = "") -> bytes:
    """An iCalendar file of the meetings, their links absolute for this request's site."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    if name:
        calendar.add("x-wr-calname", name)
        calendar.add("name", name)
    calendar.add("x-wr-timezone", "Europe/Paris")
    calendar.add_component(paris_timezone())
    domain = request.get_host().split(":")[0]
    stamp = timezone.now().astimezone(datetime.UTC).replace(microsecond=0)
    for meeting in meetings:
        calendar.add_component(
            meeting_event(
                meeting,
                url=request.build_absolute_uri(meeting.get_absolute_url()),
                domain=domain,
                stamp=stamp,
            )
        )
    return calendar.to_ical()
