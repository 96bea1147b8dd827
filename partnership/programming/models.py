from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from partnership.agreements.models import Agreement
from partnership.core.fields import VersionField
from partnership.directory.models import Organisation, Priority, Sector, Theme
from partnership.programmes.models import Action
from partnership.rules import ScopedQuerySet


class PlannedProject(models.Model):
    """A project one party plans on its own for a coming year (its programmation)."""

    class Kind(models.TextChoices):
        STUDY = "study", _("study")
        PUBLICATION = "publication", _("publication")
        TRAINING = "training", _("training")
        INTERVENTION = "intervention", _("intervention in companies")
        TOOL = "tool", _("tool")
        OTHER = "other", _("other")

    class Certainty(models.TextChoices):
        IDEA = "idea", _("idea")
        PLANNED = "planned", _("planned")
        CONFIRMED = "confirmed", _("confirmed")
        DROPPED = "dropped", _("dropped")

    agreement = models.ForeignKey(
        Agreement,
        verbose_name=_("framework agreement"),
        on_delete=models.PROTECT,
        related_name="planned_projects",
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="planned_projects",
    )
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    title = models.CharField(_("title"), max_length=300)
    summary = models.TextField(_("summary"), blank=True)
    theme = models.ForeignKey(
        Theme,
        verbose_name=_("theme"),
        on_delete=models.PROTECT,
        related_name="planned_projects",
        null=True,
        blank=True,
    )
    # Where they apply: a project may address no one sector, or no COP priority.
    sector = models.CharField(_("sector"), max_length=30, choices=Sector.choices, blank=True)
    priority = models.CharField(
        _("COP priority"), max_length=30, choices=Priority.choices, blank=True
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    planned_start = models.DateField(_("planned start"), null=True, blank=True)
    planned_end = models.DateField(_("planned end"), null=True, blank=True)
    contact = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("contact in charge"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="planned_projects",
    )
    certainty = models.CharField(
        _("certainty"), max_length=20, choices=Certainty.choices, default=Certainty.IDEA
    )
    joint_action = models.ForeignKey(
        Action,
        verbose_name=_("becomes the joint action"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="planned_projects",
    )
    coordinated = models.BooleanField(
        _("coordinated without a joint action"), default=False, editable=False
    )
    coordination_note = models.TextField(_("coordination note"), blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    version = VersionField()
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("planned project")
        verbose_name_plural = _("planned projects")
        ordering = ["agreement", "year", "organisation__name", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(year__gte=2000, year__lte=2100),
                name="partnership_plannedproject_year_range",
            ),
            models.CheckConstraint(
                condition=Q(planned_end__isnull=True)
                | Q(planned_start__isnull=True)
                | Q(planned_end__gte=F("planned_start")),
                name="partnership_plannedproject_dates_in_order",
            ),
        ]
        indexes = [models.Index(fields=["agreement", "year", "organisation"])]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("plannedproject_detail", args=[self.pk])

    def clean(self):
        if self.planned_start and self.planned_end and self.planned_end < self.planned_start:
            raise ValidationError(
                {"planned_end": _("The planned end cannot come before the planned start.")}
            )


class ProgrammingOpening(models.Model):
    """A coordinator opened the parties' programming of a year before September."""

    agreement = models.ForeignKey(
        Agreement,
        verbose_name=_("framework agreement"),
        on_delete=models.CASCADE,
        related_name="programming_openings",
    )
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("opened by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)

    version = VersionField()
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("opening of the programming")
        verbose_name_plural = _("openings of the programming")
        ordering = ["agreement", "year"]
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "year"], name="partnership_programmingopening_once"
            ),
        ]

    def __str__(self):
        return f"{self.agreement} – {self.year}"
