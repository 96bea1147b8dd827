"""The writes of the partnership app: one function per operation.

Each function is keyword-only and atomic, checks the current state first (on a locked
copy of the record, so that two people acting at once give one transition, not two),
and leaves its trace in the record's history with its author.
"""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from partnership.lifecycle import TransitionError, apply_transition, lock
from partnership.models import Action, ActionResource, Agreement, Meeting, Programme


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


# Annual joint work programmes ----------------------------------------------------------


@transaction.atomic
def programme_propose(*, programme: Programme, user) -> Programme:
    programme = lock(programme)
    Programme.lifecycle.check_source(programme, "propose")
    if not programme.actions.exists():
        raise TransitionError(_("A programme is proposed with at least one action."))
    return apply_transition(programme, "propose", user=user)


@transaction.atomic
def programme_withdraw(*, programme: Programme, user) -> Programme:
    programme = lock(programme)
    Programme.lifecycle.check_source(programme, "withdraw")
    return apply_transition(programme, "withdraw", user=user)


@transaction.atomic
def programme_adopt(
    *, programme: Programme, user, meeting: Meeting, adopted_on: datetime.date | None = None
) -> Programme:
    programme = lock(programme)
    Programme.lifecycle.check_source(programme, "adopt")
    if programme.agreement.status != Agreement.Status.SIGNED:
        raise TransitionError(_("A programme is adopted only under a signed agreement."))
    if meeting.agreement_id != programme.agreement_id:
        raise TransitionError(
            _("A programme is adopted at a meeting of its own framework agreement.")
        )
    if meeting.status not in (Meeting.Status.HELD, Meeting.Status.MINUTES_APPROVED):
        raise TransitionError(_("A programme is adopted at a meeting that has been held."))
    programme.adopted_at = meeting
    programme.adopted_on = adopted_on or timezone.localdate(meeting.starts_at)
    return apply_transition(
        programme, "adopt", user=user, update_fields=["adopted_at", "adopted_on"]
    )


@transaction.atomic
def programme_close(*, programme: Programme, user, review: str) -> Programme:
    programme = lock(programme)
    Programme.lifecycle.check_source(programme, "close")
    if not review.strip():
        raise TransitionError(_("Write the annual review (bilan) before closing the programme."))
    programme.review = review.strip()
    programme.closed_on = _today()
    return apply_transition(programme, "close", user=user, update_fields=["review", "closed_on"])


def programme_carry_over_preview(*, programme: Programme):
    """The actions that “prepare next year” would carry over."""
    return (
        programme.actions.unfinished()
        .filter(continuation__isnull=True)
        .select_related("lead_organisation", "theme")
        .order_by("kind", "title")
    )


@transaction.atomic
def programme_prepare_next_year(*, programme: Programme, user):
    """Create programme N+1 and carry over the unfinished actions of N as continuations.

    Running it again creates nothing twice: the next programme is reused and an action
    that already has a continuation is not carried over a second time.
    Returns the next programme and the list of actions created now.
    """
    programme = lock(programme)
    if programme.status not in (Programme.Status.ADOPTED, Programme.Status.CLOSED):
        raise TransitionError(_("The next year is prepared from an adopted programme."))
    next_programme, created = Programme.objects.get_or_create(
        agreement=programme.agreement,
        year=programme.year + 1,
        defaults={"title": _("Joint programme %(year)s") % {"year": programme.year + 1}},
    )
    if created:
        next_programme._history_user = user
    if next_programme.status != Programme.Status.PREPARATION:
        raise TransitionError(
            _("The programme %(year)s is no longer in preparation: nothing is carried over.")
            % {"year": next_programme.year}
        )
    carried = []
    previous_actions = programme_carry_over_preview(programme=programme).prefetch_related(
        "partners", "resources"
    )
    for previous in previous_actions:
        action = Action(
            programme=next_programme,
            title=previous.title,
            kind=previous.kind,
            theme=previous.theme,
            lead_organisation=previous.lead_organisation,
            convention=previous.convention,
            description=previous.description,
            objectives=previous.objectives,
            status=Action.Status.PLANNED,
            progress=previous.progress,
            continues=previous,
        )
        action._history_user = user
        action._change_reason = _("Carried over from %(year)s") % {"year": programme.year}
        action.save()
        action.partners.set(previous.partners.all())
        ActionResource.objects.bulk_create(
            ActionResource(
                action=action,
                organisation_id=resource.organisation_id,
                person_days=resource.person_days,
                budget=resource.budget,
            )
            for resource in previous.resources.all()
        )
        carried.append(action)
    return next_programme, carried


# Joint actions -------------------------------------------------------------------------


@transaction.atomic
def action_transition(*, action: Action, user, name: str) -> Action:
    action = lock(action)
    Action.lifecycle.check_source(action, name)
    update_fields = []
    if name == "complete":
        action.progress = 100
        update_fields.append("progress")
    return apply_transition(action, name, user=user, update_fields=update_fields)


# Meetings ------------------------------------------------------------------------------


@transaction.atomic
def meeting_hold(*, meeting: Meeting, user) -> Meeting:
    meeting = lock(meeting)
    Meeting.lifecycle.check_source(meeting, "hold")
    if meeting.starts_at > timezone.now():
        raise TransitionError(_("A meeting is recorded as held once it has started."))
    return apply_transition(meeting, "hold", user=user)


@transaction.atomic
def meeting_cancel(*, meeting: Meeting, user) -> Meeting:
    meeting = lock(meeting)
    Meeting.lifecycle.check_source(meeting, "cancel")
    return apply_transition(meeting, "cancel", user=user)


@transaction.atomic
def meeting_approve_minutes(*, meeting: Meeting, user) -> Meeting:
    meeting = lock(meeting)
    Meeting.lifecycle.check_source(meeting, "approve_minutes")
    if not meeting.minutes.strip():
        raise TransitionError(_("Write the minutes before approving them."))
    meeting.minutes_approved_on = _today()
    meeting.minutes_approved_by = user
    return apply_transition(
        meeting,
        "approve_minutes",
        user=user,
        update_fields=["minutes_approved_on", "minutes_approved_by"],
    )


@transaction.atomic
def meeting_reopen(*, meeting: Meeting, user, reason: str) -> Meeting:
    meeting = lock(meeting)
    Meeting.lifecycle.check_source(meeting, "reopen")
    if not reason.strip():
        raise TransitionError(_("Say why the approved minutes are reopened."))
    meeting.minutes_approved_on = None
    meeting.minutes_approved_by = None
    return apply_transition(
        meeting,
        "reopen",
        user=user,
        update_fields=["minutes_approved_on", "minutes_approved_by"],
        reason=reason.strip(),
    )
