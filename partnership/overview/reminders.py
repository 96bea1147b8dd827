"""The daily reminders e-mailed to each person (``manage.py send_reminders``, run by cron).

What a person is reminded of, as of a day D (the Paris date, or ``--date``):

- the meetings they take part in (a participant with an account, invited or present, not
  excused or absent) that are planned and start between D and D + 7 days;
- their open follow-up tasks due between D and D + 7 days, or overdue;
- the deliverables not delivered, due between D and D + 14 days or overdue, of the actions they
  are a contact of (``ActionContact`` with an account and the role "contact"; actions cancelled
  left out);
- for coordinators and administrators with a staff profile (``partnership.rules.with_role``),
  the signed agreements and the signed or in-force conventions they may see (the named
  permissions ``view_agreement`` and ``view_convention``) whose end date, or for an agreement
  renewed tacitly its notice date, falls within 90 days and again within 30 days: two
  reminders, at the 90-day mark and at the 30-day mark.

Never the same reminder twice: every reminder has a key, recorded in ``ReminderSent`` (unique per
person and key) when it is sent, and a key already recorded for the person is never sent again.
The keys name the record and the date that matters, so that a meeting moved to another day or a
task given a new due date is reminded again, and a missed day (cron down) is caught up the next
run because the windows are ranges, not exact days:

- ``meeting:<pk>:<start day>``: once per meeting and start day;
- ``task:<pk>:due:<due date>``: once, in the 7 days before the due date;
- ``task:<pk>:overdue:<due date>:<week>``: an overdue task is reminded once a week while it is
  open (week 0 is the first to seventh day late, week 1 the eighth to fourteenth...);
- ``deliverable:<pk>:due:<due date>`` and ``deliverable:<pk>:overdue:<due date>:<week>``: alike;
- ``agreement:<pk>:end:<end date>:90d`` / ``:30d``, ``agreement:<pk>:notice:<notice date>:90d`` /
  ``:30d`` and ``convention:<pk>:end:<end date>:90d`` / ``:30d``. When a date is first seen
  already within 30 days, only the 30-day reminder goes.

The daily digest (issue 16): the same e-mail also holds the person's notifications they want in
the digest (``partnership.discussion.delivery.digest_candidates``: each once, marked
``digested_at`` in the transaction of the send, and only those about records they may still
see), in the person's language. A deliverable due or overdue is also an event
(``deliverable_due`` / ``deliverable_overdue``) that reaches the action's contacts per their
preference: in the digest (the default) it is the reminder above; "in the application" or "at
once by e-mail" make it a notification instead (recorded under the same key, e-mailed at once
by the tasks when so wanted); "off" drops it.

One e-mail per person per day at most: all of a person's reminders and notifications go in one
message, recorded with the key ``digest:<day>``; a person who already has it gets nothing more
that day; what was left waits for the next day's run (the windows still hold it).

Failures, for each person in turn: in one transaction, the person's reminders are recorded (the
unique constraint makes a second run at the same time wait, then skip them), then the e-mail is
handed to the mail server; if sending fails, the transaction is rolled back and nothing is
recorded, so the next run tries again. Nothing is lost. The only duplicate possible is an e-mail
accepted by the server just before the database fails to commit, which we prefer to losing a
reminder. Sending inside the transaction (rather than on commit) is what makes a failed send
leave no record; the transaction holds only the person's few rows, for the time of one SMTP
exchange.

Queries: each category of reminders is fetched in one or two queries, the people who already had
them in one more, then each person sent to costs one insert (and its transaction).
"""

import contextlib
import datetime
import logging
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives, mailers
from django.db import IntegrityError, transaction
from django.db.models import F, Prefetch, Q
from django.db.models.functions import ExtractMonth, ExtractYear
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.translation import gettext, ngettext

from conventions.models import Convention
from partnership.agreements.models import Agreement
from partnership.core import fragments
from partnership.directory.models import StaffProfile
from partnership.discussion import delivery
from partnership.discussion.models import Event, Notification
from partnership.discussion.preferences import Channel, DeliveryPreference
from partnership.meetings.models import FollowUpTask, Meeting, Participant
from partnership.overview.models import ReminderSent
from partnership.programmes.models import ActionContact, Deliverable
from partnership.rules import (
    Role,
    prefetch_party_ids,
    remember_profile,
    sees_agreement,
    with_role,
)

