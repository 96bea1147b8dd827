"""How each person wants to hear of each kind of event (issue 16).

A person chooses, per kind of event (``Event``), one channel: in the application only, an
e-mail at once, the daily digest, or off (no notification at all). Without a row of their
own, the default of the kind applies (``DEFAULTS``):

- at once by e-mail, what asks something of the person and cannot wait a day: being mentioned,
  a follow-up task given to them, an invitation for their organisation to become a party, a
  request to join their organisation;
- in the daily digest, everything else: what happened on the records they follow, and the
  deliverables due or overdue (today's reminders go in the same e-mail).

Only a choice that differs from the default is stored: a person who never opened the page has
no rows, and a later change of a default reaches them.
"""

from django.conf import settings
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from partnership.discussion.models import Event


class Channel(models.TextChoices):
    APP = "app", _("In the application only")
    EMAIL = "email", _("By e-mail at once")
    DIGEST = "digest", _("In the daily digest")
    OFF = "off", _("Off")


DEFAULTS = {
    Event.MENTION: Channel.EMAIL,
    Event.TASK_ASSIGNED: Channel.EMAIL,
    Event.PARTY_INVITATION: Channel.EMAIL,
    Event.ACCESS_REQUEST: Channel.EMAIL,
}


def default_channel(kind):
    return DEFAULTS.get(kind, Channel.DIGEST)


class DeliveryPreferenceQuerySet(models.QuerySet):
    def channels(self, kind, user_ids):
        """Each person's channel for the kind, defaults included, in one query."""
        user_ids = set(user_ids)
        chosen = dict(
            self.filter(kind=kind, user_id__in=user_ids).values_list("user_id", "channel")
        )
        default = default_channel(kind)
        return {user_id: chosen.get(user_id, default) for user_id in user_ids}

    def of(self, user):
        """A person's channel for every kind, defaults included, in one query."""
        chosen = dict(self.filter(user=user).values_list("kind", "channel"))
        return {kind: chosen.get(kind, default_channel(kind)) for kind in Event.values}

    def matrix(self, user_ids):
        """``{user_id: {kind: channel}}`` for several people, in one query."""
        user_ids = set(user_ids)
        result = {
            user_id: {kind: default_channel(kind) for kind in Event.values} for user_id in user_ids
        }
        rows = self.filter(user_id__in=user_ids).values_list("user_id", "kind", "channel")
        for user_id, kind, channel in rows:
            result[user_id][kind] = channel
        return result


class DeliveryPreference(models.Model):
    """A person's choice for one kind of event, when it differs from the default."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="delivery_preferences",
    )
    kind = models.CharField(_("kind of event"), max_length=30, choices=Event.choices)
    channel = models.CharField(_("delivery"), max_length=10, choices=Channel.choices)

    objects = DeliveryPreferenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        ordering = ["user", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind"], name="partnership_deliverypreference_once"
            ),
        ]

    def __str__(self):
        return f"{self.user} – {self.get_kind_display()}: {self.get_channel_display()}"


def save_preferences(*, user, channels):
    """Keep the person's choices (``{kind: channel}``): a row only where it is not the default."""
    with transaction.atomic():
        DeliveryPreference.objects.filter(user=user).delete()
        DeliveryPreference.objects.bulk_create(
            DeliveryPreference(user=user, kind=kind, channel=channel)
            for kind, channel in channels.items()
            if channel != default_channel(kind)
        )
