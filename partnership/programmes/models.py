from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Count, F, Q
from django.db.models.functions import Now
from django.urls import reverse
from django.utils import timezone
from django.utils.text import get_text_list
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy
from simple_history.models import HistoricalRecords

from partnership.agreements.models import Agreement
from partnership.core.fields import VersionField
from partnership.core.history import historical_model
from partnership.core.lifecycle import Lifecycle, Transition
from partnership.core.models import RemembersParent
from partnership.directory.models import Organisation, Theme
from partnership.directory.people import (
    check_one_person,
    one_person_constraint,
    person_fields,
    person_name,
)
from partnership.rules import PartyStatus, ScopedQuerySet


class ProgrammeQuerySet(ScopedQuerySet):
    def with_action_counts(self):
        """Each programme with ``action_count``, ``ongoing_count`` (actions in progress) and
        ``completed_count``."""
        return self.annotate(
            action_count=Count("actions"),
            ongoing_count=Count("actions", filter=Q(actions__status=Action.Status.IN_PROGRESS)),
            completed_count=Count("actions", filter=Q(actions__status=Action.Status.COMPLETED)),
        )


def awaiting_approvals(programme) -> str | None:
    """A guard: a proposed programme is adopted once every party has approved it; until
    then, which parties it waits for, by name."""
    waiting = programme.parties_awaiting_approval()
    if not waiting:
        return None
    return ngettext(
        "Waiting for the approval of %(parties)s.",
        "Waiting for the approvals of %(parties)s.",
        len(waiting),
    ) % {"parties": get_text_list([str(party) for party in waiting], _("and"))}


class Programme(RemembersParent, models.Model):
    """The annual joint work programme (programme de travail commun) of an agreement."""

    class Status(models.TextChoices):
        PREPARATION = "preparation", _("in preparation")
        PROPOSED = "proposed", _("proposed")
        ADOPTED = "adopted", _("adopted")
        CLOSED = "closed", _("closed")

    lifecycle = Lifecycle(
        Transition("propose", (Status.PREPARATION,), Status.PROPOSED, _("propose")),
        Transition(
            "withdraw", (Status.PROPOSED,), Status.PREPARATION, _("send back to preparation")
        ),
        Transition(
            "adopt", (Status.PROPOSED,), Status.ADOPTED, _("adopt"), guard=awaiting_approvals
        ),
        Transition("close", (Status.ADOPTED,), Status.CLOSED, _("close")),
    )

    agreement = models.ForeignKey(
        Agreement,
        verbose_name=_("framework agreement"),
        on_delete=models.PROTECT,
        related_name="programmes",
    )
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    title = models.CharField(_("title"), max_length=300, blank=True)
    summary = models.TextField(_("summary"), blank=True)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=Status.choices,
        default=Status.PREPARATION,
        editable=False,
    )
    adopted_on = models.DateField(_("adopted on"), null=True, blank=True, editable=False)
    adopted_at = models.ForeignKey(
        "partnership.Meeting",
        verbose_name=_("adopted at the meeting"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="adopted_programmes",
    )
    review = models.TextField(
        _("annual review"), blank=True, help_text=_("The bilan written when the year is closed.")
    )
    closed_on = models.DateField(_("closed on"), null=True, blank=True, editable=False)

    version = VersionField()
    history = HistoricalRecords()

    objects = ProgrammeQuerySet.as_manager()

    class Meta:
        verbose_name = _("joint work programme")
        verbose_name_plural = _("joint work programmes")
        ordering = ["agreement", "-year"]
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "year"], name="partnership_programme_one_per_year"
            ),
            models.CheckConstraint(
                condition=Q(year__gte=2000, year__lte=2100), name="partnership_programme_year_range"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["preparation", "proposed"])
                | Q(adopted_on__isnull=False, adopted_at__isnull=False),
                name="partnership_programme_adopted_at_meeting",
            ),
            models.CheckConstraint(
                condition=~Q(status="closed") | ~Q(review=""),
                name="partnership_programme_closed_has_review",
            ),
        ]

    def __str__(self):
        return self.title or _("Joint programme %(year)s") % {"year": self.year}

    def get_absolute_url(self):
        return reverse("programme_detail", args=[self.pk])

    @classmethod
    def adopting_meetings(cls):
        """The meetings a programme may be adopted at: the held ones (``adopted_at``'s model,
        reached through the relation: meetings sit above programmes)."""
        return cls._meta.get_field("adopted_at").related_model.objects.held()

    def parties(self):
        """The organisations party to the agreement (accepted), by name: each of them approves
        the programme; an invited organisation has no say before it accepts."""
        return (
            Organisation.objects.filter(
                agreement_parties__agreement_id=self.agreement_id,
                agreement_parties__status=PartyStatus.ACCEPTED,
            )
            .order_by("name")
            .distinct()
        )

    def parties_awaiting_approval(self) -> list[Organisation]:
        """The parties that have not approved the programme yet, by name."""
        approved = ProgrammeApproval.objects.filter(programme=self).values("organisation_id")
        return list(self.parties().exclude(pk__in=approved))

    @property
    def is_current(self):
        return self.year == timezone.localdate().year