logger = logging.getLogger(__name__)

MEETING_DAYS = 7
TASK_DAYS = 7
DELIVERABLE_DAYS = 14
ENDING_MARKS = (90, 30)  # days before an end or notice date, largest first
OVERDUE_EVERY_DAYS = 7

MEETING = "meeting"
TASK = "task"
DELIVERABLE = "deliverable"
AGREEMENT_END = "agreement_end"
AGREEMENT_NOTICE = "agreement_notice"
CONVENTION_END = "convention_end"
ENDINGS = (AGREEMENT_NOTICE, AGREEMENT_END, CONVENTION_END)


@dataclass(frozen=True)
class Reminder:
    key: str
    kind: str
    record: object
    date: datetime.date  # the day that matters: the meeting's, the due, end or notice date
    days: int  # from the day of the run to that date; negative when overdue
    mark: int | None = None  # the 90- or 30-day mark of an end or notice date

    @property
    def overdue(self):
        return self.days < 0

    @property
    def days_late(self):
        return -self.days

    @property
    def path(self):
        if self.kind == TASK:
            return self.record.meeting.get_absolute_url() + "#follow-ups"
        return self.record.get_absolute_url()


@dataclass
class Batch:
    """All the reminders of one person, sent in one e-mail."""

    user: object
    reminders: list = field(default_factory=list)
    notifications: list = field(default_factory=list)  # wanted in the digest
    to_notify: list = field(default_factory=list)  # deliverable events made notifications

    def add(self, reminder):
        if all(known.key != reminder.key for known in self.reminders):
            self.reminders.append(reminder)

    def _of(self, *kinds):
        return [reminder for reminder in self.reminders if reminder.kind in kinds]

    @property
    def meetings(self):
        return self._of(MEETING)

    @property
    def tasks(self):
        return self._of(TASK)

    @property
    def deliverables(self):
        return self._of(DELIVERABLE)

    @property
    def endings(self):
        return sorted(self._of(*ENDINGS), key=lambda reminder: (reminder.date, reminder.key))

    @property
    def keys(self):
        return [reminder.key for reminder in self.reminders]

    @property
    def count(self):
        return len(self.reminders) + len(self.notifications)


@dataclass
class Run:
    """What a run did (or, in a dry run, would do)."""

    day: datetime.date
    dry_run: bool
    batches: list = field(default_factory=list)  # e-mails sent, or to send in a dry run
    deferred: list = field(default_factory=list)  # people already e-mailed that day
    failed: list = field(default_factory=list)  # (person, error): nothing recorded, retried

    @property
    def reminder_count(self):
        return sum(len(batch.reminders) for batch in self.batches)

    @property
    def notification_count(self):
        return sum(len(batch.notifications) for batch in self.batches)


# Collecting ----------------------------------------------------------------------------------


def _reachable(path):
    """People who can receive an e-mail: an active account with an address."""
    return Q(**{f"{path}__is_active": True}) & ~Q(**{f"{path}__email": ""})


def _midnight(day):
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=timezone.get_default_timezone())


def _due_key(prefix, pk, due_on, day):
    if due_on >= day:
        return f"{prefix}:{pk}:due:{due_on.isoformat()}"
    week = ((day - due_on).days - 1) // OVERDUE_EVERY_DAYS
    return f"{prefix}:{pk}:overdue:{due_on.isoformat()}:{week}"


def _mark(days):
    """The smallest mark the number of days falls within (None when none or already past)."""
    if days < 0:
        return None
    within = [mark for mark in ENDING_MARKS if days <= mark]
    return min(within) if within else None


def meeting_reminders(day):
    start = _midnight(day)
    end = _midnight(day + datetime.timedelta(days=MEETING_DAYS + 1))
    participants = (
        Participant.objects.filter(
            _reachable("user"),
            sees_agreement(Participant, "user", "meeting__agreement"),
            meeting__status=Meeting.Status.PLANNED,
            meeting__starts_at__gte=start,
            meeting__starts_at__lt=end,
        )
        .exclude(attendance__in=[Participant.Attendance.EXCUSED, Participant.Attendance.ABSENT])
        .select_related("user", "meeting__agreement")
        .order_by("meeting__starts_at", "meeting_id")
    )
    for participant in participants:
        meeting = participant.meeting
        meeting_day = timezone.localtime(meeting.starts_at, timezone.get_default_timezone()).date()
        yield (
            participant.user,
            Reminder(
                key=f"meeting:{meeting.pk}:{meeting_day.isoformat()}",
                kind=MEETING,
                record=meeting,
                date=meeting_day,
                days=(meeting_day - day).days,
            ),
        )


