from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from partnership.core.dates import add_months
from partnership.core.fields import VersionField
from partnership.core.lifecycle import Lifecycle, Transition, after_end
from partnership.directory.models import Organisation
from partnership.rules import PartyStatus, ScopedQuerySet


class AgreementQuerySet(ScopedQuerySet):
    def signed(self):
        """Agreements in force: signed, and neither expired nor terminated."""
        return self.filter(status=Agreement.Status.SIGNED)

    def not_ended(self):
        """Agreements in preparation or in force: not expired, not terminated."""
        return self.exclude(status__in=[Agreement.Status.EXPIRED, Agreement.Status.TERMINATED])


class Agreement(models.Model):
    """A framework partnership agreement (accord-cadre)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        NEGOTIATION = "negotiation", _("in negotiation")
        SIGNED = "signed", _("signed")
        EXPIRED = "expired", _("expired")
        TERMINATED = "terminated", _("terminated")

    class MeetingFrequency(models.TextChoices):
        MONTHLY = "monthly", _("monthly")
        QUARTERLY = "quarterly", _("quarterly")
        HALF_YEARLY = "half_yearly", _("twice a year")
        YEARLY = "yearly", _("yearly")

    lifecycle = Lifecycle(
        Transition("negotiate", (Status.DRAFT,), Status.NEGOTIATION, _("open the negotiation")),
        Transition("sign", (Status.NEGOTIATION,), Status.SIGNED, _("sign")),
        Transition(
            "expire",
            (Status.SIGNED,),
            Status.EXPIRED,
            _("record the expiry"),
            guard=lambda agreement: after_end(agreement.ends_on),
        ),
        Transition("terminate", (Status.SIGNED,), Status.TERMINATED, _("terminate")),
    )

    reference = models.CharField(_("reference"), max_length=50, unique=True)
    title = models.CharField(_("title"), max_length=300)
    purpose = models.TextField(_("purpose"), blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT, editable=False
    )
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    tacit_renewal = models.BooleanField(_("tacit renewal"), default=False)
    notice_period_months = models.PositiveSmallIntegerField(_("notice period (months)"), default=3)
    steering_committee = models.TextField(
        _("steering committee"), blank=True, help_text=_("Who sits on it and what it decides.")
    )
    meeting_frequency = models.CharField(
        _("meeting frequency"),
        max_length=20,
        choices=MeetingFrequency.choices,
        default=MeetingFrequency.QUARTERLY,
    )
    terminated_on = models.DateField(_("terminated on"), null=True, blank=True, editable=False)
    termination_reason = models.TextField(_("reason for termination"), blank=True, editable=False)

    version = VersionField()
    history = HistoricalRecords()

    objects = AgreementQuerySet.as_manager()

    class Meta:
        verbose_name = _("framework agreement")
        verbose_name_plural = _("framework agreements")
        ordering = ["-starts_on", "reference"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True)
                | Q(starts_on__isnull=True)
                | Q(ends_on__gt=F("starts_on")),
                name="partnership_agreement_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "negotiation"]) | Q(signed_on__isnull=False),
                name="partnership_agreement_signed_has_date",
            ),
        ]

    def __str__(self):
        return f"{self.reference} – {self.title}"

    def get_absolute_url(self):
        return reverse("agreement_detail", args=[self.pk])

    def clean(self):
        if self.starts_on and self.ends_on and self.ends_on <= self.starts_on:
            raise ValidationError({"ends_on": _("The agreement must end after it starts.")})
        if self.status not in (self.Status.DRAFT, self.Status.NEGOTIATION) and not self.signed_on:
            raise ValidationError({"signed_on": _("A signed agreement needs its signature date.")})

    @property
    def notice_date(self):
        """Last day to give notice before the end date (tacit renewal otherwise)."""
        if not self.ends_on:
            return None
        return add_months(self.ends_on, -self.notice_period_months)

    def in_force_on(self, day):
        return (
            self.status == self.Status.SIGNED
            and (self.starts_on is None or self.starts_on <= day)
            and (self.ends_on is None or day <= self.ends_on)
        )


class AgreementPartyQuerySet(ScopedQuerySet):
    def accepted(self):
        """The parties that accepted: those whose staff the agreement concerns."""
        return self.filter(status=PartyStatus.ACCEPTED)

    def invited(self):
        """The invitations not answered yet."""
        return self.filter(status=PartyStatus.INVITED)


class AgreementParty(models.Model):
    """An organisation named as a party to an agreement: invited, then accepted or declined
    by one of its coordinators (or recorded by an administrator)."""

    Status = PartyStatus  # the rule module's (partnership.rules)

    agreement = models.ForeignKey(
        Agreement, verbose_name=_("agreement"), on_delete=models.CASCADE, related_name="parties"
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="agreement_parties",
    )
    signatory_name = models.CharField(_("signatory"), max_length=200, blank=True)
    signatory_title = models.CharField(_("signatory's title"), max_length=200, blank=True)
    signed_on = models.DateField(_("date of signature"), null=True, blank=True)
    status = models.CharField(
        _("invitation"),
        max_length=10,
        choices=PartyStatus.choices,
        default=PartyStatus.INVITED,
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("invited by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    invited_at = models.DateTimeField(_("invited at"), null=True, blank=True, editable=False)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("answered by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True, editable=False)

    version = VersionField()
    history = HistoricalRecords()

    objects = AgreementPartyQuerySet.as_manager()

    class Meta:
        verbose_name = _("party to the agreement")
        verbose_name_plural = _("parties to the agreement")
        ordering = ["agreement", "organisation__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "organisation"], name="partnership_agreementparty_unique"
            ),
        ]

    def __str__(self):
        return str(self.organisation)
