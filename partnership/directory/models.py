import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from partnership.core.fields import VersionField
from partnership.directory.regions import Region
from partnership.rules import Role, ScopedQuerySet


class Organisation(models.Model):
    class Kind(models.TextChoices):
        NATIONAL_AGENCY = "national_agency", _("national agency")
        REGIONAL_ASSOCIATION = "regional_association", _("regional association (Aract)")
        PUBLIC_BODY = "public_body", _("public body or insurance fund")
        COMPANY = "company", _("company")
        OTHER = "other", _("other")

    name = models.CharField(_("name"), max_length=200, unique=True)
    acronym = models.CharField(_("acronym"), max_length=30, blank=True)
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices, default=Kind.OTHER)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("network head"),
        help_text=_("For example, an Aract belongs to the Anact network."),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
    )
    region = models.CharField(_("region"), max_length=3, choices=Region.choices, blank=True)
    website = models.URLField(_("website"), blank=True)
    # How a person signing in through single sign-on (partnership.directory.sso) is matched to
    # their organisation: the SIRET the provider gives, else their e-mail's domain. Set by
    # administrators in the back office only.
    siret = models.CharField(
        _("SIRET"),
        max_length=14,
        blank=True,
        validators=[RegexValidator(r"^[0-9]{14}$", _("A SIRET number has 14 digits."))],
        help_text=_("Staff signing in with ProConnect from this establishment join it."),
    )
    email_domains = models.TextField(
        _("e-mail domains"),
        blank=True,
        help_text=_(
            "One domain per line (for example anact.fr): staff signing in with ProConnect "
            "with an address at one of them ask to join this organisation."
        ),
    )

    version = VersionField()
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(parent=models.F("pk")), name="partnership_organisation_not_own_parent"
            ),
            models.UniqueConstraint(
                fields=["siret"],
                condition=~Q(siret=""),
                name="partnership_organisation_unique_siret",
            ),
        ]

    def __str__(self):
        return self.acronym or self.name

    def get_absolute_url(self):
        return reverse("organisation_detail", args=[self.pk])

    @property
    def label(self):
        return f"{self.name} ({self.acronym})" if self.acronym else self.name

    @property
    def domains(self) -> set[str]:
        """The e-mail domains listed on the organisation, in lower case."""
        return {
            line.strip().lstrip("@").lower()
            for line in self.email_domains.replace(",", "\n").splitlines()
            if line.strip()
        }

    def clean(self):
        for domain in self.domains:
            if "." not in domain or not re.fullmatch(r"[a-z0-9.-]+", domain):
                raise ValidationError(
                    {
                        "email_domains": _("“%(domain)s” is not an e-mail domain.")
                        % {"domain": domain}
                    }
                )
        if self.parent_id and self.pk and self.parent_id == self.pk:
            raise ValidationError({"parent": _("An organisation cannot be its own network head.")})
        if self.parent_id and self.parent.parent_id:
            raise ValidationError(
                {"parent": _("The network head must itself be at the head of its network.")}
            )


class StaffProfile(models.Model):
    """A staff member: a user account attached to one organisation, with a role."""

    Role = Role  # the roles are the rule module's (partnership.rules)

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user account"),
        on_delete=models.CASCADE,
        related_name="profile",
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="staff",
    )
    job_title = models.CharField(_("job title"), max_length=200, blank=True)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.READER)
    calendar_token = models.CharField(
        _("calendar feed key"),
        max_length=64,
        unique=True,
        null=True,
        blank=True,
        editable=False,
        help_text=_(
            "The secret of the personal calendar feed URL; regenerating it revokes the old URL."
        ),
    )

    # The language of the person's pages, whatever their browser asks for (a setting of
    # their account: partnership.core.i18n); the history keeps no trace of its changes.
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
        db_default=settings.LANGUAGE_CODE,
    )
    version = VersionField()
    # The calendar key is a secret: not copied into the history.
    history = HistoricalRecords(excluded_fields=["calendar_token", "language"])

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff members")
        ordering = ["user__last_name", "user__first_name"]

    def __str__(self):
        return self.user.get_full_name() or self.user.get_username()


