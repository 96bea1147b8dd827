"""The writes of framework agreements: one function per operation.

Each function is keyword-only and atomic, checks the current state first (on a locked
copy of the record, so that two people acting at once give one transition, not two),
and leaves its trace in the record's history with its author.
"""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from partnership.agreements.models import Agreement, AgreementParty
from partnership.core import reasons
from partnership.core.lifecycle import TransitionError, apply_transition, lock
from partnership.discussion.events import notify
from partnership.discussion.models import Event
from partnership.rules import answers_invitation_for, invitation_answerers


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
    if agreement.parties.accepted().count() < 2:
        raise TransitionError(
            _(
                "An agreement is signed by at least two parties that accepted it: the "
                "invited organisations have not all answered yet."
            )
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


# Parties: invitations and their answers ---------------------------------------------------


def party_named(party: AgreementParty, user) -> AgreementParty:
    """Stamp a party just named (a new row, or a row given another organisation) before it is
    saved: an invitation from the person, accepted at once when the person answers for that
    organisation (their own organisation, for a coordinator; any, for an administrator)."""
    now = timezone.now()
    party.invited_by, party.invited_at = user, now
    if answers_invitation_for(user, party.organisation_id):
        party.status = AgreementParty.Status.ACCEPTED
        party.answered_by, party.answered_at = user, now
    else:
        party.status = AgreementParty.Status.INVITED
        party.answered_by = party.answered_at = None
    return party


def party_invited(party: AgreementParty, user) -> None:
    """Once an invitation is saved, tell the coordinators of the organisation invited."""
    if party.status != AgreementParty.Status.INVITED:
        return
    answerers = invitation_answerers(party.organisation_id)
    notify(
        Event.PARTY_INVITATION,
        party.agreement,
        user,
        answerers,
        to_followers=False,
        audience=answerers,
    )


def party_answered(party: AgreementParty, user) -> AgreementParty:
    party.answered_by, party.answered_at = user, timezone.now()
    return party


def party_recorded(party: AgreementParty, user, *, changed: list) -> AgreementParty:
    """Stamp a party an administrator saved in the back office, before it is saved: who
    invited it (a new row, or another organisation), who recorded its answer (a status other
    than "invited" chosen)."""
    if party.pk is None or "organisation" in changed:
        party.invited_by, party.invited_at = user, timezone.now()
        party.answered_by = party.answered_at = None
    if party.status != AgreementParty.Status.INVITED and (
        party.answered_by_id is None or "status" in changed
    ):
        party_answered(party, user)
    return party


@transaction.atomic
def agreement_party_answer(*, party: AgreementParty, user, accept: bool) -> AgreementParty:
    """Accept or decline an invitation to be a party; a declined one stays in the history."""
    party = lock(party)
    if party.status != AgreementParty.Status.INVITED:
        raise TransitionError(_("This invitation has already been answered."))
    party.status = AgreementParty.Status.ACCEPTED if accept else AgreementParty.Status.DECLINED
    party_answered(party, user)
    party._history_user = user
    party._change_reason = reasons.reason(
        "invitation_accepted" if accept else "invitation_declined"
    )
    party.save(update_fields=["status", "answered_by", "answered_at", "version"])
    return party
