"""The writes of framework agreements: one function per operation.

Each function is keyword-only and atomic, checks the current state first (on a locked
copy of the record, so that two people acting at once give one transition, not two),
and leaves its trace in the record's history with its author.
"""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from partnership.agreements.models import Agreement
from partnership.core.lifecycle import TransitionError, apply_transition, lock


def _today():
    return timezone.localdate()


# Framework agreements ----------------------------------------------------------------


@transaction.atomic
def agreement_negotiate(*, agreement: Agreement, user) -> Agreement:
    agreement = lock(agreement)
    Agreement.lifecycle.check_source(agreement, "negotiate")
    return apply_transition(agreement, "negotiate", user=user)


@transaction.atomic
def agreement_sign(*, agreement: Agreement, user, signed_on: datetime.date | None = None):
    agreement = lock(agreement)
    Agreement.lifecycle.check_source(agreement, "sign")
    signed_on = signed_on or agreement.signed_on
    if agreement.parties.count() < 2:
        raise TransitionError(
            _("An agreement is signed by at least two parties: add the parties first.")
        )
    if signed_on is None:
        raise TransitionError(_("Give the date of signature before signing the agreement."))
    if signed_on > _today():
        raise TransitionError(_("The date of signature cannot be in the future."))
    agreement.signed_on = signed_on
    return apply_transition(agreement, "sign", user=user, update_fields=["signed_on"])


@transaction.atomic
def agreement_expire(*, agreement: Agreement, user) -> Agreement:
    agreement = lock(agreement)
    Agreement.lifecycle.check_source(agreement, "expire")
    if agreement.ends_on is None or agreement.ends_on >= _today():
        raise TransitionError(_("The agreement has not reached its end date yet."))
    return apply_transition(agreement, "expire", user=user)


@transaction.atomic
def agreement_terminate(
    *, agreement: Agreement, user, reason: str, terminated_on: datetime.date | None = None
) -> Agreement:
    agreement = lock(agreement)
    Agreement.lifecycle.check_source(agreement, "terminate")
    if not reason.strip():
        raise TransitionError(_("Give the reason for the termination."))
    agreement.terminated_on = terminated_on or _today()
    agreement.termination_reason = reason.strip()
    return apply_transition(
        agreement,
        "terminate",
        user=user,
        update_fields=["terminated_on", "termination_reason"],
    )
