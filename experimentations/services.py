"""The writes of experimentations: moving from one phase to the next, never skipping one."""

from django.db import transaction
from django.utils.translation import gettext as _

from experimentations.models import Experimentation
from partnership.lifecycle import TransitionError, apply_transition, lock


def _check_ready(experimentation: Experimentation, name: str) -> None:
    """What each phase must have produced before the next one starts."""
    if name == "start_trial":
        if not experimentation.partners.filter(is_lead=True).exists():
            raise TransitionError(_("Name the lead partner before starting the trial."))
        if not experimentation.territories.exists():
            raise TransitionError(_("Choose at least one territory before starting the trial."))
        evaluation = getattr(experimentation, "evaluation", None)
        if evaluation is None or not evaluation.criteria.strip():
            raise TransitionError(
                _("Write the evaluation criteria (what must be observed) before the trial.")
            )
    elif name == "evaluate":
        if not experimentation.companies.exists():
            raise TransitionError(_("Enrol at least one company before evaluating the trial."))
    elif name in ("extend", "deploy"):
        evaluation = getattr(experimentation, "evaluation", None)
        if evaluation is None or not evaluation.findings.strip():
            raise TransitionError(
                _("Record the findings of the evaluation before extending or deploying.")
            )


@transaction.atomic
def experimentation_advance(*, experimentation: Experimentation, user, name: str):
    """Move to the next phase (start_trial, evaluate, extend, deploy)."""
    if name == "stop":
        raise TransitionError(_("Stopping an experimentation needs a reason."))
    experimentation = lock(experimentation)
    Experimentation.lifecycle.check_source(experimentation, name)
    _check_ready(experimentation, name)
    return apply_transition(experimentation, name, user=user)


@transaction.atomic
def experimentation_stop(*, experimentation: Experimentation, user, reason: str):
    experimentation = lock(experimentation)
    Experimentation.lifecycle.check_source(experimentation, "stop")
    if not reason.strip():
        raise TransitionError(_("Say why the experimentation is stopped."))
    experimentation.stop_reason = reason.strip()
    return apply_transition(
        experimentation, "stop", user=user, update_fields=["stop_reason"], reason=reason.strip()
    )
