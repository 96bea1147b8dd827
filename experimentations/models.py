from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Now
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from partnership.agreements.models import Agreement
from partnership.core.fields import VersionField
from partnership.core.lifecycle import Lifecycle, Transition
from partnership.core.models import RemembersParent
from partnership.directory.models import Organisation, Priority, Sector
from partnership.directory.regions import Region
from partnership.documents.models import Document
from partnership.rules import ScopedQuerySet


class ExperimentationQuerySet(ScopedQuerySet):
    def awaiting_decision(self):
        """In trial, evaluation or extension, with the criteria of the gate closing the phase
        written, and so waiting for that decision (taking it moves the phase)."""
        condition = Q()
        for phase, gate in GATE_CLOSING.items():
            condition |= Q(status=phase, criteria__gate=gate)
        return (
            self.filter(status__in=list(GATE_CLOSING))
            .annotate(gate_criteria_count=models.Count("criteria", filter=condition))
            .filter(gate_criteria_count__gt=0)
        )


class Experimentation(RemembersParent, models.Model):
    class Phase(models.TextChoices):
        DESIGN = "design", _("design")
        TRIAL = "trial", _("trial")
        EVALUATION = "evaluation", _("evaluation")
        EXTENSION = "extension", _("extension")
        DEPLOYMENT = "deployment", _("deployment")
        STOPPED = "stopped", _("stopped")

    ORDER = (Phase.DESIGN, Phase.TRIAL, Phase.EVALUATION, Phase.EXTENSION, Phase.DEPLOYMENT)

    lifecycle = Lifecycle(
        Transition("start_trial", (Phase.DESIGN,), Phase.TRIAL, _("start the trial")),
        Transition("evaluate", (Phase.TRIAL,), Phase.EVALUATION, _("move to evaluation")),
        Transition("extend", (Phase.EVALUATION,), Phase.EXTENSION, _("extend")),
        Transition("deploy", (Phase.EXTENSION,), Phase.DEPLOYMENT, _("deploy at scale")),
        Transition(
            "stop",
            (Phase.DESIGN, Phase.TRIAL, Phase.EVALUATION, Phase.EXTENSION),
            Phase.STOPPED,
            _("stop"),
        ),
    )

    title = models.CharField(_("title"), max_length=300)
    summary = models.TextField(_("summary"), blank=True)
    priority = models.CharField(_("priority"), max_length=30, choices=Priority.choices)
    sector = models.CharField(_("sector"), max_length=30, choices=Sector.choices)
    status = models.CharField(
        _("phase"), max_length=20, choices=Phase.choices, default=Phase.DESIGN, editable=False
    )
    agreement = models.ForeignKey(
        Agreement,
        verbose_name=_("framework agreement"),
        on_delete=models.PROTECT,
        related_name="experimentations",
    )
    convention = models.ForeignKey(
        "conventions.Convention",
        verbose_name=_("convention"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="experimentations",
    )
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    stop_reason = models.TextField(_("reason for stopping"), blank=True, editable=False)

    version = VersionField()
    history = HistoricalRecords()

    objects = ExperimentationQuerySet.as_manager()

    class Meta:
        verbose_name = _("experimentation")
        verbose_name_plural = _("experimentations")
        ordering = ["-starts_on", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True)
                | Q(starts_on__isnull=True)
                | Q(ends_on__gt=F("starts_on")),
                name="experimentations_experimentation_ends_after_start",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("experimentations:experimentation_detail", args=[self.pk])

    @property
    def phase(self):
        return self.status

    def get_phase_display(self):
        return self.get_status_display()

    @property
    def current_gate(self):
        """The gate that closes the current phase (none in design, deployment or stopped)."""
        return GATE_CLOSING.get(self.status)

    def get_current_gate_display(self):
        gate = self.current_gate
        return gate.label if gate else ""

    def clean(self):
        errors = {}
        if self.starts_on and self.ends_on and self.ends_on <= self.starts_on:
            errors["ends_on"] = _("The experimentation must end after it starts.")
        if (
            self.convention_id
            and self.agreement_id
            and self.convention.agreement_id != self.agreement_id
        ):
            errors["convention"] = _("The convention is annexed to another framework agreement.")
        if errors:
            raise ValidationError(errors)


class ExperimentationPartner(models.Model):
    class Level(models.TextChoices):
        NATIONAL = "national", _("national")
        REGIONAL = "regional", _("regional")

    experimentation = models.ForeignKey(
        Experimentation,
        verbose_name=_("experimentation"),
        on_delete=models.CASCADE,
        related_name="partners",
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="experimentation_partnerships",
    )
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    is_lead = models.BooleanField(_("lead partner"), default=False)

    version = VersionField()
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("experimentation partner")
        verbose_name_plural = _("experimentation partners")
        ordering = ["experimentation", "-is_lead", "organisation__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["experimentation", "organisation"],
                name="experimentations_partner_unique",
            ),
            models.UniqueConstraint(
                fields=["experimentation"],
                condition=Q(is_lead=True),
                name="experimentations_partner_one_lead",
            ),
        ]

    def __str__(self):
        return str(self.organisation)


