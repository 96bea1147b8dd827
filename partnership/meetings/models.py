from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from partnership.agreements.models import Agreement
from partnership.core.dates import long_moment
from partnership.core.fields import VersionField
from partnership.core.lifecycle import Lifecycle, Transition
from partnership.core.models import RemembersParent
from partnership.directory.models import Contact
from partnership.directory.people import (
    check_one_person,
    one_person_constraint,
    person_fields,
    person_name,
)
from partnership.programmes.models import Action, Programme
from partnership.rules import ScopedQuerySet


class MeetingQuerySet(ScopedQuerySet):
    def held(self):
        """Meetings that took place: held, or with their minutes approved."""
        return self.filter(status__in=[Meeting.Status.HELD, Meeting.Status.MINUTES_APPROVED])

    def not_cancelled(self):
        """Meetings planned or held (cancelled ones left out)."""
        return self.exclude(status=Meeting.Status.CANCELLED)


class Meeting(RemembersParent, models.Model):
    """A review meeting (rendez-vous de suivi) or a steering committee of an agreement."""

    class Kind(models.TextChoices):
        STEERING_COMMITTEE = "steering_committee", _("steering committee")
        PROGRAMMING = "programming", _("programming meeting")
        REVIEW = "review", _("review meeting")
        WORKING_GROUP = "working_group", _("working group meeting")

    class Status(models.TextChoices):
        PLANNED = "planned", _("planned")
        HELD = "held", _("held")
        MINUTES_APPROVED = "minutes_approved", _("minutes approved")
        CANCELLED = "cancelled", _("cancelled")

    lifecycle = Lifecycle(
        Transition(
            "hold",
            (Status.PLANNED,),
            Status.HELD,
            _("record as held"),
            guard=lambda meeting: (
                None
                if meeting.starts_at <= timezone.now()
                else _("Possible from the start of the meeting, %(moment)s.")
                % {"moment": long_moment(meeting.starts_at)}
            ),
        ),
        Transition("cancel", (Status.PLANNED,), Status.CANCELLED, _("cancel")),
        Transition(
            "approve_minutes", (Status.HELD,), Status.MINUTES_APPROVED, _("approve the minutes")
        ),
        Transition("reopen", (Status.MINUTES_APPROVED,), Status.HELD, _("reopen the minutes")),
    )

    agreement = models.ForeignKey(
        Agreement,
        verbose_name=_("framework agreement"),
        on_delete=models.PROTECT,
        related_name="meetings",
    )
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices, default=Kind.REVIEW)
    title = models.CharField(_("title"), max_length=300)
    working_group = models.ForeignKey(
        Action,
        verbose_name=_("working group"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        limit_choices_to={"kind": Action.Kind.WORKING_GROUP},
        related_name="meetings",
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    place = models.CharField(_("place"), max_length=300, blank=True)
    video_link = models.URLField(_("video link"), blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PLANNED, editable=False
    )
    minutes = models.TextField(_("minutes"), blank=True)
    minutes_approved_on = models.DateField(
        _("minutes approved on"), null=True, blank=True, editable=False
    )
    minutes_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("minutes approved by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )

    version = VersionField()
    history = HistoricalRecords()

    objects = MeetingQuerySet.as_manager()

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="partnership_meeting_ends_after_start"
            ),
            models.CheckConstraint(
                condition=~Q(status="minutes_approved") | ~Q(minutes=""),
                name="partnership_meeting_approved_has_minutes",
            ),
            models.CheckConstraint(
                condition=Q(kind="working_group") | Q(working_group__isnull=True),
                name="partnership_meeting_working_group_kind",
            ),
        ]
        indexes = [models.Index(fields=["agreement", "starts_at"])]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("meeting_detail", args=[self.pk])

    def clean(self):
        errors = {}
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            errors["ends_at"] = _("The meeting must end after it starts.")
        if self.working_group_id and self.kind != self.Kind.WORKING_GROUP:
            errors["working_group"] = _("Only a working group meeting belongs to a working group.")
        if (
            self.working_group_id
            and self.agreement_id
            and self.working_group.programme.agreement_id != self.agreement_id
        ):
            errors["working_group"] = _("The working group belongs to another agreement.")
        if errors:
            raise ValidationError(errors)

    @property
    def is_read_only(self):
        return self.status in (self.Status.MINUTES_APPROVED, self.Status.CANCELLED)


class Participant(models.Model):
    class Role(models.TextChoices):
        CHAIR = "chair", _("chair")
        SECRETARY = "secretary", _("secretary")
        PARTICIPANT = "participant", _("participant")

    class Attendance(models.TextChoices):
        INVITED = "invited", _("invited")
        PRESENT = "present", _("present")
        EXCUSED = "excused", _("excused")
        ABSENT = "absent", _("absent")

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="participants"
    )
    user, contact = person_fields("meeting_participations")
    role = models.CharField(
        _("role"), max_length=20, choices=Role.choices, default=Role.PARTICIPANT
    )
    attendance = models.CharField(
        _("attendance"), max_length=20, choices=Attendance.choices, default=Attendance.INVITED
    )

    version = VersionField()
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        ordering = ["meeting", "role", "pk"]
        constraints = [
            one_person_constraint("partnership_participant_one_person"),
            models.UniqueConstraint(
                fields=["meeting", "user"], name="partnership_participant_unique_user"
            ),
            models.UniqueConstraint(
                fields=["meeting", "contact"], name="partnership_participant_unique_contact"
            ),
        ]

    def __str__(self):
        return self.person_name

    @property
    def person_name(self):
        return person_name(self)

    def clean(self):
        check_one_person(self)


