import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from partnership.core.fields import VersionField
from partnership.rules import ScopedQuerySet

ATTACHMENT_FIELDS = ("agreement", "convention", "amendment", "meeting", "deliverable")


def document_upload_to(instance, filename):
    """An unguessable name: the original name is kept in the record, never in the path."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"documents/{timezone.now():%Y/%m}/{secrets.token_urlsafe(24)}.{extension[:8]}"


class Document(models.Model):
    """A file attached to an agreement, a convention, an amendment, a meeting or a deliverable."""

    class Kind(models.TextChoices):
        SIGNED_TEXT = "signed_text", _("signed text")
        ANNEX = "annex", _("annex")
        MINUTES = "minutes", _("minutes or attachment")
        DELIVERABLE = "deliverable", _("deliverable")
        OTHER = "other", _("other")

    title = models.CharField(_("title"), max_length=300)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.OTHER)
    file = models.FileField(_("file"), upload_to=document_upload_to, max_length=255)
    original_name = models.CharField(_("original file name"), max_length=255, blank=True)
    content_type = models.CharField(_("content type"), max_length=100, blank=True)
    size = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # default: the application's clock (the one the tests move), also the admin form's initial
    # value; db_default: the same for a row written outside the ORM.
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now, db_default=Now())

    agreement = models.ForeignKey(
        "partnership.Agreement",
        verbose_name=_("framework agreement"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="documents",
    )
    convention = models.ForeignKey(
        "conventions.Convention",
        verbose_name=_("convention"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="documents",
    )
    amendment = models.ForeignKey(
        "conventions.Amendment",
        verbose_name=_("amendment"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="documents",
    )
    meeting = models.ForeignKey(
        "partnership.Meeting",
        verbose_name=_("meeting"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="documents",
    )
    deliverable = models.ForeignKey(
        "partnership.Deliverable",
        verbose_name=_("deliverable"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="documents",
    )

    version = VersionField()
    history = HistoricalRecords()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["-uploaded_at"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(
                        agreement__isnull=False,
                        convention=None,
                        amendment=None,
                        meeting=None,
                        deliverable=None,
                    )
                    | Q(
                        agreement=None,
                        convention__isnull=False,
                        amendment=None,
                        meeting=None,
                        deliverable=None,
                    )
                    | Q(
                        agreement=None,
                        convention=None,
                        amendment__isnull=False,
                        meeting=None,
                        deliverable=None,
                    )
                    | Q(
                        agreement=None,
                        convention=None,
                        amendment=None,
                        meeting__isnull=False,
                        deliverable=None,
                    )
                    | Q(
                        agreement=None,
                        convention=None,
                        amendment=None,
                        meeting=None,
                        deliverable__isnull=False,
                    )
                ),
                name="partnership_document_attached_once",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("document_detail", args=[self.pk])

    @property
    def attached_to(self):
        for name in ATTACHMENT_FIELDS:
            if getattr(self, f"{name}_id"):
                return getattr(self, name)
        return None

    def clean(self):
        attached = [name for name in ATTACHMENT_FIELDS if getattr(self, f"{name}_id")]
        if len(attached) != 1:
            raise ValidationError(
                _(
                    "A document is attached to exactly one record: an agreement, a convention, "
                    "an amendment, a meeting or a deliverable."
                )
            )