class Contact(models.Model):
    """A person without an account: an external expert, a company contact..."""

    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    job_title = models.CharField(_("job title"), max_length=200, blank=True)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="contacts",
        null=True,
        blank=True,
    )

    version = VersionField()
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["last_name", "first_name"]

    def __str__(self):
        return f"{self.first_name} {self.last_name}".strip()

    def get_absolute_url(self):
        return reverse("contact_detail", args=[self.pk])


class Priority(models.TextChoices):
    """The priorities of the network's performance contract (COP), shared by the
    experimentations and the parties' planned projects."""

    QVT = "qvt", _("quality of working life")
    PREVENTION = "prevention", _("prevention of occupational risks and health promotion")
    CHRONIC_ILLNESS = "chronic_illness", _("chronic illness at work")
    WEAR = "wear", _("prevention of wear")


class Sector(models.TextChoices):
    HOME_CARE = "home_care", _("home care services")
    INDUSTRY = "industry", _("industry")
    HEALTH = "health", _("health")
    SMALL_FIRMS = "small_firms", _("very small and small firms")
    LARGE_COMPANIES = "large_companies", _("large companies")
    OTHER = "other", _("other")


class Theme(models.Model):
    """A work theme of the partnership (TMS, RPS, foresight...)."""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=200, unique=True)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("in use"), default=True)

    version = VersionField()
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("theme")
        verbose_name_plural = _("themes")
        ordering = ["name"]

    def __str__(self):
        return self.name


class OIDCIdentity(models.Model):
    """A person's identity at an OpenID Connect provider (ProConnect): recognised by its
    issuer and ``sub``, whatever its e-mail address becomes (partnership.directory.sso)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user account"),
        on_delete=models.CASCADE,
        related_name="oidc_identities",
    )
    issuer = models.CharField(_("issuer"), max_length=255)
    subject = models.CharField(_("subject (sub)"), max_length=255)
    email = models.EmailField(_("e-mail given by the provider"), blank=True)
    created_at = models.DateTimeField(_("linked on"), auto_now_add=True)
    last_login_at = models.DateTimeField(_("last signed in on"), null=True, blank=True)

    class Meta:
        verbose_name = _("single sign-on identity")
        verbose_name_plural = _("single sign-on identities")
        ordering = ["issuer", "subject"]
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "subject"], name="partnership_oidcidentity_unique_subject"
            ),
        ]

    def __str__(self):
        return f"{self.email or self.subject} ({self.issuer})"


class SSOSession(models.Model):
    """A session opened by single sign-on, and the provider's session it came from: a
    back-channel logout token names the provider's session (``sid``) or the person
    (``sub``), and so the sessions to end here (partnership.directory.sso)."""

    session_key = models.CharField(_("session key"), max_length=40, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user account"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    issuer = models.CharField(_("issuer"), max_length=255)
    subject = models.CharField(_("subject (sub)"), max_length=255)
    sid = models.CharField(_("provider session (sid)"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("single sign-on session")
        verbose_name_plural = _("single sign-on sessions")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["issuer", "subject"], name="partnership_ssosession_sub"),
            models.Index(fields=["issuer", "sid"], name="partnership_ssosession_sid"),
        ]

    def __str__(self):
        return f"{self.subject} ({self.issuer})"


class AccessRequest(models.Model):
    """The request of a person who signed in through single sign-on for the first time: the
    pending account gets a role only when a coordinator of the organisation (or an
    administrator) approves it (``partnership.rules.decides_access_request``)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("awaiting a decision")
        APPROVED = "approved", _("approved")
        REFUSED = "refused", _("refused")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user account"),
        on_delete=models.CASCADE,
        related_name="access_request",
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="access_requests",
    )
    siret = models.CharField(_("SIRET given"), max_length=14, blank=True)
    email_domain = models.CharField(_("e-mail domain"), max_length=255, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    requested_at = models.DateTimeField(_("requested on"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided on"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    role = models.CharField(_("role given"), max_length=20, choices=Role.choices, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("access request")
        verbose_name_plural = _("access requests")
        ordering = ["-requested_at"]

    def __str__(self):
        return self.user.get_full_name() or self.user.email or self.user.get_username()

    def get_absolute_url(self):
        return reverse("access_request_detail", args=[self.pk])
