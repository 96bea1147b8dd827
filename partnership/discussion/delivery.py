"""How each notification reaches its recipient: the person's preference per kind of event.

Interface used by ``partnership.discussion.events.notify``:

- ``wanted(kind, user_ids)``: of these people, those who want this kind of event at all
  (a preference "off" removes them), in one query;
- ``deliver(notifications)``: called with the notifications just created, inside the
  transaction that recorded the event. Those their recipient wants by e-mail at once get a
  task each (``send_notification``), enqueued when the transaction commits: a change rolled
  back sends nothing. Those wanted in the daily digest wait for it
  (``partnership.overview.reminders``, ``manage.py send_digest``); the others are only shown
  in the application.

Each e-mail is sent once, and none is lost:

- the task locks the notification's row, sends only if it was neither e-mailed nor put in a
  digest, and records ``emailed_at`` in the transaction that hands the message to the mail
  server: a refused message leaves nothing recorded, a second run of the task finds it sent.
  (The one duplicate possible is a message the server accepted just before the database failed
  to commit, which we prefer to losing it, as for the reminders.)
- the tasks wait in the database (django-tasks-db) until a worker runs them: a stopped worker
  finds them at its next start. A refusal by the mail server enqueues the next attempt after
  the next delay of ``NOTIFICATION_RETRY_DELAYS``, and fails the task so that administrators
  see it (back office, "Task results"). After the last attempt, or if the task never ran (the
  process died between the commit and the enqueue), the daily digest takes the notification
  (``digest_candidates``): it is e-mailed once, the next morning.
- the recipient's access is checked when the task runs, not when the event happened: someone
  who lost access to the record by then is not e-mailed (``Notification.objects.visible_to``).
"""

import datetime
import logging
import re

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.db import transaction
from django.db.models import Q
from django.tasks import task
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext

from partnership.core import fragments
from partnership.discussion import wording
from partnership.discussion.models import TARGET_FIELDS, Notification
from partnership.discussion.preferences import Channel, DeliveryPreference
from partnership.rules import profile_of, remember_profile

logger = logging.getLogger(__name__)

# A notification wanted at once and still not e-mailed this long after it was made is taken by
# the next daily digest: its task failed every attempt, or was never enqueued.
DIGEST_AFTER = datetime.timedelta(hours=1)
# How far back a digest looks: what was not digested within a week stays in the application.
DIGEST_WINDOW = datetime.timedelta(days=7)


def wanted(kind, user_ids):
    """``{user_id: channel}``: of these people, those who want this kind of event at all, with
    how (one query); ``deliver`` takes it back to save asking again."""
    channels = DeliveryPreference.objects.channels(kind, user_ids)
    return {user_id: channel for user_id, channel in channels.items() if channel != Channel.OFF}


def deliver(notifications, channels=None):
    """Enqueue, on commit, the e-mail of each notification wanted at once. ``channels``: what
    ``wanted`` answered for these notifications' kind, when they are all of one kind."""
    by_kind = {}
    for notification in notifications:
        by_kind.setdefault(notification.kind, []).append(notification)
    at_once = []
    for kind, group in by_kind.items():
        if channels is None or len(by_kind) > 1:
            channels = DeliveryPreference.objects.channels(
                kind, {notification.recipient_id for notification in group}
            )
        at_once += [n.pk for n in group if channels[n.recipient_id] == Channel.EMAIL]
    for pk in at_once:
        transaction.on_commit(lambda pk=pk: send_notification.enqueue(pk))


def language_of(user):
    profile = profile_of(user)
    return getattr(profile, "language", None) or settings.LANGUAGE_CODE


def describe(notification):
    """One line saying what happened, in the active language, as the notification centre says
    it (the text is never stored)."""
    return wording.describe(notification).text


def link(notification):
    """The full address of what the notification is about (the comment itself, for a comment
    or a mention), for the e-mail."""
    if not settings.SITE_URL:
        return ""
    return settings.SITE_URL.rstrip("/") + wording.describe(notification).url


