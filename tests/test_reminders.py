"""The daily reminders: the right people get the right reminders, once, in one French e-mail."""

import datetime
import io
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from conventions.models import Convention
from partnership.models import ActionContact, Meeting, Participant, ReminderSent
from partnership.overview import reminders
from tests.factories import (
    ActionFactory,
    AgreementPartyFactory,
    ConventionFactory,
    DeliverableFactory,
    FollowUpTaskFactory,
    MeetingFactory,
    ProgrammeFactory,
    SignedAgreementFactory,
    StaffProfileFactory,
    UserFactory,
)

PARIS = ZoneInfo("Europe/Paris")
DAY = datetime.date(2026, 3, 2)  # a Monday


def days(n):
    return DAY + datetime.timedelta(days=n)


def at(day, hour):
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=PARIS)


def meeting(agreement, day, hour=14, **kwargs):
    return MeetingFactory(
        agreement=agreement, starts_at=at(day, hour), ends_at=at(day, hour + 2), **kwargs
    )


def participate(meeting, user, attendance=Participant.Attendance.INVITED):
    return Participant.objects.create(meeting=meeting, user=user, attendance=attendance)


def signed_agreement(*organisations, **kwargs):
    agreement = SignedAgreementFactory(**kwargs)
    for organisation in organisations:
        AgreementPartyFactory(agreement=agreement, organisation=organisation)
    return agreement


def sent_keys(user):
    """The reminders recorded for the person (not the day's digest key, ``digest:<day>``)."""
    return set(
        ReminderSent.objects.filter(user=user)
        .exclude(key__startswith="digest:")
        .values_list("key", flat=True)
    )


def by_recipient(outbox):
    messages = {}
    for message in outbox:
        assert len(message.to) == 1
        assert message.to[0] not in messages, "two e-mails to the same person"
        messages[message.to[0]] = message
    return messages