def task_reminders(day):
    tasks = (
        FollowUpTask.objects.open()
        .filter(
            _reachable("owner"),
            sees_agreement(FollowUpTask, "owner", "meeting__agreement"),
            due_on__lte=day + datetime.timedelta(days=TASK_DAYS),
        )
        .select_related("owner", "meeting__agreement")
        .order_by("due_on", "pk")
    )
    for task in tasks:
        yield (
            task.owner,
            Reminder(
                key=_due_key("task", task.pk, task.due_on, day),
                kind=TASK,
                record=task,
                date=task.due_on,
                days=(task.due_on - day).days,
            ),
        )


def deliverable_reminders(day):
    contacts = (
        ActionContact.objects.filter(
            _reachable("user"),
            sees_agreement(ActionContact, "user", "action__programme__agreement"),
            role=ActionContact.Role.CONTACT,
        )
        .select_related("user")
        .order_by("pk")
    )
    deliverables = (
        Deliverable.objects.outstanding()
        .due_by(day + datetime.timedelta(days=DELIVERABLE_DAYS))
        .select_related("action__programme__agreement")
        .prefetch_related(Prefetch("action__contacts", contacts, to_attr="reminded_contacts"))
        .order_by("due_on", "pk")
    )
    for deliverable in deliverables:
        reminder = Reminder(
            key=_due_key("deliverable", deliverable.pk, deliverable.due_on, day),
            kind=DELIVERABLE,
            record=deliverable,
            date=deliverable.due_on,
            days=(deliverable.due_on - day).days,
        )
        for contact in deliverable.action.reminded_contacts:
            yield contact.user, reminder


def _ending(kind, prefix, record, what, date, day):
    days = (date - day).days
    mark = _mark(days)
    if mark is None:
        return None
    return Reminder(
        key=f"{prefix}:{record.pk}:{what}:{date.isoformat()}:{mark}d",
        kind=kind,
        record=record,
        date=date,
        days=days,
        mark=mark,
    )


def ending_reminders(day):
    """Agreements and conventions nearing their end or notice date, for their coordinators."""
    horizon = day + datetime.timedelta(days=max(ENDING_MARKS))
    horizon_month = horizon.year * 12 + horizon.month
    # Notice dates are computed in Python (months before the end); the query keeps the
    # candidates whose end month minus the notice period is at most the horizon's month.
    agreements = (
        Agreement.objects.signed()
        .filter(ends_on__gte=day)
        .alias(
            notice_month=ExtractYear("ends_on") * 12
            + ExtractMonth("ends_on")
            - F("notice_period_months")
        )
        .filter(Q(ends_on__lte=horizon) | Q(tacit_renewal=True, notice_month__lte=horizon_month))
        .order_by("pk")
    )
    reminders = []
    # The parties of every agreement at once, for the permission checks below.
    for agreement in prefetch_party_ids(agreements):
        if agreement.tacit_renewal:
            reminders.append(
                _ending(
                    AGREEMENT_NOTICE, "agreement", agreement, "notice", agreement.notice_date, day
                )
            )
        reminders.append(
            _ending(AGREEMENT_END, "agreement", agreement, "end", agreement.ends_on, day)
        )
    conventions = (
        Convention.objects.running()
        .filter(ends_on__gte=day, ends_on__lte=horizon)
        .select_related("agreement", "theme")
        .order_by("pk")
    )
    conventions = list(conventions)
    prefetch_party_ids([convention.agreement for convention in conventions])
    for convention in conventions:
        reminders.append(
            _ending(CONVENTION_END, "convention", convention, "end", convention.ends_on, day)
        )
    reminders = [reminder for reminder in reminders if reminder is not None]
    if not reminders:
        return
    coordinators = (
        get_user_model()
        .objects.filter(with_role(Role.COORDINATOR), profile__isnull=False)
        .exclude(email="")
        .select_related("profile__organisation")
        .order_by("pk")
    )
    for user in coordinators:
        remember_profile(user, user.profile)  # partnership.rules would fetch it again
        for reminder in reminders:
            permission = (
                "conventions.view_convention"
                if reminder.kind == CONVENTION_END
                else "partnership.view_agreement"
            )
            if user.has_perm(permission, reminder.record):
                yield user, reminder


