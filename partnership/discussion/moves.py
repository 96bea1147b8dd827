"""A record moved to another agreement takes its notifications along.

Each notification keeps the agreement its record hangs from (``Notification.within``), so that
who may see it is one condition on one column. The application never moves a record, but the
back office may change an action's programme, a meeting's agreement...: each such record
remembers the parent it had when read (``partnership.core.models.RemembersParent``), and a
save that changes it rewrites ``within`` of the notifications about the record and about what
hangs from it (one query per kind of record).
"""

from django.apps import apps
from django.db.models.signals import post_save

from partnership import rules

# The records a notification can be about that hang from another.
MOVABLE = (
    "partnership.programme",
    "partnership.action",
    "partnership.deliverable",
    "partnership.meeting",
    "partnership.followuptask",
    "conventions.convention",
    "experimentations.experimentation",
)


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
    for label in MOVABLE:
        post_save.connect(_follow_move, sender=apps.get_model(label), dispatch_uid=f"moves-{label}")