def render(notification):
    """The e-mail of one notification, in its recipient's language."""
    recipient = notification.recipient
    with translation.override(language_of(recipient)), timezone.override(settings.TIME_ZONE):
        context = {
            "person": recipient,
            "notification": notification,
            "summary": describe(notification),
            "link": link(notification),
        }
        subject = gettext("Partnership tracker: %(summary)s") % {"summary": context["summary"]}
        text = render_to_string("emails/notification.txt", context)
        html = render_to_string("emails/notification.html", context)
    message = EmailMultiAlternatives(
        # One line (a record's title may hold line breaks); the no-break spaces stay.
        re.sub(r"[\r\n\t ]+", " ", subject).strip()[:200],
        text,
        settings.DEFAULT_FROM_EMAIL,
        [recipient.email],
        headers={"Auto-Submitted": "auto-generated"},
    )
    message.attach_alternative(html, "text/html")
    return message


class NotSent(Exception):
    pass


def _send(notification_id):
    """Send the notification's e-mail once; say what happened."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("recipient")
            .filter(pk=notification_id)
            .first()
        )
        if notification is None:
            return "gone"
        if notification.emailed_at or notification.digested_at:
            return "already sent"
        recipient = notification.recipient
        if not recipient.is_active or not recipient.email:
            return "no address"
        if not Notification.objects.visible_to(recipient).filter(pk=notification.pk).exists():
            return "not visible"
        message = render(notification)
        notification.emailed_at = timezone.now()
        with fragments.written_for(Notification, "recipient", [recipient.pk]):
            notification.save(update_fields=["emailed_at"])
        with mailers.default as mailer:
            if mailer.send_messages([message]) != 1:
                raise NotSent(recipient.email)
    return "sent"


@task
def send_notification(notification_id, attempt=0):
    """E-mail one notification at once (``deliver``); tried again later if the server refuses."""
    try:
        return _send(notification_id)
    except Exception:
        delays = settings.NOTIFICATION_RETRY_DELAYS
        if attempt < len(delays) and send_notification.get_backend().supports_defer:
            run_after = timezone.now() + datetime.timedelta(seconds=delays[attempt])
            send_notification.using(run_after=run_after).enqueue(notification_id, attempt + 1)
            logger.warning(
                "Notification %s not e-mailed (attempt %s); tried again at %s",
                notification_id,
                attempt + 1,
                run_after.isoformat(),
            )
        else:
            logger.error("Notification %s not e-mailed; it goes in the digest", notification_id)
        raise  # the failed task stays in the back office's list


def digest_candidates(day_end):
    """``{recipient: [notifications]}``: what the digests sent before ``day_end`` may hold.

    The notifications neither e-mailed nor digested yet, made in the week before ``day_end``,
    of a kind their recipient wants in the digest, or wants at once but that is still not
    e-mailed after ``DIGEST_AFTER``. Visibility is checked per person when the digest is sent
    (``still_visible``). Two queries.
    """
    rows = (
        Notification.objects.filter(
            emailed_at=None,
            digested_at=None,
            created_at__lt=day_end,
            created_at__gte=day_end - DIGEST_WINDOW,
            recipient__is_active=True,
        )
        .exclude(recipient__email="")
        .select_related("actor", "recipient__profile__organisation", *TARGET_FIELDS)
        .order_by("created_at", "pk")
    )
    rows = list(rows)
    preferences = DeliveryPreference.objects.matrix({row.recipient_id for row in rows})
    # Wanted at once and still not e-mailed an hour ago (not an hour before the day's end: a
    # notification made just before the digest runs is still in its task's hands).
    late = min(day_end, timezone.now()) - DIGEST_AFTER
    result = {}
    for notification in rows:
        channel = preferences[notification.recipient_id][notification.kind]
        if channel == Channel.DIGEST or (
            channel == Channel.EMAIL and notification.created_at < late
        ):
            recipient = notification.recipient
            remember_profile(recipient, getattr(recipient, "profile", None))
            result.setdefault(recipient, []).append(notification)
    return result


def still_visible(user, notifications):
    """Of these notifications of the person, those about records they may still see."""
    if not notifications:
        return []
    visible = set(
        Notification.objects.visible_to(user)
        .filter(pk__in=[notification.pk for notification in notifications])
        .values_list("pk", flat=True)
    )
    return [notification for notification in notifications if notification.pk in visible]


def mark_digested(notifications, moment):
    """Record the notifications as sent in a digest, in the digest's transaction; those another
    run took meanwhile are not counted (the caller compares)."""
    recipients = {notification.recipient_id for notification in notifications}
    with fragments.written_for(Notification, "recipient", recipients):
        return Notification.objects.filter(
            Q(pk__in=[notification.pk for notification in notifications]),
            recipient__in=recipients,
            emailed_at=None,
            digested_at=None,
        ).update(digested_at=moment)
