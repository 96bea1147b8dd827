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
from django.db.models import Q, Subquery
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from partnership.core.fields import VersionField
from partnership.rules import NOTIFICATION_PATHS, ScopedQuerySet

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


TARGET_MODELS = {
    "agreement": "partnership.Agreement",
    "programme": "partnership.Programme",
    "action": "partnership.Action",
    "deliverable": "partnership.Deliverable",
    "meeting": "partnership.Meeting",
    "follow_up_task": "partnership.FollowUpTask",
    "convention": "conventions.Convention",
    "experimentation": "experimentations.Experimentation",
    "access_request": "partnership.AccessRequest",
}


def _target(name, related_name="+"):
    return models.ForeignKey(
        TARGET_MODELS[name],
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name=related_name,
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

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        for notification in objs:
            notification.fill_within()
        created = super().bulk_create(objs, *args, **kwargs)
        for notification in objs:
            notification.forget_within()
        return created


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
    # The agreement the record hangs from, copied when the notification is made (None for an
    # access request): who may see the notification is then one condition on one column, the
    # bell's count on every page included, instead of a path through each kind of record
    # (which cost PostgreSQL 30 ms of planning per page). A record the back office moves to
    # another agreement takes its notifications along (partnership.discussion.moves).
    within = models.ForeignKey(
        "partnership.Agreement",
        verbose_name=_("within the agreement"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    # The comment a comment or a mention notification points to (its anchor on the page).
    comment = models.ForeignKey(
        "partnership.Comment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["recipient", "-created_at"], name="partnership_notification_inbox"
            ),
            # The bell counts a person's unread notifications on every page.
            models.Index(
                fields=["recipient"],
                condition=Q(read_at=None),
                name="partnership_notif_unread",
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

    def save(self, *args, **kwargs):
        self.fill_within()
        super().save(*args, **kwargs)
        self.forget_within()

    def fill_within(self):
        """``within``, when not given, as a subquery of the insert: no query added."""
        if self.within_id is not None or self.access_request_id is not None:
            return
        if self.agreement_id is not None:
            self.within_id = self.agreement_id
            return
        for name in TARGET_FIELDS:
            pk = getattr(self, f"{name}_id")
            if pk is not None:
                path = NOTIFICATION_PATHS[name].removeprefix(f"{name}__")
                records = target_model(name)._base_manager.filter(pk=pk)
                self.within_id = Subquery(records.values(path)[:1])
                return

    def forget_within(self):
        """After the insert, ``within`` is read from the database when asked for."""
        if isinstance(self.within_id, Subquery):
            del self.__dict__["within_id"]

    @property
    def target(self):
        for name in TARGET_FIELDS:
            if getattr(self, f"{name}_id"):
                return getattr(self, name)
        return None


# The records people comment on: a thread on each one's page.
COMMENT_TARGETS = ("action", "deliverable", "meeting", "convention", "experimentation")
# The records people follow: those that live under an agreement.
FOLLOW_TARGETS = tuple(name for name in TARGET_FIELDS if name != "access_request")


def target_of(record, fields):
    """The target field of ``fields`` that points to records of this kind."""
    for name in fields:
        if Notification._meta.get_field(name).related_model is type(record):
            return name
    raise ValueError(f"{record._meta.label} is not one of {fields}")


def target_model(name):
    return Notification._meta.get_field(name).related_model


def one_of_constraint(fields, name):
    condition = Q()
    for chosen in fields:
        condition |= Q(**{f"{field}__isnull": field != chosen for field in fields})
    return models.CheckConstraint(condition=condition, name=name)


def _comment_target(name):
    return _target(name, related_name="comments")


class Comment(models.Model):
    """What someone wrote on a record's page, in Markdown (drawn by partnership.core.markup).

    The author edits (``edited_at``) or deletes it (the history keeps it); a coordinator of a
    party hides it (``hidden_by``): the thread then says who hid it, not what it said.
    """

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="comments",
    )
    body = models.TextField(_("comment"), max_length=5000)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_default=Now())
    edited_at = models.DateTimeField(_("edited at"), null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("hidden by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    hidden_at = models.DateTimeField(_("hidden at"), null=True, blank=True)

    action = _comment_target("action")
    deliverable = _comment_target("deliverable")
    meeting = _comment_target("meeting")
    convention = _comment_target("convention")
    experimentation = _comment_target("experimentation")

    version = VersionField()
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at", "pk"]
        constraints = [one_of_constraint(COMMENT_TARGETS, "partnership_comment_one_target")]

    def __str__(self):
        return f"{self.author} – {self.created_at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self):
        return f"{self.target.get_absolute_url().split('#')[0]}#{self.anchor}"

    @property
    def target(self):
        for name in COMMENT_TARGETS:
            if getattr(self, f"{name}_id"):
                return getattr(self, name)
        return None

    @property
    def anchor(self):
        return f"comment-{self.pk}"


_follow_target = _target


class Follow(models.Model):
    """A person's choice about one record: follow it (``following``), or stop following one
    they would follow on their own (what they work on, a meeting they take part in...)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="follows",
    )
    following = models.BooleanField(_("following"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_default=Now())

    agreement = _follow_target("agreement")
    programme = _follow_target("programme")
    action = _follow_target("action")
    deliverable = _follow_target("deliverable")
    meeting = _follow_target("meeting")
    follow_up_task = _follow_target("follow_up_task")
    convention = _follow_target("convention")
    experimentation = _follow_target("experimentation")

    class Meta:
        verbose_name = _("follow")
        verbose_name_plural = _("follows")
        ordering = ["-created_at"]
        constraints = [
            one_of_constraint(FOLLOW_TARGETS, "partnership_follow_one_target"),
            *(
                models.UniqueConstraint(
                    fields=["user", name],
                    condition=Q(**{f"{name}__isnull": False}),
                    name=f"partnership_follow_once_{name}",
                )
                for name in FOLLOW_TARGETS
            ),
        ]

    def __str__(self):
        return f"{self.user} → {self.target}"

    @property
    def target(self):
        for name in FOLLOW_TARGETS:
            if getattr(self, f"{name}_id"):
                return getattr(self, name)
        return None