class Territory(models.Model):
    experimentation = models.ForeignKey(
        Experimentation,
        verbose_name=_("experimentation"),
        on_delete=models.CASCADE,
        related_name="territories",
    )
    region = models.CharField(_("region"), max_length=3, choices=Region.choices)

    version = VersionField()
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("territory")
        verbose_name_plural = _("territories")
        ordering = ["experimentation", "region"]
        constraints = [
            models.UniqueConstraint(
                fields=["experimentation", "region"], name="experimentations_territory_unique"
            ),
        ]

    def __str__(self):
        return self.get_region_display()


class EnrolledCompany(models.Model):
    class SizeClass(models.TextChoices):
        TPE = "tpe", _("very small firm (under 10 employees)")
        PME = "pme", _("small or medium firm (under 250 employees)")
        ETI = "eti", _("intermediate-sized firm")
        LARGE = "large", _("large company")

    class Status(models.TextChoices):
        ENROLLED = "enrolled", _("enrolled")
        ACTIVE = "active", _("active")
        WITHDRAWN = "withdrawn", _("withdrawn")
        COMPLETED = "completed", _("completed")

    experimentation = models.ForeignKey(
        Experimentation,
        verbose_name=_("experimentation"),
        on_delete=models.CASCADE,
        related_name="companies",
    )
    name = models.CharField(_("company name"), max_length=200)
    sector = models.CharField(_("sector"), max_length=30, choices=Sector.choices)
    size_class = models.CharField(_("size"), max_length=10, choices=SizeClass.choices)
    region = models.CharField(_("region"), max_length=3, choices=Region.choices)
    joined_phase = models.CharField(
        _("joined during"),
        max_length=20,
        choices=[(p.value, p.label) for p in Experimentation.ORDER],
        default=Experimentation.Phase.TRIAL,
    )
    enrolled_on = models.DateField(_("enrolled on"))
    left_on = models.DateField(_("left on"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.ENROLLED
    )

    version = VersionField()
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("enrolled company")
        verbose_name_plural = _("enrolled companies")
        ordering = ["experimentation", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["experimentation", "name"], name="experimentations_company_unique"
            ),
            models.CheckConstraint(
                condition=Q(left_on__isnull=True) | Q(left_on__gte=F("enrolled_on")),
                name="experimentations_company_dates_in_order",
            ),
        ]
        indexes = [models.Index(fields=["region"])]

    def __str__(self):
        return self.name

    def clean(self):
        if self.left_on and self.enrolled_on and self.left_on < self.enrolled_on:
            raise ValidationError({"left_on": _("A company cannot leave before it was enrolled.")})


