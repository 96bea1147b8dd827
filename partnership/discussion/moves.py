"""A record moved to another agreement takes its notifications along.

Each notification keeps the agreement its record hangs from (``Notification.within``), so that
who may see it is one condition on one column. The application never moves a record, but the
back office may change an action's programme, a meeting's agreement...: each kind of record a
notification can be about remembers the parent it had when read
(``partnership.core.models.RemembersParent``, its parent named by the first step of its path
to the agreement in the rule module), and a save that changes it rewrites ``within`` of the
notifications about the record and about what hangs from it (one query per kind of record).
"""

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db.models.signals import post_save

from partnership import rules
from partnership.core.models import RemembersParent


def _follow_move(sender, instance, created, raw=False, **kwargs):
    before = getattr(instance, "parent_at_load", None)
    now = instance.__dict__.get(f"{sender.parent_field}_id")
    instance.parent_at_load = now
    if created or raw or before is None or before == now:
        return
    agreement = rules.agreement_of(instance)
    notifications = apps.get_model("partnership", "Notification").objects
    for prefix in _paths_through(sender):
        notifications.filter(**{prefix: instance.pk}).update(within=agreement)


def _paths_through(model):
    """The paths from a notification that pass through a record of ``model``."""
    notification = apps.get_model("partnership", "Notification")
    for path in rules.NOTIFICATION_PATHS.values():
        current, steps = notification, []
        for step in path.split("__"):
            current = current._meta.get_field(step).related_model
            steps.append(step)
            if current is model:
                yield "__".join(steps)
                break


def connect():
    """Watch the saves of every kind of record a notification can be about that hangs from
    another (all but the agreement)."""
    notification = apps.get_model("partnership", "Notification")
    for field in rules.NOTIFICATION_PATHS:
        model = notification._meta.get_field(field).related_model
        path = rules.AGREEMENT_PATHS[model._meta.label_lower]
        if not path:
            continue
        if not issubclass(model, RemembersParent):
            raise ImproperlyConfigured(f"{model._meta.label} must be a RemembersParent.")
        model.parent_field = path.split("__")[0]
        post_save.connect(_follow_move, sender=model, dispatch_uid=f"moves-{model._meta.label}")