class AgendaItem(models.Model):
    meeting = models.ForeignKey(
        Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="agenda_items"
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    title = models.CharField(_("title"), max_length=300)
    notes = models.TextField(_("notes"), blank=True)
    action = models.ForeignKey(
        Action,
        verbose_name=_("action"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="agenda_items",
    )
    convention = models.ForeignKey(
        "conventions.Convention",
        verbose_name=_("convention"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="agenda_items",
    )
    programme = models.ForeignKey(
        Programme,
        verbose_name=_("programme"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="agenda_items",
    )
    follow_up = models.ForeignKey(
        "partnership.FollowUpTask",
        verbose_name=_("follow-up task brought back"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="agenda_items",
    )

    version = VersionField()
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        ordering = ["meeting", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(action__isnull=True, convention__isnull=True)
                    | Q(action__isnull=True, programme__isnull=True)
                    | Q(convention__isnull=True, programme__isnull=True)
                ),
                name="partnership_agendaitem_one_subject",
            ),
        ]

    def __str__(self):
        return self.title

    def clean(self):
        targets = [self.action_id, self.convention_id, self.programme_id]
        if sum(1 for t in targets if t) > 1:
            raise ValidationError(
                _("An agenda item points to one action, one convention or one programme at most.")
            )


class Decision(models.Model):
    meeting = models.ForeignKey(
        Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="decisions"
    )
    agenda_item = models.ForeignKey(
        AgendaItem,
        verbose_name=_("agenda item"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="decisions",
    )
    text = models.TextField(_("decision"))

    version = VersionField()
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        ordering = ["meeting", "pk"]

    def __str__(self):
        return self.text[:80]


class FollowUpTaskQuerySet(ScopedQuerySet):
    def open(self):
        """Tasks not done yet."""
        return self.filter(done=False)


class FollowUpTask(RemembersParent, models.Model):
    meeting = models.ForeignKey(
        Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="follow_ups"
    )
    title = models.CharField(_("task"), max_length=300)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="follow_up_tasks",
    )
    owner_contact = models.ForeignKey(
        Contact,
        verbose_name=_("owner (contact)"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="follow_up_tasks",
    )
    due_on = models.DateField(_("due on"), null=True, blank=True)
    done = models.BooleanField(_("done"), default=False)
    done_on = models.DateField(_("done on"), null=True, blank=True)

    version = VersionField()
    history = HistoricalRecords()
    objects = FollowUpTaskQuerySet.as_manager()

    class Meta:
        verbose_name = _("follow-up task")
        verbose_name_plural = _("follow-up tasks")
        ordering = ["done", "due_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(done=True) | Q(done_on__isnull=True),
                name="partnership_followuptask_done_on_only_when_done",
            ),
            models.CheckConstraint(
                condition=Q(owner__isnull=True) | Q(owner_contact__isnull=True),
                name="partnership_followuptask_one_owner",
            ),
        ]
        indexes = [models.Index(fields=["owner", "done"])]

    def __str__(self):
        return self.title

    def clean(self):
        errors = {}
        if self.owner_id and self.owner_contact_id:
            errors["owner_contact"] = _("A task has one owner: a staff member or a contact.")
        if self.done_on and not self.done:
            errors["done_on"] = _("Only a task that is done has a completion date.")
        if errors:
            raise ValidationError(errors)


class ActionReview(models.Model):
    """An action's status, progress and comment recorded at a meeting: its timeline."""

    action = models.ForeignKey(
        Action, verbose_name=_("action"), on_delete=models.CASCADE, related_name="reviews"
    )
    meeting = models.ForeignKey(
        Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="action_reviews"
    )
    status = models.CharField(_("status"), max_length=20, choices=Action.Status.choices)
    progress = models.PositiveSmallIntegerField(
        _("progress (%)"), validators=[MaxValueValidator(100)]
    )
    comment = models.TextField(_("comment"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    version = VersionField()
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("action review")
        verbose_name_plural = _("action reviews")
        ordering = ["action", "-meeting__starts_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["action", "meeting"], name="partnership_actionreview_once_per_meeting"
            ),
            models.CheckConstraint(
                condition=Q(progress__gte=0, progress__lte=100),
                name="partnership_actionreview_progress_range",
            ),
        ]

    def __str__(self):
        return f"{self.action} – {self.meeting}"