class Evaluation(models.Model):
    experimentation = models.OneToOneField(
        Experimentation,
        verbose_name=_("experimentation"),
        on_delete=models.CASCADE,
        related_name="evaluation",
    )
    method = models.TextField(_("method"))
    criteria = models.TextField(
        _("criteria"),
        blank=True,
        help_text=_(
            "The evaluation's general criteria; those of each stage decision are written gate "
            "by gate."
        ),
    )
    findings = models.TextField(_("findings"), blank=True)
    report = models.ForeignKey(
        Document,
        verbose_name=_("report"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    version = VersionField()
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("evaluation")
        verbose_name_plural = _("evaluations")

    def __str__(self):
        return _("Evaluation of %(title)s") % {"title": self.experimentation}


# Stage gates ---------------------------------------------------------------------------


class Gate(models.TextChoices):
    """The decisions between phases, named after the phase they open."""

    EVALUATION = "evaluation", _("from trial to evaluation")
    EXTENSION = "extension", _("from evaluation to extension")
    DEPLOYMENT = "deployment", _("from extension to deployment")


# The gate that closes each phase, and the lifecycle transition a "go" decision runs.
GATE_CLOSING = {
    Experimentation.Phase.TRIAL: Gate.EVALUATION,
    Experimentation.Phase.EVALUATION: Gate.EXTENSION,
    Experimentation.Phase.EXTENSION: Gate.DEPLOYMENT,
}
GATE_TRANSITION = {
    Gate.EVALUATION: "evaluate",
    Gate.EXTENSION: "extend",
    Gate.DEPLOYMENT: "deploy",
}
GATE_ORDER = list(Gate)


def gate_rank(gate) -> int:
    return GATE_ORDER.index(gate)


class StageCriterion(models.Model):
    """What must be observed to pass a gate, written when the experimentation is designed."""

    experimentation = models.ForeignKey(
        Experimentation,
        verbose_name=_("experimentation"),
        on_delete=models.CASCADE,
        related_name="criteria",
    )
    gate = models.CharField(_("gate"), max_length=20, choices=Gate.choices)
    text = models.TextField(_("criterion"), help_text=_("What must be observed to go on."))
    position = models.PositiveSmallIntegerField(_("position"), default=1)

    version = VersionField()
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("stage criterion")
        verbose_name_plural = _("stage criteria")
        ordering = ["experimentation", "position", "pk"]
        indexes = [
            models.Index(fields=["experimentation", "gate"], name="experimentations_crit_gate"),
        ]

    def __str__(self):
        return self.text


class StageDecision(models.Model):
    """The decision taken at a gate: go on to the next phase, or stop."""

    class Outcome(models.TextChoices):
        GO = "go", _("go on to the next phase")
        STOP = "stop", _("stop the experimentation")

    experimentation = models.ForeignKey(
        Experimentation,
        verbose_name=_("experimentation"),
        on_delete=models.CASCADE,
        related_name="decisions",
    )
    gate = models.CharField(_("gate"), max_length=20, choices=Gate.choices)
    outcome = models.CharField(_("decision"), max_length=10, choices=Outcome.choices)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    # default and db_default: as Document.uploaded_at.
    decided_at = models.DateTimeField(_("decided at"), default=timezone.now, db_default=Now())
    comment = models.TextField(_("comment"), blank=True)

    version = VersionField()
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("stage decision")
        verbose_name_plural = _("stage decisions")
        ordering = ["experimentation", "decided_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["experimentation", "gate"], name="experimentations_decision_once_per_gate"
            ),
        ]

    def __str__(self):
        return f"{self.get_gate_display()} : {self.get_outcome_display()}"


class CriterionAssessment(models.Model):
    """Whether one criterion was met when the decision was taken, and the evidence."""

    decision = models.ForeignKey(
        StageDecision,
        verbose_name=_("decision"),
        on_delete=models.CASCADE,
        related_name="assessments",
    )
    # A criterion assessed cannot be deleted alone (RESTRICT), but goes with its whole
    # experimentation, whose decisions and their assessments are deleted too.
    criterion = models.ForeignKey(
        StageCriterion,
        verbose_name=_("criterion"),
        on_delete=models.RESTRICT,
        related_name="assessments",
    )
    met = models.BooleanField(_("met"))
    evidence_document = models.ForeignKey(
        Document,
        verbose_name=_("evidence (document)"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    evidence_url = models.URLField(_("evidence (link)"), max_length=500, blank=True)
    note = models.TextField(_("what was observed"), blank=True)

    version = VersionField()
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("criterion assessment")
        verbose_name_plural = _("criterion assessments")
        ordering = ["decision", "criterion__position", "criterion_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["decision", "criterion"], name="experimentations_assessment_once"
            ),
        ]

    def __str__(self):
        verdict = _("met") if self.met else _("not met")
        return f"{self.criterion} : {verdict}"


# Evaluation indicators -----------------------------------------------------------------


class Indicator(models.Model):
    """What the evaluation measures, with its value before the trial and the value aimed at."""

    experimentation = models.ForeignKey(
        Experimentation,
        verbose_name=_("experimentation"),
        on_delete=models.CASCADE,
        related_name="indicators",
    )
    name = models.CharField(_("indicator"), max_length=200)
    unit = models.CharField(_("unit"), max_length=50, blank=True)
    baseline = models.DecimalField(
        _("baseline"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    target = models.DecimalField(
        _("target"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    position = models.PositiveSmallIntegerField(_("position"), default=1)

    version = VersionField()
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["experimentation", "position", "name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["experimentation", "name"], name="experimentations_indicator_unique"
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.unit})" if self.unit else self.name


class Measurement(models.Model):
    """A measured value of an indicator, for one enrolled company or for the whole."""

    indicator = models.ForeignKey(
        Indicator,
        verbose_name=_("indicator"),
        on_delete=models.CASCADE,
        related_name="measurements",
    )
    company = models.ForeignKey(
        EnrolledCompany,
        verbose_name=_("company"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="measurements",
        help_text=_("Leave empty for a value measured over the whole experimentation."),
    )
    measured_on = models.DateField(_("measured on"))
    value = models.DecimalField(_("value"), max_digits=12, decimal_places=2)
    comment = models.CharField(_("comment"), max_length=300, blank=True)

    version = VersionField()
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("measurement")
        verbose_name_plural = _("measurements")
        ordering = ["indicator", "measured_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "company", "measured_on"],
                condition=Q(company__isnull=False),
                name="experimentations_measurement_once_a_day_per_company",
            ),
            models.UniqueConstraint(
                fields=["indicator", "measured_on"],
                condition=Q(company__isnull=True),
                name="experimentations_measurement_once_a_day_overall",
            ),
        ]

    def __str__(self):
        return f"{self.indicator.name} : {self.value}"

    def clean(self):
        if (
            self.company_id
            and self.indicator_id
            and self.company.experimentation_id != self.indicator.experimentation_id
        ):
            raise ValidationError(
                {"company": _("This company is not enrolled in the indicator's experimentation.")}
            )
