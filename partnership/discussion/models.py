"""Working together in the tool: the notifications each person receives (issue 16).

A notification tells one person (``recipient``) that something happened (``kind``, an
``Event``) on one record of the partnership, caused by someone else (``actor``). The record is
one of the ``TARGET_FIELDS`` (a nullable foreign key each, exactly one set), so that who may see
it is decided as for documents, in one query, when the notification is *shown*: a person who
lost access to the record no longer sees the notification nor its text
(``partnership.rules.visible``). The text is never stored: it is worded when shown, in the
reader's language, from the kind and the record.

Comments and follows are in this package too; how a notification reaches its recipient (in the
application, e-mail at once, the daily digest, or not at all) is the person's preference,
decided by ``partnership.discussion.delivery``.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partnership.rules import ScopedQuerySet

# The records a notification (or a follow) can be about, and the path from each to its
# agreement (partnership.rules.NOTIFICATION_PATHS names the same).
TARGET_FIELDS = (
    "agreement",
    "programme",
    "action",
    "deliverable",
    "meeting",
    "follow_up_task",
    "convention",
    "experimentation",
    "access_request",
)


class Event(models.TextChoices):
    """What happened, as the notification's ``kind`` and the preference's key."""

    COMMENT = "comment", _("a comment")
    MENTION = "mention", _("a mention of you")
    STATUS_CHANGED = "status_changed", _("a status change")
    REVIEW_RECORDED = "review_recorded", _("a review recorded at a meeting")
    DELIVERABLE_DUE = "deliverable_due", _("a deliverable due soon")
    DELIVERABLE_OVERDUE = "deliverable_overdue", _("an overdue deliverable")
    TASK_ASSIGNED = "task_assigned", _("a follow-up task assigned to you")
    TASK_DONE = "task_done", _("a follow-up task done")
    MINUTES_APPROVED = "minutes_approved", _("minutes approved")
    PROGRAMME_PROPOSED = "programme_proposed", _("a programme proposed")
    PROGRAMME_APPROVED = "programme_approved", _("a programme approved by a party")
    PROGRAMME_ADOPTED = "programme_adopted", _("a programme adopted")
    PARTY_INVITATION = "party_invitation", _("an invitation to become a party")
    DOCUMENT_ADDED = "document_added", _("a document added")
    ACCESS_REQUEST = "access_request", _("a request to join your organisation")


def _target(name):
    return models.ForeignKey(
        {
            "agreement": "partnership.Agreement",
            "programme": "partnership.Programme",
            "action": "partnership.Action",
            "deliverable": "partnership.Deliverable",
            "meeting": "partnership.Meeting",
            "follow_up_task": "partnership.FollowUpTask",
            "convention": "conventions.Convention",
            "experimentation": "experimentations.Experimentation",
            "access_request": "partnership.AccessRequest",
        }[name],
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )


def one_target_constraint(name):
    """Exactly one of the target fields is set."""
    condition = Q()
    for chosen in TARGET_FIELDS:
        condition |= Q(**{f"{field}__isnull": field != chosen for field in TARGET_FIELDS})
    return models.CheckConstraint(condition=condition, name=name)


class NotificationQuerySet(ScopedQuerySet):
    def unread(self):
        return self.filter(read_at=None)


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("kind"), max_length=30, choices=Event.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_default=Now())
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # Its delivery (partnership.discussion.delivery): set in the transaction that hands the
    # e-mail to the mail server, so that each notification is e-mailed once, at once or in a
    # daily digest, never both.
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)
    digested_at = models.DateTimeField(_("sent in a digest at"), null=True, blank=True)

    agreement = _target("agreement")
    programme = _target("programme")
    action = _target("action")
    deliverable = _target("deliverable")
    meeting = _target("meeting")
    follow_up_task = _target("follow_up_task")
    convention = _target("convention")
    experimentation = _target("experimentation")
    access_request = _target("access_request")

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["recipient", "-created_at"], name="partnership_notification_inbox"
            ),
            # The daily digest looks for what was neither e-mailed nor digested yet.
            models.Index(
                fields=["created_at"],
                condition=Q(emailed_at=None, digested_at=None),
                name="partnership_notif_undelivered",
            ),
        ]
        constraints = [one_target_constraint("partnership_notification_one_target")]

    def __str__(self):
        return f"{self.get_kind_display()} → {self.recipient}"

    @property
    def target(self):
        for name in TARGET_FIELDS:
            if getattr(self, f"{name}_id"):
                return getattr(self, name)
        return None
