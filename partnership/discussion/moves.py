"""A record moved to another agreement takes its notifications along.

Each notification keeps the agreement its record hangs from (``Notification.within``), so that
who may see it is one condition on one column. The application never moves a record, but the
back office may change an action's programme, a meeting's agreement...: the parent each record
had when it was read is remembered, and a save that changes it rewrites ``within`` of the
notifications about the record and about what hangs from it (one query per kind of record).
"""

from django.apps import apps
from django.db.models.signals import post_init, post_save

from partnership import rules

# The records a notification can be about that hang from another, and the field naming it.
PARENTS = {
    "partnership.programme": "agreement",
    "partnership.action": "programme",
    "partnership.deliverable": "action",
    "partnership.meeting": "agreement",
    "partnership.followuptask": "meeting",
    "conventions.convention": "agreement",
    "experimentations.experimentation": "agreement",
}


def _parent_id(instance):
    # Read from the instance's own values: a deferred field is not fetched for this.
    return instance.__dict__.get(f"{PARENTS[instance._meta.label_lower]}_id")


def _remember_parent(sender, instance, **kwargs):
    instance._parent_at_load = _parent_id(instance)


def _follow_move(sender, instance, created, raw=False, **kwargs):
    before, now = getattr(instance, "_parent_at_load", None), _parent_id(instance)
    instance._parent_at_load = now
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
    for label in PARENTS:
        model = apps.get_model(label)
        post_init.connect(_remember_parent, sender=model, dispatch_uid=f"moves-init-{label}")
        post_save.connect(_follow_move, sender=model, dispatch_uid=f"moves-save-{label}")
