"""The writes of programmes and their actions: one function per operation.

Each write is keyword-only and atomic, checks the current state first (on a locked copy of
the record, so that two people acting at once give one transition, not two), and leaves its
trace in the record's history with its author. Beside them, the reads the pages share: a
programme's parties, the approvals the person may still give, the actions carried over.
"""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from partnership.agreements.models import Agreement
from partnership.core import reasons
from partnership.core.dates import add_months
from partnership.core.lifecycle import TransitionError, apply_transition, lock
from partnership.core.restore import restore_version
from partnership.directory.models import Organisation
from partnership.discussion.events import notify
from partnership.discussion.models import Event
from partnership.programmes.models import (
    Action,
    ActionContact,
    ActionResource,
    Programme,
    ProgrammeApproval,
)
from partnership.rules import (
    ACTION_DEFINITION_FIELDS,
    Role,
    approves_for_any_party,
    approves_programme_for,
    approves_programmes,
    profile_of,
    with_role,
)


def _today():
    return timezone.localdate()


# Annual joint work programmes ----------------------------------------------------------


@transaction.atomic
def programme_propose(*, programme: Programme, user) -> Programme:
    programme = lock(programme)
    Programme.lifecycle.check_source(programme, "propose")
    if not programme.actions.exists():
        raise TransitionError(_("A programme is proposed with at least one action."))
    programme = apply_transition(programme, "propose", user=user)
    # The parties' coordinators approve it.
    notify(Event.PROGRAMME_PROPOSED, programme, user, with_role(Role.COORDINATOR))
    return programme


@transaction.atomic
def programme_withdraw(*, programme: Programme, user) -> Programme:
    """Send a proposed programme back to preparation: the approvals given to it lapse."""
    programme = lock(programme)
    Programme.lifecycle.check_source(programme, "withdraw")
    for approval in programme.approvals.all():
        approval._history_user = user
        approval._change_reason = reasons.reason("withdrawn")
        approval.delete()
    return apply_transition(programme, "withdraw", user=user)


def programme_parties(programme: Programme) -> list[Organisation]:
    """The organisations party to the programme's agreement (accepted): each of them
    approves it; an invited organisation has no say before it accepts."""
    return list(programme.parties())


def programme_approval_organisations(*, programme: Programme, user) -> list[Organisation]:
    """The parties still to approve the programme that the person may approve it for
    (``partnership.rules.approves_programme_for`` decides: a coordinator for their own
    organisation, an administrator for any party)."""
    approved = set(programme.approvals.values_list("organisation_id", flat=True))
    return [
        party
        for party in programme_parties(programme)
        if party.pk not in approved and approves_programme_for(user, party.pk)
    ]


def _check_adopting_meeting(programme: Programme, meeting) -> None:
    if meeting.agreement_id != programme.agreement_id:
        raise TransitionError(
            _("A programme is adopted at a meeting of its own framework agreement.")
        )
    if not Programme.adopting_meetings().filter(pk=meeting.pk).exists():
        raise TransitionError(_("A programme is adopted at a meeting that has been held."))


@transaction.atomic
def programme_approve(
    *,
    programme: Programme,
    user,
    meeting=None,
    organisation: Organisation | None = None,
    adopted_on: datetime.date | None = None,
) -> ProgrammeApproval:
    """Record one party's approval of a proposed programme; the last one adopts it.

    Who approves for whom is asked of the rule module (``approves_programme_for``): the
    approval is given for the person's own organisation, or for the party an administrator
    names. When every party has approved, the programme is adopted at ``meeting``, which the
    last approval must name: a held meeting of the agreement. A meeting named by an earlier
    approval is not kept (the adoption is dated by the meeting that completes it).
    Returns the approval; ``approval.programme`` is the programme as it now stands.
    """
    programme = lock(programme)
    if programme.status != Programme.Status.PROPOSED:
        raise TransitionError(
            _("Only a proposed programme is approved: this one is “%(status)s”.")
            % {"status": programme.get_status_display()}
        )
    if programme.agreement.status != Agreement.Status.SIGNED:
        raise TransitionError(_("A programme is adopted only under a signed agreement."))
    if not approves_programmes(user):
        raise TransitionError(_("Only a coordinator of a party approves the programme."))
    profile = profile_of(user)
    if organisation is None:
        if approves_for_any_party(user):
            raise TransitionError(_("Choose the party you record the approval for."))
        organisation = profile.organisation
    parties = programme_parties(programme)
    if organisation.pk not in {party.pk for party in parties}:
        raise TransitionError(
            _(
                "%(organisation)s is not a party to the framework agreement: it has no "
                "approval to give."
            )
            % {"organisation": organisation}
        )
    if not approves_programme_for(user, organisation.pk):
        raise TransitionError(
            _(
                "You approve the programme for your own organisation only: you cannot approve "
                "it on behalf of %(organisation)s."
            )
            % {"organisation": organisation}
        )
    approvals = {a.organisation_id: a for a in programme.approvals.select_related("approved_by")}
    if organisation.pk in approvals:
        earlier = approvals[organisation.pk]
        raise TransitionError(
            _("%(organisation)s already approved this programme on %(date)s (%(person)s).")
            % {
                "organisation": organisation,
                "date": timezone.localtime(earlier.approved_at).strftime("%d/%m/%Y"),
                "person": earlier.approved_by.get_full_name() or earlier.approved_by,
            }
        )
    completes = all(party.pk in approvals or party == organisation for party in parties)
    if completes:
        if meeting is None:
            raise TransitionError(
                _(
                    "This approval is the last one and adopts the programme: choose the held "
                    "meeting where it was adopted."
                )
            )
        _check_adopting_meeting(programme, meeting)
    approval = ProgrammeApproval(
        programme=programme, organisation=organisation, approved_by=user, approved_at=timezone.now()
    )
    approval._history_user = user
    if profile is None or profile.organisation_id != organisation.pk:
        # Only an administrator approves for another organisation than their own.
        approval._change_reason = reasons.reason("recorded_by_admin")
    approval.save()
    notify(Event.PROGRAMME_APPROVED, programme, user, with_role(Role.COORDINATOR))
    if completes:
        approval.programme = programme_adopt(
            programme=programme, user=user, meeting=meeting, adopted_on=adopted_on
        )
    return approval


