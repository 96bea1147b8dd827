"""A small explicit state machine shared by the records that have a status.

Each model declares its transitions once (``Lifecycle``); services ask it whether a
transition may start from the current status and then check their own preconditions.
A refused transition raises ``TransitionError`` (a ``ValidationError``) whose French
message says why, so views and the admin can show it as is.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from partnership.core import reasons
from partnership.core.dates import long_day


class TransitionError(ValidationError):
    pass


def from_start(starts_on) -> str | None:
    """A guard: possible from the start date (at once without one)."""
    if starts_on is None or starts_on <= timezone.localdate():
        return None
    return _("Possible from its start date, %(day)s.") % {"day": long_day(starts_on)}


def after_end(ends_on) -> str | None:
    """A guard: possible once the end date has passed."""
    if ends_on is None:
        return _("Possible once an end date is set and has passed.")
    if ends_on < timezone.localdate():
        return None
    return _("Possible after its end date, %(day)s.") % {"day": long_day(ends_on)}


@dataclass(frozen=True)
class Transition:
    name: str
    sources: tuple[str, ...]
    target: str
    label: str
    # A cheap check on the record alone (its dates): None when the transition can start now,
    # otherwise why not yet, in words ("possible from the start of the meeting, ..."), shown
    # beside its disabled button. The service still checks everything.
    guard: Callable | None = None

    def waiting_for(self, instance) -> str | None:
        return None if self.guard is None else self.guard(instance)


class Lifecycle:
    def __init__(self, *transitions: Transition):
        self.transitions = {t.name: t for t in transitions}

    def __getitem__(self, name: str) -> Transition:
        return self.transitions[name]

    def __iter__(self):
        return iter(self.transitions.values())

    def available(self, instance) -> list[Transition]:
        """The transitions that can start now."""
        return [t for t, waiting_for in self.offered(instance) if waiting_for is None]

    def offered(self, instance) -> list[tuple[Transition, str | None]]:
        """The transitions from the current status, each with why it must wait (or None)."""
        return [
            (t, t.waiting_for(instance))
            for t in self.transitions.values()
            if instance.status in t.sources
        ]

    def check_source(self, instance, name: str) -> Transition:
        transition = self[name]
        if instance.status not in transition.sources:
            raise TransitionError(
                _("%(record)s is “%(status)s”: the action “%(action)s” is not possible.")
                % {
                    "record": instance._meta.verbose_name.capitalize(),
                    "status": instance.get_status_display(),
                    "action": transition.label,
                },
                code="invalid_transition",
            )
        return transition


def lock(instance):
    """A fresh copy of the record, locked until the end of the transaction.

    Two people running a transition at once are serialised here: the second one
    sees the status the first one left and is refused if it no longer applies.
    """
    return type(instance)._default_manager.select_for_update().get(pk=instance.pk)


def apply_transition(instance, name: str, *, user, update_fields=(), reason: str = ""):
    """Move a locked record to the transition's target status and save it with its trace."""
    transition = type(instance).lifecycle[name]
    previous = instance.status
    instance.status = transition.target
    instance._history_user = user
    instance._change_reason = reasons.reason(
        "status", previous=previous, new=instance.status, why=reason
    )
    # The version is raised too: an edit form opened before the transition is out of date.
    instance.save(update_fields=["status", "version", *update_fields])
    del instance._change_reason  # the line belongs to this save only
    return instance