def html_of(message):
    [(content, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return content


@pytest.fixture
def story(
    anact,
    inrs,
    agreement,
    anact_reader,
    anact_contributor,
    anact_coordinator,
    inrs_reader,
    inrs_contributor,
    inrs_coordinator,
    outsider,
    administrator,
):
    """A week in March 2026, seen from Monday the 2nd."""
    review = meeting(agreement, days(3), title="Comité de suivi de mars")  # Thursday 5 March
    participate(review, anact_coordinator)
    participate(review, inrs_contributor, Participant.Attendance.PRESENT)
    participate(review, anact_reader, Participant.Attendance.EXCUSED)
    participate(review, inrs_reader, Participant.Attendance.ABSENT)
    cancelled = meeting(
        agreement, days(4), title="Réunion annulée", status=Meeting.Status.CANCELLED
    )
    participate(cancelled, anact_contributor)
    later = meeting(agreement, days(10), title="Réunion du 12 mars")
    participate(later, anact_contributor)

    past = meeting(agreement, days(-30), title="Comité de janvier", status=Meeting.Status.HELD)
    due = FollowUpTaskFactory(
        meeting=past, owner=anact_contributor, title="Envoyer le compte rendu", due_on=days(4)
    )
    overdue = FollowUpTaskFactory(
        meeting=past, owner=anact_contributor, title="Relancer l’INRS", due_on=days(-10)
    )
    FollowUpTaskFactory(
        meeting=past,
        owner=anact_contributor,
        title="Tâche faite",
        due_on=days(-3),
        done=True,
        done_on=days(-4),
    )
    FollowUpTaskFactory(
        meeting=past, owner=anact_contributor, title="Tâche lointaine", due_on=days(20)
    )

    programme = ProgrammeFactory(agreement=agreement, year=2026)
    action = ActionFactory(programme=programme, lead_organisation=anact, title="Guide TMS")
    ActionContact.objects.create(action=action, organisation=inrs, user=inrs_contributor)
    ActionContact.objects.create(
        action=action, organisation=anact, user=anact_reader, role=ActionContact.Role.MEMBER
    )
    deliverable = DeliverableFactory(action=action, title="Guide TMS, version 1", due_on=days(8))
    DeliverableFactory(action=action, title="Livrable remis", due_on=days(2), delivered_on=days(-1))
    DeliverableFactory(action=action, title="Livrable lointain", due_on=days(30))

    ending = signed_agreement(
        anact, inrs, reference="AC-FIN", title="Accord qui prend fin", ends_on=days(44)
    )
    renewed = signed_agreement(
        anact,
        inrs,
        reference="AC-TACITE",
        title="Accord reconduit tacitement",
        ends_on=datetime.date(2026, 6, 30),
        tacit_renewal=True,
        notice_period_months=3,  # notice by 30 March: 28 days ahead
    )
    convention = ConventionFactory(
        agreement=agreement,
        title="Convention RPS",
        status=Convention.Status.IN_FORCE,
        signed_on=datetime.date(2025, 1, 1),
        ends_on=days(18),
    )
    return {
        "review": review,
        "later": later,
        "due": due,
        "overdue": overdue,
        "deliverable": deliverable,
        "ending": ending,
        "renewed": renewed,
        "convention": convention,
    }


def endings_keys(story):
    return {
        f"agreement:{story['ending'].pk}:end:2026-04-15:90d",
        f"agreement:{story['renewed'].pk}:notice:2026-03-30:30d",
        f"convention:{story['convention'].pk}:end:2026-03-20:30d",
    }


# Who gets what -------------------------------------------------------------------------------


def test_each_person_gets_their_reminders_and_no_one_else(
    story,
    mailoutbox,
    anact_reader,
    anact_contributor,
    anact_coordinator,
    inrs_reader,
    inrs_contributor,
    inrs_coordinator,
    outsider,
    administrator,
):
    run = reminders.send_reminders(day=DAY)

    messages = by_recipient(mailoutbox)
    assert set(messages) == {
        anact_contributor.email,
        anact_coordinator.email,
        inrs_contributor.email,
        inrs_coordinator.email,
        administrator.email,
    }
    assert len(run.batches) == 5 and not run.failed and not run.deferred
    review = story["review"]
    assert sent_keys(anact_coordinator) == {f"meeting:{review.pk}:2026-03-05"} | endings_keys(story)
    assert sent_keys(inrs_contributor) == {
        f"meeting:{review.pk}:2026-03-05",
        f"deliverable:{story['deliverable'].pk}:due:2026-03-10",
    }
    # Overdue by ten days: the second week of lateness.
    assert sent_keys(anact_contributor) == {
        f"task:{story['due'].pk}:due:2026-03-06",
        f"task:{story['overdue'].pk}:overdue:2026-02-20:1",
    }
    assert sent_keys(inrs_coordinator) == endings_keys(story)
    assert sent_keys(administrator) == endings_keys(story)
    # The excused, the absent, the working-group member, the reader and the outsider: nothing.
    for person in (anact_reader, inrs_reader, outsider):
        assert sent_keys(person) == set()
    # 14 reminders, and the day's digest key of each of the 5 people e-mailed.
    assert ReminderSent.objects.filter(sent_on=DAY).count() == ReminderSent.objects.count() == 19
    assert ReminderSent.objects.filter(key="digest:2026-03-02").count() == 5


def test_the_email_names_the_records_and_leaves_out_the_others(
    story, mailoutbox, anact_contributor, inrs_contributor
):
    reminders.send_reminders(day=DAY)

    messages = by_recipient(mailoutbox)
    tasks = messages[anact_contributor.email]
    for body in (tasks.body, html_of(tasks)):
        assert "Envoyer le compte rendu" in body
        assert "Relancer l’INRS" in body
        assert "Tâche faite" not in body
        assert "Tâche lointaine" not in body
        assert "Réunion annulée" not in body
        assert "Réunion du 12 mars" not in body
    deliverables = messages[inrs_contributor.email]
    for body in (deliverables.body, html_of(deliverables)):
        assert "Comité de suivi de mars" in body
        assert "Guide TMS, version 1" in body
        assert "Livrable remis" not in body
        assert "Livrable lointain" not in body


def test_the_email_is_in_french_with_paris_times(story, mailoutbox, anact_coordinator):
    translation.activate("en")  # whatever the language around, the e-mail is French
    try:
        reminders.send_reminders(day=DAY)
    finally:
        translation.deactivate()

    message = by_recipient(mailoutbox)[anact_coordinator.email]
    with translation.override("fr"):
        expected_subject = translation.ngettext(
            "Partnership tracker: %(count)s reminder",
            "Partnership tracker: %(count)s reminders",
            4,
        ) % {"count": 4}
    assert message.subject == expected_subject
    html = html_of(message)
    # Django's French day and month names; 14:00 in Paris whatever the server's zone.
    assert "jeudi 5 mars 2026, 14:00–16:00" in message.body
    assert 'datetime="2026-03-05T14:00:00+01:00">jeudi 5 mars 2026, 14:00</time>–16:00' in html
    for body in (message.body, html):
        assert "lundi 2 mars 2026" in body
        assert "mercredi 15 avril 2026" in body
        assert "AC-FIN" in body
    assert '<html lang="fr">' in html
    assert "&lt;" not in message.body and "&#x27;" not in message.body


def test_links_point_to_the_site_when_its_address_is_set(
    story, mailoutbox, settings, anact_contributor
):
    settings.SITE_URL = "https://partenariat.example.fr"
    reminders.send_reminders(day=DAY)

    message = by_recipient(mailoutbox)[anact_contributor.email]
    link = "https://partenariat.example.fr" + story["due"].meeting.get_absolute_url()
    assert link + "#follow-ups" in message.body
    assert f'href="{link}#follow-ups"' in html_of(message)


def test_no_links_without_the_site_address(story, mailoutbox, settings, anact_contributor):
    settings.SITE_URL = ""
    reminders.send_reminders(day=DAY)

    message = by_recipient(mailoutbox)[anact_contributor.email]
    assert "#follow-ups" not in message.body
    assert "href=" not in html_of(message)


def test_inactive_people_and_people_without_address_are_skipped(
    story, mailoutbox, anact_contributor, inrs_contributor
):
    anact_contributor.is_active = False
    anact_contributor.save()
    inrs_contributor.email = ""
    inrs_contributor.save()

    reminders.send_reminders(day=DAY)

    recipients = set(by_recipient(mailoutbox))
    assert anact_contributor.email not in recipients
    assert sent_keys(anact_contributor) == sent_keys(inrs_contributor) == set()


def test_coordinators_hear_only_of_the_agreements_they_may_see(
    anact, inrs, aract, outsider_organisation, outsider, anact_coordinator, mailoutbox
):
    aract_coordinator = UserFactory(username="aract.coordinateur")
    StaffProfileFactory(user=aract_coordinator, organisation=aract, role="coordinator")
    inrs_anact_reader = UserFactory(username="anact.lecteur2")
    StaffProfileFactory(user=inrs_anact_reader, organisation=anact, role="reader")
    theirs = signed_agreement(outsider_organisation, inrs, reference="AC-CNAV", ends_on=days(20))
    ours = signed_agreement(anact, inrs, reference="AC-ANACT", ends_on=days(20))

    reminders.send_reminders(day=DAY)

    assert sent_keys(outsider) == {f"agreement:{theirs.pk}:end:2026-03-22:30d"}
    assert sent_keys(anact_coordinator) == {f"agreement:{ours.pk}:end:2026-03-22:30d"}
    # The Aract belongs to the Anact network: its coordinator sees Anact's agreements.
    assert sent_keys(aract_coordinator) == {f"agreement:{ours.pk}:end:2026-03-22:30d"}
    assert sent_keys(inrs_anact_reader) == set()


def test_only_active_coordinators_and_administrators_hear_of_an_agreements_end(
    anact, inrs, anact_contributor, anact_coordinator, inrs_coordinator, administrator
):
    inrs_coordinator.is_active = False
    inrs_coordinator.save()
    ours = signed_agreement(anact, inrs, reference="AC-ANACT", ends_on=days(20))
    key = f"agreement:{ours.pk}:end:2026-03-22:30d"

    reminders.send_reminders(day=DAY)

    assert sent_keys(anact_coordinator) == sent_keys(administrator) == {key}
    assert sent_keys(anact_contributor) == sent_keys(inrs_coordinator) == set()


# Never twice ---------------------------------------------------------------------------------


def test_nothing_is_sent_twice_across_two_runs_on_the_same_day(story, mailoutbox):
    first = reminders.send_reminders(day=DAY)
    recorded = ReminderSent.objects.count()
    mailoutbox.clear()

    second = reminders.send_reminders(day=DAY)

    assert len(first.batches) == 5
    assert second.batches == [] and mailoutbox == []
    assert ReminderSent.objects.count() == recorded


def test_the_command_twice_on_the_same_day_sends_once(story, mailoutbox):
    call_command("send_reminders", "--date", "2026-03-02", stdout=io.StringIO())
    call_command("send_reminders", "--date", "2026-03-02", stdout=io.StringIO())

    assert len(mailoutbox) == 5
    assert len({message.to[0] for message in mailoutbox}) == 5


def test_the_next_days_bring_only_what_is_new(story, mailoutbox, anact_contributor):
    reminders.send_reminders(day=DAY)
    mailoutbox.clear()

    # Tuesday and Wednesday: the same reminders, already sent.
    for n in (1, 2):
        reminders.send_reminders(day=days(n))
    assert mailoutbox == []

    # Thursday the 5th: the meeting of the 12th comes within the week.
    run = reminders.send_reminders(day=days(3))
    assert [message.to for message in mailoutbox] == [[anact_contributor.email]]
    assert run.batches[0].keys == [f"meeting:{story['later'].pk}:2026-03-12"]
    mailoutbox.clear()

    reminders.send_reminders(day=days(4))
    assert mailoutbox == []

    # Saturday the 7th: the task due on Friday is now late, and the overdue one enters its
    # third week of lateness: both in one e-mail.
    run = reminders.send_reminders(day=days(5))
    assert [message.to for message in mailoutbox] == [[anact_contributor.email]]
    assert run.batches[0].keys == [
        f"task:{story['overdue'].pk}:overdue:2026-02-20:2",
        f"task:{story['due'].pk}:overdue:2026-03-06:0",
    ]


def test_a_meeting_moved_to_another_day_is_reminded_again(story, mailoutbox, anact_coordinator):
    reminders.send_reminders(day=DAY)
    review = story["review"]
    review.starts_at, review.ends_at = at(days(6), 9), at(days(6), 11)
    review.save()
    mailoutbox.clear()

    reminders.send_reminders(day=days(1))

    assert f"meeting:{review.pk}:2026-03-08" in sent_keys(anact_coordinator)
    assert anact_coordinator.email in by_recipient(mailoutbox)


def test_an_end_date_is_reminded_at_90_days_then_at_30_days(anact, inrs, anact_coordinator):
    agreement = signed_agreement(anact, inrs, reference="AC-2", ends_on=days(60))

    for n in range(0, 61):
        reminders.send_reminders(day=days(n))

    assert sent_keys(anact_coordinator) == {
        f"agreement:{agreement.pk}:end:2026-05-01:90d",
        f"agreement:{agreement.pk}:end:2026-05-01:30d",
    }
    sent_on = dict(
        ReminderSent.objects.filter(user=anact_coordinator).values_list("key", "sent_on")
    )
    assert sent_on[f"agreement:{agreement.pk}:end:2026-05-01:90d"] == DAY
    assert sent_on[f"agreement:{agreement.pk}:end:2026-05-01:30d"] == days(30)


def test_a_date_first_seen_within_30_days_gets_only_the_30_day_reminder(
    anact, inrs, anact_coordinator
):
    agreement = signed_agreement(anact, inrs, reference="AC-3", ends_on=days(10))

    reminders.send_reminders(day=DAY)
    reminders.send_reminders(day=days(1))

    assert sent_keys(anact_coordinator) == {f"agreement:{agreement.pk}:end:2026-03-12:30d"}


def test_no_notice_reminder_without_tacit_renewal(anact, inrs, anact_coordinator):
    signed_agreement(
        anact, inrs, reference="AC-4", ends_on=datetime.date(2026, 6, 30), tacit_renewal=False
    )

    reminders.send_reminders(day=DAY)

    assert sent_keys(anact_coordinator) == set()


def test_one_email_a_day_a_person_already_emailed_waits_until_tomorrow(
    story, mailoutbox, anact_contributor
):
    ReminderSent.objects.create(user=anact_contributor, key="digest:2026-03-02", sent_on=DAY)

    run = reminders.send_reminders(day=DAY)

    assert anact_contributor.email not in by_recipient(mailoutbox)
    assert [batch.user for batch in run.deferred] == [anact_contributor]
    mailoutbox.clear()
    reminders.send_reminders(day=days(1))
    assert [message.to for message in mailoutbox] == [[anact_contributor.email]]
    assert len(sent_keys(anact_contributor)) == 2


def test_a_run_that_lost_the_race_sends_nothing(story, mailoutbox, monkeypatch):
    """Two runs at once: the second, planned before the first recorded, sends nothing."""
    stale_plan = reminders.plan(DAY)
    reminders.send_reminders(day=DAY)
    mailoutbox.clear()
    monkeypatch.setattr(reminders, "plan", lambda day: stale_plan)

    run = reminders.send_reminders(day=DAY)

    assert mailoutbox == [] and run.batches == []
    assert len(run.deferred) == 5


def test_a_failed_email_is_not_recorded_and_goes_at_the_next_run(
    story, mailoutbox, monkeypatch, anact_contributor
):
    from django.core.mail.backends.locmem import EmailBackend

    send_messages = EmailBackend.send_messages

    def refuse_anact_contributor(self, messages):
        if messages[0].to == [anact_contributor.email]:
            raise ConnectionRefusedError("SMTP server unreachable")
        return send_messages(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", refuse_anact_contributor)
    with pytest.raises(CommandError):
        call_command("send_reminders", "--date", "2026-03-02", stdout=io.StringIO())

    assert len(mailoutbox) == 4
    assert sent_keys(anact_contributor) == set()
    monkeypatch.setattr(EmailBackend, "send_messages", send_messages)
    mailoutbox.clear()
    call_command("send_reminders", "--date", "2026-03-02", stdout=io.StringIO())
    assert [message.to for message in mailoutbox] == [[anact_contributor.email]]
    assert len(sent_keys(anact_contributor)) == 2


# The command ---------------------------------------------------------------------------------


def test_dry_run_prints_and_neither_sends_nor_records(
    story, mailoutbox, anact_contributor, inrs_coordinator
):
    out = io.StringIO()

    call_command("send_reminders", "--dry-run", "--date", "2026-03-02", stdout=out)

    assert mailoutbox == []
    assert ReminderSent.objects.count() == 0
    output = out.getvalue()
    assert anact_contributor.email in output
    assert inrs_coordinator.email in output
    assert f"[task:{story['overdue'].pk}:overdue:2026-02-20:1]" in output
    assert f"[agreement:{story['renewed'].pk}:notice:2026-03-30:30d]" in output
    assert "Envoyer le compte rendu" in output


def test_the_command_runs_as_of_today_by_default(db, mailoutbox):
    out = io.StringIO()
    call_command("send_reminders", stdout=out)
    assert mailoutbox == []
    assert "0" in out.getvalue()


def test_a_malformed_date_is_refused():
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("send_reminders", "--date", "02/03/2026")


# Queries -------------------------------------------------------------------------------------


def _world(size, anact, inrs, agreement):
    """``size`` people, each with a meeting, a task, a deliverable; ``size`` agreements ending."""
    programme = ProgrammeFactory(agreement=agreement, year=2026)
    for n in range(size):
        person = UserFactory()
        StaffProfileFactory(user=person, organisation=anact, role="coordinator")
        review = meeting(agreement, days(2))
        participate(review, person)
        FollowUpTaskFactory(meeting=review, owner=person, due_on=days(-3))
        action = ActionFactory(programme=programme, lead_organisation=anact)
        ActionContact.objects.create(action=action, organisation=anact, user=person)
        DeliverableFactory(action=action, due_on=days(5))
        signed_agreement(anact, inrs, ends_on=days(40 + n))
        ConventionFactory(
            agreement=agreement,
            status=Convention.Status.SIGNED,
            signed_on=datetime.date(2025, 1, 1),
            ends_on=days(50),
        )


@pytest.mark.parametrize("size", [1, 8])
def test_planning_takes_the_same_queries_whatever_the_number(
    size, anact, inrs, agreement, django_assert_num_queries
):
    _world(size, anact, inrs, agreement)
    # 1 participants with their meetings and people, 1 tasks, 2 deliverables and their
    # contacts, 2 agreements and their parties, 2 conventions and their agreements' parties,
    # 1 coordinators with their profiles, 1 the contacts' notification preferences, 1 the
    # notifications waiting for the digest, 1 the people's profiles (their language), 1
    # reminders (and digests) already sent.
    with django_assert_num_queries(13):
        pending, deferred = reminders.plan(DAY)
    assert len(pending) == size
    assert all(len(batch.reminders) == 3 + 2 * size for batch in pending)


@pytest.mark.parametrize("size", [1, 8])
def test_sending_costs_one_insert_per_person(size, anact, inrs, agreement, mailoutbox):
    _world(size, anact, inrs, agreement)
    with CaptureQueriesContext(connection) as queries:
        reminders.send_reminders(day=DAY)
    inserts = [q for q in queries.captured_queries if q["sql"].startswith("INSERT")]
    assert len(inserts) == size
    assert len(mailoutbox) == size
    # The planning's 13 queries, then a savepoint, an insert and its release per person.
    assert len(queries.captured_queries) == 13 + 3 * size
