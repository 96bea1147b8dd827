from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ReminderSent(models.Model):
    """A reminder e-mailed to a person, so that the same one is never sent twice."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="reminders_sent",
    )
    key = models.CharField(
        _("reminder"), max_length=200, help_text=_("What was reminded, e.g. task:12:2026-11-24.")
    )
    sent_on = models.DateField(_("sent on"))

    class Meta:
        verbose_name = _("reminder sent")
        verbose_name_plural = _("reminders sent")
        ordering = ["-sent_on", "user"]
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="partnership_remindersent_once"),
        ]
        indexes = [models.Index(fields=["user", "sent_on"])]

    def __str__(self):
        return f"{self.user} – {self.key}"
