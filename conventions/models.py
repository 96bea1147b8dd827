from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from partnership.agreements.models import Agreement
from partnership.core.fields import VersionField
from partnership.core.lifecycle import Lifecycle, Transition, after_end, from_start
from partnership.core.models import RemembersParent
from partnership.directory.models import Organisation, Theme
from partnership.rules import ScopedQuerySet


class ConventionQuerySet(ScopedQuerySet):
    def running(self):
        """Conventions signed or in force: neither ended nor terminated yet."""
        return self.filter(status__in=Convention.RUNNING)


class Convention(RemembersParent, models.Model):
    """An ad hoc convention, annexed to a framework agreement, for one work theme."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        NEGOTIATION = "negotiation", _("in negotiation")
        SIGNED = "signed", pgettext_lazy("convention", "signed")
        IN_FORCE = "in_force", _("in force")
        ENDED = "ended", _("ended")
        TERMINATED = "terminated", pgettext_lazy("convention", "terminated")

    SIGNED_STATUSES = (Status.SIGNED, Status.IN_FORCE, Status.ENDED, Status.TERMINATED)
    # Signed and not ended or terminated yet: such a convention is amended, and its end comes.
    RUNNING = (Status.SIGNED, Status.IN_FORCE)

    lifecycle = Lifecycle(
        Transition("negotiate", (Status.DRAFT,), Status.NEGOTIATION, _("open the negotiation")),
        Transition("sign", (Status.NEGOTIATION,), Status.SIGNED, _("sign")),
        Transition(
            "enter_into_force",
            (Status.SIGNED,),
            Status.IN_FORCE,
            _("enter into force"),
            guard=lambda convention: from_start(convention.starts_on),
        ),
        Transition(
            "end",
            (Status.IN_FORCE,),
            Status.ENDED,
            _("record its end"),
            guard=lambda convention: after_end(convention.ends_on),
        ),
        Transition(
            "terminate", (Status.SIGNED, Status.IN_FORCE), Status.TERMINATED, _("terminate")
        ),
    )

    agreement = models.ForeignKey(
        Agreement,
        verbose_name=_("framework agreement"),
        on_delete=models.PROTECT,
        related_name="conventions",
    )
    annex_number = models.PositiveSmallIntegerField(
        _("annex number"), validators=[MinValueValidator(1)], editable=False
    )
    theme = models.ForeignKey(
        Theme, verbose_name=_("theme"), on_delete=models.PROTECT, related_name="conventions"
    )
    title = models.CharField(_("title"), max_length=300)
    purpose = models.TextField(_("purpose"), blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT, editable=False
    )
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    financial_terms = models.TextField(_("financial terms"), blank=True)
    intellectual_property = models.TextField(_("intellectual property and publication"), blank=True)
    confidentiality = models.TextField(_("confidentiality"), blank=True)
    follow_up_arrangements = models.TextField(_("follow-up arrangements"), blank=True)
    terminated_on = models.DateField(_("terminated on"), null=True, blank=True, editable=False)
    termination_reason = models.TextField(_("reason for termination"), blank=True, editable=False)

    version = VersionField()
    history = HistoricalRecords()

    objects = ConventionQuerySet.as_manager()

    class Meta:
        verbose_name = _("ad hoc convention")
        verbose_name_plural = _("ad hoc conventions")
        ordering = ["agreement", "annex_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "annex_number"], name="conventions_convention_annex_unique"
            ),
            models.CheckConstraint(
                condition=Q(annex_number__gte=1), name="conventions_convention_annex_positive"
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True)
                | Q(starts_on__isnull=True)
                | Q(ends_on__gt=F("starts_on")),
                name="conventions_convention_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "negotiation"]) | Q(signed_on__isnull=False),
                name="conventions_convention_signed_has_date",
            ),
        ]

    def __str__(self):
        return _("Annex %(number)s – %(title)s") % {
            "number": self.annex_number,
            "title": self.title,
        }

    def get_absolute_url(self):
        return reverse("conventions:convention_detail", args=[self.pk])

    def clean(self):
        errors = {}
        if self.starts_on and self.ends_on and self.ends_on <= self.starts_on:
            errors["ends_on"] = _("The convention must end after it starts.")
        if self.status in self.SIGNED_STATUSES and not self.signed_on:
            errors["signed_on"] = _("A signed convention needs its signature date.")
        if errors:
            raise ValidationError(errors)

    def date_warnings(self):
        """Dates outside the agreement's: allowed, but worth a warning."""
        warnings = []
        agreement = self.agreement
        if self.starts_on and agreement.starts_on and self.starts_on < agreement.starts_on:
            warnings.append(_("The convention starts before its framework agreement."))
        if self.ends_on and agreement.ends_on and self.ends_on > agreement.ends_on:
            warnings.append(_("The convention ends after its framework agreement."))
        return warnings


class ConventionParty(models.Model):
    convention = models.ForeignKey(
        Convention, verbose_name=_("convention"), on_delete=models.CASCADE, related_name="parties"
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="convention_parties",
    )
    signatory_name = models.CharField(_("signatory"), max_length=200, blank=True)
    signatory_title = models.CharField(_("signatory's title"), max_length=200, blank=True)
    signed_on = models.DateField(_("date of signature"), null=True, blank=True)

    version = VersionField()
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("party to the convention")
        verbose_name_plural = _("parties to the convention")
        ordering = ["convention", "organisation__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["convention", "organisation"], name="conventions_conventionparty_unique"
            ),
        ]

    def __str__(self):
        return str(self.organisation)

    @property
    def is_third_party(self):
        """A party that is not a party to the framework agreement."""
        return not self.convention.agreement.parties.filter(
            organisation_id=self.organisation_id
        ).exists()


class Commitment(models.Model):
    """What one party commits to under the convention (conditions of the cooperation)."""

    convention = models.ForeignKey(
        Convention,
        verbose_name=_("convention"),
        on_delete=models.CASCADE,
        related_name="commitments",
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="+"
    )
    description = models.TextField(_("commitment"))
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
        verbose_name = _("commitment")
        verbose_name_plural = _("commitments")
        ordering = ["convention", "organisation__name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(person_days__gte=0, budget__gte=0),
                name="conventions_commitment_not_negative",
            ),
        ]

    def __str__(self):
        return f"{self.organisation} – {self.description[:60]}"


class Amendment(models.Model):
    """An amendment (avenant) to a convention."""

    convention = models.ForeignKey(
        Convention,
        verbose_name=_("convention"),
        on_delete=models.CASCADE,
        related_name="amendments",
    )
    number = models.PositiveSmallIntegerField(_("number"), validators=[MinValueValidator(1)])
    signed_on = models.DateField(_("signed on"))
    summary = models.TextField(_("summary"))

    version = VersionField()
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("amendment")
        verbose_name_plural = _("amendments")
        ordering = ["convention", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["convention", "number"], name="conventions_amendment_number_unique"
            ),
            models.CheckConstraint(
                condition=Q(number__gte=1), name="conventions_amendment_number_positive"
            ),
        ]

    def __str__(self):
        return _("Amendment no. %(number)s") % {"number": self.number}

    def get_absolute_url(self):
        return reverse("conventions:convention_detail", args=[self.convention_id]) + "#amendments"

    def clean(self):
        if (
            self.convention_id
            and self.signed_on
            and self.convention.signed_on
            and self.signed_on < self.convention.signed_on
        ):
            raise ValidationError(
                {"signed_on": _("An amendment cannot be signed before its convention.")}
            )
