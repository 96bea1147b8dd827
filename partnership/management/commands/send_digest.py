"""``manage.py send_digest``: the daily digest (reminders and notifications), run by cron.

``send_reminders``, its name before issue 16, still runs it."""

import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import formats, timezone, translation
from django.utils.translation import gettext, ngettext

from partnership.overview import reminders


def _day(value):
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--date expects a date as YYYY-MM-DD, got {value!r}.") from None


class Command(BaseCommand):
    help = (
        "E-mail each person their daily digest, in one message: the notifications they want "
        "in the digest, and their reminders of the day: meetings in the next "
        "7 days, follow-up tasks due within 7 days or overdue, deliverables due within 14 days "
        "or overdue, and for coordinators the agreements and conventions whose end or notice "
        "date is within 90 and within 30 days. A reminder is never sent twice, and a person "
        "gets one e-mail a day at most."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Print what would be sent, to whom; send and record nothing.",
        )
        parser.add_argument(
            "--date",
            type=_day,
            help="Run as of this day (YYYY-MM-DD) instead of today, e.g. to catch up a missed day.",
        )

    def handle(self, *args, dry_run=False, date=None, verbosity=1, **options):
        # Management commands run untranslated; the people reading this speak French.
        with translation.override(settings.LANGUAGE_CODE), timezone.override(settings.TIME_ZONE):
            run = reminders.send_digest(day=date, dry_run=dry_run)
            if verbosity >= 1 or dry_run:
                self.report(run, details=dry_run or verbosity >= 2)
        if run.failed:
            raise CommandError(
                ngettext(
                    "%(count)s e-mail not sent: it will be tried again at the next run.",
                    "%(count)s e-mails not sent: they will be tried again at the next run.",
                    len(run.failed),
                )
                % {"count": len(run.failed)}
            )

    def report(self, run, *, details):
        day = formats.date_format(run.day, "DATE_FORMAT")
        if run.dry_run:
            self.stdout.write(
                gettext("Reminders of %(day)s (dry run: nothing is sent or recorded)")
                % {"day": day}
            )
        for batch in run.batches:
            self.stdout.write(
                ngettext(
                    "%(email)s (%(name)s): %(count)s reminder",
                    "%(email)s (%(name)s): %(count)s reminders",
                    len(batch.reminders),
                )
                % {
                    "email": batch.user.email,
                    "name": batch.user.get_full_name() or batch.user.get_username(),
                    "count": len(batch.reminders),
                }
            )
            if details:
                for reminder in batch.reminders:
                    self.stdout.write(f"  - {reminders.describe(reminder)}  [{reminder.key}]")
        for batch in run.deferred:
            self.stdout.write(
                gettext("%(email)s: already sent an e-mail that day; the rest waits a day")
                % {"email": batch.user.email}
            )
        for batch, error in run.failed:
            self.stderr.write(
                gettext("%(email)s: not sent (%(error)s)")
                % {"email": batch.user.email, "error": error}
            )
        people = len(run.batches)
        summary = (
            ngettext(
                "%(people)s person would get %(reminders)s.",
                "%(people)s people would get %(reminders)s.",
                people,
            )
            if run.dry_run
            else ngettext(
                "%(people)s e-mail sent, %(reminders)s.",
                "%(people)s e-mails sent, %(reminders)s.",
                people,
            )
        )
        count = ngettext("%(count)s reminder", "%(count)s reminders", run.reminder_count) % {
            "count": run.reminder_count
        }
        self.stdout.write(summary % {"people": people, "reminders": count})