COLLECTORS = (meeting_reminders, task_reminders, deliverable_reminders, ending_reminders)


def collect(day):
    """Every person's reminders due on the day, sent before or not, one batch per person."""
    batches = {}
    for collector in COLLECTORS:
        for user, reminder in collector(day):
            batches.setdefault(user.pk, Batch(user=user)).add(reminder)
    return batches


def digest_key(day):
    return f"digest:{day.isoformat()}"


def deliverable_event(reminder):
    return Event.DELIVERABLE_OVERDUE if reminder.overdue else Event.DELIVERABLE_DUE


def _apply_preferences(batches, preferences):
    """A deliverable's reminder is an event the contact hears of per their preference."""
    for user_id, batch in batches.items():
        kept = []
        for reminder in batch.reminders:
            if reminder.kind != DELIVERABLE:
                kept.append(reminder)
                continue
            channel = preferences[user_id][deliverable_event(reminder)]
            if channel == Channel.DIGEST:
                kept.append(reminder)
            elif channel in (Channel.APP, Channel.EMAIL):
                batch.to_notify.append(reminder)
        batch.reminders = kept


def _remember_profiles(users):
    """The profiles (language, organisation) of the people not fetched with theirs, at once."""
    missing = {user.pk: user for user in users if not hasattr(user, "_staff_profile")}
    if not missing:
        return
    profiles = StaffProfile.objects.filter(user_id__in=list(missing)).select_related("organisation")
    found = {profile.user_id: profile for profile in profiles}
    for user_id, user in missing.items():
        remember_profile(user, found.get(user_id))


def plan(day):
    """The e-mails to send on the day, and the people already e-mailed that day.

    Reminders already sent are left out; a person who already had their e-mail that day is put
    aside whole (one e-mail per person per day).
    """
    batches = collect(day)
    if batches:
        _apply_preferences(batches, DeliveryPreference.objects.matrix(batches))
    day_end = _midnight(day + datetime.timedelta(days=1))
    for user, found in delivery.digest_candidates(day_end).items():
        batches.setdefault(user.pk, Batch(user=user)).notifications = found
    if not batches:
        return [], []
    _remember_profiles([batch.user for batch in batches.values()])
    keys = {digest_key(day)}
    for batch in batches.values():
        keys |= {reminder.key for reminder in batch.reminders + batch.to_notify}
    rows = ReminderSent.objects.filter(user_id__in=list(batches), key__in=sorted(keys))
    sent = set(rows.values_list("user_id", "key"))
    pending, deferred = [], []
    for user_id, batch in batches.items():
        batch.reminders = [r for r in batch.reminders if (user_id, r.key) not in sent]
        batch.to_notify = [r for r in batch.to_notify if (user_id, r.key) not in sent]
        if not (batch.reminders or batch.notifications or batch.to_notify):
            continue
        (deferred if (user_id, digest_key(day)) in sent else pending).append(batch)
    return pending, deferred


# Sending -------------------------------------------------------------------------------------


def describe(reminder):
    """One line saying what the reminder is about (for the dry run's report)."""
    day = formats.date_format(reminder.date, "DATE_FORMAT")
    record = reminder.record
    if reminder.kind == MEETING:
        return gettext("meeting “%(title)s” on %(date)s at %(time)s") % {
            "title": record.title,
            "date": day,
            "time": formats.time_format(timezone.localtime(record.starts_at), "TIME_FORMAT"),
        }
    if reminder.kind in (TASK, DELIVERABLE):
        values = {"title": record.title, "date": day, "days": reminder.days_late}
        if reminder.kind == TASK:
            if reminder.overdue:
                return gettext("follow-up task “%(title)s” overdue since %(date)s") % values
            return gettext("follow-up task “%(title)s” due on %(date)s") % values
        if reminder.overdue:
            return gettext("deliverable “%(title)s” overdue since %(date)s") % values
        return gettext("deliverable “%(title)s” due on %(date)s") % values
    values = {"record": record, "date": day, "mark": reminder.mark}
    if reminder.kind == AGREEMENT_NOTICE:
        return gettext("notice date of %(record)s on %(date)s (%(mark)s-day reminder)") % values
    return gettext("end of %(record)s on %(date)s (%(mark)s-day reminder)") % values