@transaction.atomic
def programme_adopt(
    *, programme: Programme, user, meeting, adopted_on: datetime.date | None = None
) -> Programme:
    """Adopt a proposed programme that every party has approved (see ``programme_approve``)."""
    programme = lock(programme)
    Programme.lifecycle.check_source(programme, "adopt")
    if programme.agreement.status != Agreement.Status.SIGNED:
        raise TransitionError(_("A programme is adopted only under a signed agreement."))
    approved = set(programme.approvals.values_list("organisation_id", flat=True))
    waiting = [party for party in programme_parties(programme) if party.pk not in approved]
    if waiting:
        raise TransitionError(
            _("A programme is adopted once every party has approved it: waiting for %(parties)s.")
            % {"parties": ", ".join(party.acronym or party.name for party in waiting)}
        )
    _check_adopting_meeting(programme, meeting)
    programme.adopted_at = meeting
    programme.adopted_on = adopted_on or timezone.localdate(meeting.starts_at)
    programme = apply_transition(
        programme, "adopt", user=user, update_fields=["adopted_at", "adopted_on"]
    )
    notify(Event.PROGRAMME_ADOPTED, programme, user, with_role(Role.COORDINATOR))
    return programme


@transaction.atomic
def programme_close(*, programme: Programme, user, review: str) -> Programme:
    programme = lock(programme)
    Programme.lifecycle.check_source(programme, "close")
    if not review.strip():
        raise TransitionError(_("Write the annual review (bilan) before closing the programme."))
    programme.review = review.strip()
    programme.closed_on = _today()
    programme = apply_transition(
        programme, "close", user=user, update_fields=["review", "closed_on"]
    )
    notify(Event.STATUS_CHANGED, programme, user)
    return programme


def preparation_opens_on(year: int) -> datetime.date:
    """The day the parties begin preparing the year ``year``: la rentrée (September) of the
    year before."""
    return datetime.date(year - 1, 9, 1)


def next_year_opens_on(programme: Programme) -> datetime.date:
    """From September of its year on, the parties prepare the next year's programme."""
    return preparation_opens_on(programme.year + 1)


def programme_carry_over_preview(*, programme: Programme):
    """The actions that “prepare next year” would carry over."""
    return (
        programme.actions.unfinished()
        .filter(continuation__isnull=True)
        .select_related("lead_organisation", "theme")
        .order_by("kind", "title")
    )