class ProgrammeApproval(models.Model):
    """A party's approval of a proposed programme: adoption needs every party's."""

    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.CASCADE, related_name="approvals"
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    # default and db_default: as Document.uploaded_at.
    approved_at = models.DateTimeField(_("approved at"), default=timezone.now, db_default=Now())

    version = VersionField()
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("approval of a programme")
        verbose_name_plural = _("approvals of the programme")
        ordering = ["programme", "approved_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "organisation"], name="partnership_programmeapproval_once"
            ),
        ]

    def __str__(self):
        return f"{self.organisation} – {self.approved_at:%d/%m/%Y}"


class ActionQuerySet(ScopedQuerySet):
    def ongoing(self):
        """Actions in progress."""
        return self.filter(status=Action.Status.IN_PROGRESS)

    def unfinished(self):
        """Actions neither completed nor cancelled."""
        return self.exclude(status__in=Action.FINISHED)


class Action(RemembersParent, models.Model):
    """A joint action (chantier) of a programme."""

    class Kind(models.TextChoices):
        INFORMATION = "information", _("information")
        COMMUNICATION = "communication", _("communication")
        PUBLICATION = "publication", _("joint publication")
        CONFERENCE = "conference", _("conference or colloquium")
        TRAINING = "training", _("training")
        EXPERTISE = "expertise", _("expertise")
        STUDY = "study", _("study or research project")
        TRANSFER = "transfer", _("transfer and valorisation of results")
        WORKING_GROUP = "working_group", _("working group")
        EXPERIMENTATION = "experimentation", _("experimentation")

    class Status(models.TextChoices):
        PLANNED = "planned", _("planned")
        IN_PROGRESS = "in_progress", _("in progress")
        COMPLETED = "completed", _("completed")
        POSTPONED = "postponed", _("postponed")
        CANCELLED = "cancelled", _("cancelled")

    FINISHED = (Status.COMPLETED, Status.CANCELLED)

    lifecycle = Lifecycle(
        Transition(
            "start",
            (Status.PLANNED, Status.POSTPONED),
            Status.IN_PROGRESS,
            pgettext_lazy("transition", "start"),
        ),
        Transition("complete", (Status.IN_PROGRESS,), Status.COMPLETED, _("complete")),
        Transition(
            "postpone", (Status.PLANNED, Status.IN_PROGRESS), Status.POSTPONED, _("postpone")
        ),
        Transition("replan", (Status.POSTPONED,), Status.PLANNED, _("plan again")),
        Transition(
            "cancel",
            (Status.PLANNED, Status.IN_PROGRESS, Status.POSTPONED),
            Status.CANCELLED,
            _("cancel"),
        ),
    )

    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.PROTECT, related_name="actions"
    )
    title = models.CharField(_("title"), max_length=300)
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    theme = models.ForeignKey(
        Theme,
        verbose_name=_("theme"),
        on_delete=models.PROTECT,
        related_name="actions",
        null=True,
        blank=True,
    )
    lead_organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("lead organisation"),
        on_delete=models.PROTECT,
        related_name="led_actions",
    )
    partners = models.ManyToManyField(
        Organisation,
        verbose_name=_("partner organisations"),
        related_name="partner_actions",
        blank=True,
    )
    convention = models.ForeignKey(
        "conventions.Convention",
        verbose_name=_("governing convention"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="actions",
    )
    description = models.TextField(_("description"), blank=True)
    objectives = models.TextField(_("objectives"), blank=True)
    planned_start = models.DateField(_("planned start"), null=True, blank=True)
    planned_end = models.DateField(_("planned end"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PLANNED, editable=False
    )
    progress = models.PositiveSmallIntegerField(
        _("progress (%)"), default=0, validators=[MaxValueValidator(100)]
    )
    continues = models.OneToOneField(
        "self",
        verbose_name=_("continues the action"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="continuation",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    version = VersionField()
    history = HistoricalRecords(m2m_fields=[partners])
    objects = ActionQuerySet.as_manager()

    class Meta:
        verbose_name = _("joint action")
        verbose_name_plural = _("joint actions")
        ordering = ["programme", "kind", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__gte=0, progress__lte=100),
                name="partnership_action_progress_range",
            ),
            models.CheckConstraint(
                condition=Q(planned_end__isnull=True)
                | Q(planned_start__isnull=True)
                | Q(planned_end__gte=F("planned_start")),
                name="partnership_action_dates_in_order",
            ),
            models.CheckConstraint(
                condition=~Q(status="completed") | Q(progress=100),
                name="partnership_action_completed_at_100",
            ),
        ]
        indexes = [models.Index(fields=["programme", "status"])]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("action_detail", args=[self.pk])

    def clean(self):
        errors = {}
        if self.planned_start and self.planned_end and self.planned_end < self.planned_start:
            errors["planned_end"] = _("The planned end cannot come before the planned start.")
        if self.progress is not None and self.progress > 100:
            errors["progress"] = _("Progress is a percentage between 0 and 100.")
        if self.continues_id and self.programme_id:
            previous = self.continues.programme
            if previous.agreement_id != self.programme.agreement_id:
                errors["continues"] = _(
                    "An action can only continue an action of the same framework agreement."
                )
            elif previous.year >= self.programme.year:
                errors["continues"] = _("An action can only continue an action of an earlier year.")
        if errors:
            raise ValidationError(errors)


class ActionContact(models.Model):
    """A person involved in an action for an organisation: its contact or a group member."""

    class Role(models.TextChoices):
        CONTACT = "contact", _("contact")
        MEMBER = "member", _("working group member")

    action = models.ForeignKey(
        Action, verbose_name=_("action"), on_delete=models.CASCADE, related_name="contacts"
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="+"
    )
    user, contact = person_fields("action_roles")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.CONTACT)

    version = VersionField()
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("action contact")
        verbose_name_plural = _("action contacts")
        ordering = ["action", "organisation__name"]
        constraints = [
            one_person_constraint("partnership_actioncontact_one_person"),
        ]

    def __str__(self):
        return f"{person_name(self)} ({self.organisation})"

    def clean(self):
        check_one_person(self)


class ActionResource(models.Model):
    """What one organisation puts into an action."""

    action = models.ForeignKey(
        Action, verbose_name=_("action"), on_delete=models.CASCADE, related_name="resources"
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="+"
    )
    person_days = models.DecimalField(
        _("person-days"),
        max_digits=7,
        decimal_places=1,
        default=0,
        validators=[MinValueValidator(0)],
    )
    budget = models.DecimalField(
        _("budget (€)"),
        max_digits=12,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0)],
    )

    version = VersionField()
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("resources of an organisation")
        verbose_name_plural = _("resources of the organisations")
        ordering = ["action", "organisation__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["action", "organisation"], name="partnership_actionresource_unique"
            ),
            models.CheckConstraint(
                condition=Q(person_days__gte=0, budget__gte=0),
                name="partnership_actionresource_not_negative",
            ),
        ]

    def __str__(self):
        return f"{self.organisation} – {self.person_days} j"