def render(batch, day):
    """The e-mail of one person's reminders and notifications, in their language."""
    language = delivery.language_of(batch.user)
    with translation.override(language), timezone.override(settings.TIME_ZONE):
        context = {
            "person": batch.user,
            "day": day,
            "batch": batch,
            "site_url": settings.SITE_URL.rstrip("/"),
            "notifications": [
                {"summary": delivery.describe(notification), "link": delivery.link(notification)}
                for notification in batch.notifications
            ],
        }
        if batch.notifications:
            subject = gettext("Partnership tracker: your daily digest")
        else:
            count = len(batch.reminders)
            subject = ngettext(
                "Partnership tracker: %(count)s reminder",
                "Partnership tracker: %(count)s reminders",
                count,
            ) % {"count": count}
        # The template's tags leave blank lines: at most one between paragraphs.
        text = re.sub(r"[ \t]+\n", "\n", render_to_string("emails/reminder.txt", context))
        text = re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
        html = render_to_string("emails/reminder.html", context)
    message = EmailMultiAlternatives(
        subject,
        text,
        settings.DEFAULT_FROM_EMAIL,
        [batch.user.email],
        # RFC 3834: out-of-office replies are not sent back to an automatic message.
        headers={"Auto-Submitted": "auto-generated"},
    )
    message.attach_alternative(html, "text/html")
    return message


class NotSent(Exception):
    pass


def _send_one(mailer, batch, day):
    message = render(batch, day)
    with transaction.atomic():
        ReminderSent.objects.bulk_create(
            ReminderSent(user=batch.user, key=key, sent_on=day)
            for key in [*batch.keys, digest_key(day)]
        )
        if batch.notifications:
            taken = delivery.mark_digested(batch.notifications, timezone.now())
            if taken != len(batch.notifications):
                # Another run, or the e-mail at once, took some meanwhile: this run gives way.
                raise IntegrityError("notifications taken meanwhile")
        if mailer.send_messages([message]) != 1:
            raise NotSent(batch.user.email)


def _notify(batch, day):
    """A deliverable due or overdue, for a contact who wants it as a notification: made once
    (its reminder key recorded with it), e-mailed at once if so wanted (``delivery.deliver``)."""
    with transaction.atomic():
        ReminderSent.objects.bulk_create(
            ReminderSent(user=batch.user, key=reminder.key, sent_on=day)
            for reminder in batch.to_notify
        )
        with fragments.written_for(Notification, "recipient", [batch.user.pk]):
            notifications = Notification.objects.bulk_create(
                Notification(
                    recipient=batch.user,
                    kind=deliverable_event(reminder),
                    deliverable=reminder.record,
                )
                for reminder in batch.to_notify
            )
        delivery.deliver(notifications)


def send_reminders(*, day=None, dry_run=False):
    """Send the day's digests: reminders and notifications (or, with ``dry_run``, only say what
    would be sent)."""
    day = day or timezone.localdate()
    pending, deferred = plan(day)
    run = Run(day=day, dry_run=dry_run, deferred=deferred)
    if dry_run:
        run.batches = pending
        return run
    for batch in pending + deferred:
        if batch.to_notify:
            # IntegrityError: another run made them meanwhile.
            with contextlib.suppress(IntegrityError):
                _notify(batch, day)
    pending = [batch for batch in pending if batch.reminders or batch.notifications]
    run.deferred = [batch for batch in deferred if batch.reminders or batch.notifications]
    if not pending:
        return run
    with mailers.default as mailer:
        for batch in pending:
            # Checked now, not when they were made: someone who lost access to a record is not
            # told of it.
            batch.notifications = delivery.still_visible(batch.user, batch.notifications)
            if not (batch.reminders or batch.notifications):
                continue
            try:
                _send_one(mailer, batch, day)
            except IntegrityError:
                # Another run recorded some of these reminders meanwhile: it sends them.
                run.deferred.append(batch)
            except Exception as error:
                logger.exception("Reminders to user %s not sent; retried next run", batch.user.pk)
                run.failed.append((batch, error))
            else:
                run.batches.append(batch)
    return run


# The name of the daily command since issue 16 (``manage.py send_digest``).
send_digest = send_reminders