@transaction.atomic
def programme_prepare_next_year(*, programme: Programme, user, chosen=None):
    """Create programme N+1 and carry over the unfinished actions of N as continuations.

    ``chosen`` holds the ids of the actions to carry over (the preview's ticked boxes);
    ``None`` carries every unfinished action. Running it again creates nothing twice: the
    next programme is reused and an action that already has a continuation is not carried
    over a second time. Returns the next programme and the list of actions created now.
    """
    programme = lock(programme)
    if programme.status not in (Programme.Status.ADOPTED, Programme.Status.CLOSED):
        raise TransitionError(_("The next year is prepared from an adopted programme."))
    opens_on = next_year_opens_on(programme)
    if _today() < opens_on:
        raise TransitionError(
            _("The next year is prepared from %(date)s on, at the start of the autumn term.")
            % {"date": opens_on.strftime("%d/%m/%Y")}
        )
    next_programme = Programme.objects.filter(
        agreement=programme.agreement, year=programme.year + 1
    ).first()
    if next_programme is None:
        next_programme = Programme(
            agreement=programme.agreement,
            year=programme.year + 1,
            title=_("Joint programme %(year)s") % {"year": programme.year + 1},
        )
        next_programme._history_user = user
        next_programme._change_reason = reasons.reason("prepared_from", year=programme.year)
        next_programme.save()
    if next_programme.status != Programme.Status.PREPARATION:
        raise TransitionError(
            _("The programme %(year)s is no longer in preparation: nothing is carried over.")
            % {"year": next_programme.year}
        )
    previous_actions = programme_carry_over_preview(programme=programme).prefetch_related(
        "partners", "resources", "contacts", "deliverables"
    )
    if chosen is not None:
        previous_actions = previous_actions.filter(pk__in=chosen)
    reason = reasons.reason("carried_over", year=programme.year)
    return next_programme, [
        _carry_over(previous, next_programme, user=user, reason=reason)
        for previous in previous_actions
    ]


# What a carried action becomes: it goes on where it makes sense, a postponed one is planned.
CARRIED_STATUS = {
    Action.Status.PLANNED: Action.Status.PLANNED,
    Action.Status.IN_PROGRESS: Action.Status.IN_PROGRESS,
    Action.Status.POSTPONED: Action.Status.PLANNED,
}


def carried_dates(start, end, year: int):
    """The planned dates of an action carried into ``year``: past dates move into it.

    Both dates move by the whole years that bring the end (or, without an end, the start)
    into the new year, keeping the duration; a start still before the year then opens it.
    """
    first_day = datetime.date(year, 1, 1)
    reference = end or start
    years = max(0, year - reference.year) if reference else 0
    if reference and add_months(reference, 12 * years) < first_day:
        years += 1
    start = add_months(start, 12 * years) if start else None
    end = add_months(end, 12 * years) if end else None
    if start and start < first_day:
        start = first_day
    return start, end


def carried_as(previous: Action, year: int) -> dict:
    """What an unfinished action becomes when carried into ``year``: its status and planned
    dates (the preview shows them, the carry-over applies them)."""
    planned_start, planned_end = carried_dates(previous.planned_start, previous.planned_end, year)
    return {
        "status": CARRIED_STATUS[previous.status],
        "planned_start": planned_start,
        "planned_end": planned_end,
    }


def _carry_over(previous: Action, next_programme: Programme, *, user, reason: str) -> Action:
    """The continuation of an action in the next programme, with everything still to do."""
    action = Action(
        programme=next_programme,
        title=previous.title,
        kind=previous.kind,
        theme=previous.theme,
        lead_organisation=previous.lead_organisation,
        convention=previous.convention,
        description=previous.description,
        objectives=previous.objectives,
        progress=previous.progress,
        **carried_as(previous, next_programme.year),
        continues=previous,
    )
    action._history_user = user
    action._change_reason = reason
    action.save()
    action.partners.set(previous.partners.all())
    for model, rows, fields in (
        (ActionResource, previous.resources.all(), ("organisation_id", "person_days", "budget")),
        (
            ActionContact,
            previous.contacts.all(),
            ("organisation_id", "user_id", "contact_id", "role"),
        ),
    ):
        bulk_create_with_history(
            [model(action=action, **{name: getattr(row, name) for name in fields}) for row in rows],
            model,
            default_user=user,
            default_change_reason=reason,
        )
    for deliverable in previous.deliverables.all():
        if deliverable.delivered_on is None:  # moved, with its due date: one deliverable
            deliverable.action = action
            deliverable._history_user = user
            deliverable._change_reason = reason
            deliverable.save()
    return action


# Joint actions -------------------------------------------------------------------------


@transaction.atomic
def action_transition(*, action: Action, user, name: str) -> Action:
    action = lock(action)
    Action.lifecycle.check_source(action, name)
    update_fields = []
    if name == "complete":
        action.progress = 100
        update_fields.append("progress")
    action = apply_transition(action, name, user=user, update_fields=update_fields)
    notify(Event.STATUS_CHANGED, action, user)
    return action


# Restoring an earlier version, or a deleted record --------------------------------------

# What the action is, its status apart: the status has its lifecycle.
ACTION_RESTORED_FIELDS = tuple(name for name in ACTION_DEFINITION_FIELDS if name != "status")


@transaction.atomic
def action_restore(*, action: Action, user, history_id: int, version: int) -> Action:
    """Bring back an earlier version of an action (its status stays: it has its lifecycle)."""

    def adjust(restored):
        if restored.status == Action.Status.COMPLETED:
            restored.progress = 100  # a completed action stays at 100 %

    return restore_version(
        instance=action,
        history_id=history_id,
        version=version,
        fields=ACTION_RESTORED_FIELDS,
        user=user,
        adjust=adjust,
    )