class DeliverableQuerySet(ScopedQuerySet):
    def outstanding(self):
        """Deliverables still awaited: not delivered, of an action that is not cancelled."""
        return self.filter(delivered_on__isnull=True).exclude(
            action__status=Action.Status.CANCELLED
        )

    def due_by(self, day):
        """Deliverables due on or before the day (overdue ones included)."""
        return self.filter(due_on__lte=day)


class Deliverable(RemembersParent, models.Model):
    class Kind(models.TextChoices):
        REPORT = "report", _("report")
        GUIDE = "guide", _("guide")
        ARTICLE = "article", _("article")
        EVENT = "event", _("event")
        TOOL = "tool", _("tool")
        TRAINING_MODULE = "training_module", _("training module")
        OTHER = "other", _("other")

    action = models.ForeignKey(
        Action, verbose_name=_("action"), on_delete=models.CASCADE, related_name="deliverables"
    )
    responsible_organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("responsible organisation"),
        help_text=_("Empty: the lead organisation answers for it."),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    title = models.CharField(_("title"), max_length=300)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.REPORT)
    due_on = models.DateField(_("due on"), null=True, blank=True)
    delivered_on = models.DateField(_("delivered on"), null=True, blank=True)
    link = models.URLField(_("link"), blank=True)

    version = VersionField()
    history = HistoricalRecords()

    objects = DeliverableQuerySet.as_manager()

    class Meta:
        verbose_name = _("deliverable")
        verbose_name_plural = _("deliverables")
        ordering = ["due_on", "title"]
        indexes = [models.Index(fields=["due_on", "delivered_on"])]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("action_detail", args=[self.action_id]) + "#deliverables"

    @property
    def is_overdue(self):
        return bool(self.due_on and not self.delivered_on and self.due_on < timezone.localdate())


def action_edit_models() -> tuple:
    """The models of the rows an action's edit page writes (``ActionUpdate``), each row the
    action's own: the action, its partners, contacts and resources, and their history. What
    the shared cache keeps of them follows their writes agreement by agreement."""
    own = (Action, ActionContact, ActionResource)
    history = tuple(historical_model(model) for model in own)
    # simple-history keeps the partners' history in a model of its own, pointing to the action's
    partners_history = history[0]._meta.get_field("historicalaction_partners").related_model
    return (*own, Action.partners.through, *history, partners_history)
