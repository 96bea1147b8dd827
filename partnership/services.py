"""The writes of the partnership app: one function per operation.

Each function is keyword-only and atomic, checks the current state first (on a locked
copy of the record, so that two people acting at once give one transition, not two),
and leaves its trace in the record's history with its author.
"""

import dataclasses
import datetime
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import formats, timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from partnership import history
from partnership.lifecycle import TransitionError, apply_transition, lock
from partnership.models import (
    Action,
    ActionResource,
    ActionReview,
    AgendaItem,
    Agreement,
    FollowUpTask,
    Meeting,
    Organisation,
    Programme,
    ProgrammeApproval,
    StaffProfile,
)
from partnership.rules import Role, has_role, profile_of


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
    """Send a proposed programme back to preparation: the approvals given to it lapse."""
    programme = lock(programme)
    Programme.lifecycle.check_source(programme, "withdraw")
    for approval in programme.approvals.all():
        approval._history_user = user
        approval._change_reason = _("Withdrawn with the proposal")
        approval.delete()
    return apply_transition(programme, "withdraw", user=user)


def programme_parties(programme: Programme) -> list[Organisation]:
    """The organisations party to the programme's agreement: each of them approves it."""
    return list(
        Organisation.objects.filter(agreement_parties__agreement_id=programme.agreement_id)
        .order_by("name")
        .distinct()
    )


def programme_approval_organisations(*, programme: Programme, user) -> list[Organisation]:
    """The parties the person may approve the programme for, among those still to approve.

    A coordinator approves for their own organisation only, when it is itself a party (an
    Aract coordinator does not approve for Anact, although they see its agreements); an
    administrator may record the approval of any party.
    """
    approved = set(programme.approvals.values_list("organisation_id", flat=True))
    parties = [party for party in programme_parties(programme) if party.pk not in approved]
    if has_role(user, Role.ADMINISTRATOR):
        return parties
    profile = profile_of(user)
    if profile is None or not has_role(user, Role.COORDINATOR):
        return []
    return [party for party in parties if party.pk == profile.organisation_id]


def _check_adopting_meeting(programme: Programme, meeting: Meeting) -> None:
    if meeting.agreement_id != programme.agreement_id:
        raise TransitionError(
            _("A programme is adopted at a meeting of its own framework agreement.")
        )
    if meeting.status not in (Meeting.Status.HELD, Meeting.Status.MINUTES_APPROVED):
        raise TransitionError(_("A programme is adopted at a meeting that has been held."))


@transaction.atomic
def programme_approve(
    *,
    programme: Programme,
    user,
    meeting: Meeting | None = None,
    organisation: Organisation | None = None,
    adopted_on: datetime.date | None = None,
) -> ProgrammeApproval:
    """Record one party's approval of a proposed programme; the last one adopts it.

    The approval is given for the person's own organisation (an administrator names the
    party). When every party has approved, the programme is adopted at ``meeting``, which the
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
    is_administrator = has_role(user, Role.ADMINISTRATOR)
    profile = profile_of(user)
    if not is_administrator and not has_role(user, Role.COORDINATOR):
        raise TransitionError(_("Only a coordinator of a party approves the programme."))
    if organisation is None:
        if is_administrator:
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
    if not is_administrator and organisation.pk != profile.organisation_id:
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
    if is_administrator and (profile is None or profile.organisation_id != organisation.pk):
        approval._change_reason = _("Recorded by an administrator")
    approval.save()
    if completes:
        approval.programme = programme_adopt(
            programme=programme, user=user, meeting=meeting, adopted_on=adopted_on
        )
    return approval


@transaction.atomic
def programme_adopt(
    *, programme: Programme, user, meeting: Meeting, adopted_on: datetime.date | None = None
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


def next_year_opens_on(programme: Programme) -> datetime.date:
    """From September of its year on, the parties prepare the next year's programme."""
    return datetime.date(programme.year, 9, 1)


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
    opens_on = next_year_opens_on(programme)
    if _today() < opens_on:
        raise TransitionError(
            _("The next year is prepared from %(date)s on (la rentrée).")
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
        next_programme._change_reason = _("Prepared from %(year)s") % {"year": programme.year}
        next_programme.save()
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
        bulk_create_with_history(
            [
                ActionResource(
                    action=action,
                    organisation_id=resource.organisation_id,
                    person_days=resource.person_days,
                    budget=resource.budget,
                )
                for resource in previous.resources.all()
            ],
            ActionResource,
            default_user=user,
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


@transaction.atomic
def action_review_record(
    *, meeting: Meeting, action: Action, user, status: str, progress: int, comment: str = ""
) -> ActionReview:
    """Record an action's status, progress and comment at a meeting, and update the action.

    Recording again at the same meeting updates that meeting's review. The action's history
    says which meeting reviewed it; its status changes only if the review gives another one.
    """
    meeting = lock(meeting)  # a review is not recorded while the minutes are being approved
    action = lock(action)
    if meeting.is_read_only:
        raise TransitionError(
            _("The meeting is “%(status)s”: no review can be recorded at it any more.")
            % {"status": meeting.get_status_display()}
        )
    if action.programme.agreement_id != meeting.agreement_id:
        raise TransitionError(_("Only an action of the meeting's framework agreement is reviewed."))
    if status not in Action.Status.values:
        raise TransitionError(_("Unknown status of an action: %(status)s.") % {"status": status})
    if not 0 <= progress <= 100:
        raise TransitionError(_("Progress is a percentage between 0 and 100."))
    if status == Action.Status.COMPLETED and progress != 100:
        raise TransitionError(_("A completed action is at 100 %."))

    review = ActionReview.objects.filter(meeting=meeting, action=action).first() or ActionReview(
        meeting=meeting, action=action
    )
    review.status = status
    review.progress = progress
    review.comment = comment.strip()
    review.recorded_by = user
    review._history_user = user
    review.save()

    reason = _("Reviewed at the meeting “%(meeting)s”") % {"meeting": meeting}
    update_fields = []
    if action.progress != progress:
        action.progress = progress
        update_fields.append("progress")
    if action.status != status:
        previous = action.get_status_display()
        action.status = status
        update_fields.append("status")
        reason = (
            _("Status: %(previous)s → %(new)s")
            % {
                "previous": previous,
                "new": action.get_status_display(),
            }
            + f" ({reason})"
        )
    if update_fields:
        action._history_user = user
        action._change_reason = reason[:100]
        action.save(update_fields=[*update_fields, "updated_at", "version"])
    return review


@transaction.atomic
def followup_task_set_done(*, task: FollowUpTask, user, done: bool = True) -> FollowUpTask:
    """Tick a follow-up task as done today, or open it again."""
    task = lock(task)
    if task.done == done:
        return task
    task.done = done
    task.done_on = _today() if done else None
    task._history_user = user
    task.save(update_fields=["done", "done_on", "version"])
    return task


# The agenda of a meeting ---------------------------------------------------------------


def meeting_agenda_programme(meeting: Meeting) -> Programme | None:
    """The programme whose ongoing actions a meeting reviews.

    The programme of the meeting's year once adopted; before that, the latest adopted
    programme of the agreement (its actions run on until the next one is adopted); with no
    adopted programme at all, the programme of the meeting's year whatever its status.
    """
    year = timezone.localdate(meeting.starts_at).year
    programmes = Programme.objects.filter(agreement_id=meeting.agreement_id)
    current = programmes.filter(year=year).first()
    if current is not None and current.status in (
        Programme.Status.ADOPTED,
        Programme.Status.CLOSED,
    ):
        return current
    adopted = (
        programmes.filter(status=Programme.Status.ADOPTED, year__lte=year).order_by("-year").first()
    )
    return adopted or current


def meeting_earlier(meeting: Meeting):
    """The meetings whose open follow-up tasks come back on this one's agenda: those that
    started earlier and were not cancelled, of the same working group for a working group's
    meeting, otherwise the agreement's meetings that are not a working group's."""
    earlier = (
        Meeting.objects.filter(agreement_id=meeting.agreement_id, starts_at__lt=meeting.starts_at)
        .exclude(pk=meeting.pk)
        .exclude(status=Meeting.Status.CANCELLED)
    )
    if meeting.kind == Meeting.Kind.WORKING_GROUP:
        return earlier.filter(working_group_id=meeting.working_group_id)
    return earlier.exclude(kind=Meeting.Kind.WORKING_GROUP)


@dataclasses.dataclass
class AgendaCandidates:
    """What preparing a meeting's agenda adds to it."""

    programme: Programme | None
    groups: list  # [(lead organisation, [its ongoing actions not on the agenda yet])]
    tasks: list  # the earlier meetings' open follow-up tasks not on this agenda yet

    def __bool__(self):
        return bool(self.groups or self.tasks)


def meeting_agenda_candidates(meeting: Meeting, items=None) -> AgendaCandidates:
    """The ongoing actions and open follow-up tasks that are not on the agenda yet.

    Ongoing means in progress: a planned action has nothing to review yet, and a postponed
    one comes back once it starts again. The follow-up tasks are those still open of every
    earlier meeting (``meeting_earlier``), their own and those they had brought back: a task
    comes back until it is done, even when another meeting (a programming one, say) was held
    in between.
    """
    if items is None:
        items = list(meeting.agenda_items.all())
    on_agenda = {item.action_id for item in items if item.action_id}
    brought_back = {item.follow_up_id for item in items if item.follow_up_id}
    programme = meeting_agenda_programme(meeting)
    by_organisation = {}
    if programme is not None:
        for action in (
            programme.actions.ongoing().select_related("lead_organisation").order_by("title", "pk")
        ):
            if action.pk not in on_agenda:
                by_organisation.setdefault(action.lead_organisation, []).append(action)
    groups = sorted(
        by_organisation.items(),
        key=lambda group: ((group[0].acronym or group[0].name).lower(), group[0].pk),
    )
    earlier = meeting_earlier(meeting)
    tasks = [
        task
        for task in FollowUpTask.objects.open()
        .filter(Q(meeting__in=earlier) | Q(agenda_items__meeting__in=earlier))
        .select_related("meeting", "owner", "owner_contact")
        .distinct()
        .order_by(F("due_on").asc(nulls_last=True), "pk")
        if task.pk not in brought_back
    ]
    return AgendaCandidates(programme=programme, groups=groups, tasks=tasks)


def _agenda_is_writable(meeting: Meeting) -> None:
    if meeting.is_read_only:
        raise TransitionError(
            _("The meeting is “%(status)s”: its agenda can no longer be changed.")
            % {"status": meeting.get_status_display()}
        )


def _is_heading(item: AgendaItem, title: str) -> bool:
    return item.title == title and not (
        item.action_id or item.convention_id or item.programme_id or item.follow_up_id
    )


def _insert_group(items, heading_title, new_items, belongs):
    """Put new items at the end of their group (after its heading item and the items that
    ``belongs`` says are of the group), or as a new group, heading first, at the end."""
    start = next((i for i, item in enumerate(items) if _is_heading(item, heading_title)), None)
    if start is None:
        heading = AgendaItem(title=heading_title)
        items.extend([heading, *new_items])
        return [heading, *new_items]
    end = start + 1
    while end < len(items) and belongs(items[end]):
        end += 1
    items[end:end] = new_items
    return new_items


def _renumber(meeting: Meeting, items, user) -> None:
    for position, item in enumerate(items, start=1):
        if item.pk is None or item.position != position:
            item.meeting = meeting
            item.position = position
            item._history_user = user
            item.save()


@transaction.atomic
def meeting_prepare_agenda(*, meeting: Meeting, user) -> list[AgendaItem]:
    """Put the chantiers under review and the open follow-ups on a planned meeting's agenda.

    Every ongoing (in progress) action of the programme under review
    (``meeting_agenda_programme``), grouped by lead organisation: a heading item per
    organisation, then its actions by title; then the follow-up tasks still open from the
    earlier meetings (``meeting_earlier``), their own and those they had brought back, under
    a heading. What is already on the agenda is kept where it is, and nothing is put twice:
    running it again only adds what is new, at the end of its group. The titles are written
    in the site's language, whatever the language of the person who prepares the agenda.
    Returns the items created.
    """
    meeting = lock(meeting)
    _agenda_is_writable(meeting)
    if meeting.status != Meeting.Status.PLANNED:
        raise TransitionError(_("The agenda is prepared before the meeting is held."))
    items = list(
        meeting.agenda_items.select_related("action", "follow_up").order_by("position", "pk")
    )
    candidates = meeting_agenda_candidates(meeting, items)
    created = []
    with translation.override(settings.LANGUAGE_CODE):
        for organisation, actions in candidates.groups:
            created += _insert_group(
                items,
                _("Actions led by %(organisation)s")
                % {"organisation": organisation.acronym or organisation.name},
                [AgendaItem(title=action.title, action=action) for action in actions],
                lambda item, pk=organisation.pk: (
                    item.action_id is not None and item.action.lead_organisation_id == pk
                ),
            )
        if candidates.tasks:
            created += _insert_group(
                items,
                _("Follow-up tasks of the previous meeting"),
                [AgendaItem(title=task.title, follow_up=task) for task in candidates.tasks],
                lambda item: item.follow_up_id is not None,
            )
    _renumber(meeting, items, user)
    return created


@transaction.atomic
def agenda_item_move(*, item: AgendaItem, user, offset: int) -> None:
    """Move an agenda item up (offset -1) or down (+1); the agenda is numbered again."""
    meeting = lock(item.meeting)
    _agenda_is_writable(meeting)
    items = list(meeting.agenda_items.order_by("position", "pk"))
    index = next((i for i, other in enumerate(items) if other.pk == item.pk), None)
    if index is None:
        return
    target = max(0, min(len(items) - 1, index + offset))
    if target != index:
        items.insert(target, items.pop(index))
    _renumber(meeting, items, user)


@transaction.atomic
def agenda_item_remove(*, item: AgendaItem, user) -> None:
    meeting = lock(item.meeting)
    _agenda_is_writable(meeting)
    item._history_user = user
    item.delete()


# The personal calendar feed -------------------------------------------------------------


def calendar_token_renew(*, user) -> str:
    """Give the person a new secret calendar feed address; the old one stops working.

    Written with ``update()``: the history of the staff profile must not keep the secret.
    """
    token = secrets.token_urlsafe(32)
    if not StaffProfile.objects.filter(user=user).update(calendar_token=token):
        raise TransitionError(_("Only a staff member has a calendar feed."))
    return token


def calendar_token_revoke(*, user) -> None:
    StaffProfile.objects.filter(user=user).update(calendar_token=None)


# Restoring an earlier version, or a deleted record --------------------------------------

ACTION_RESTORED_FIELDS = (
    "title",
    "kind",
    "theme",
    "lead_organisation",
    "partners",
    "convention",
    "description",
    "objectives",
    "planned_start",
    "planned_end",
    "progress",
    "continues",
)
MEETING_RESTORED_FIELDS = ("minutes",)


def _restore_reason(record) -> str:
    when = formats.date_format(timezone.localtime(record.history_date), "SHORT_DATETIME_FORMAT")
    return (_("Restored the version of %(date)s") % {"date": when})[:100]


def restore_version(*, instance, history_id: int, version: int, fields, user, adjust=None):
    """Bring back some fields of an earlier version of a record, as its newest version.

    The person saw the record at ``version`` when they asked: a change made since then
    refuses the restore, as it refuses an edit form. The restore is recorded in the
    history, with its author and the date of the version brought back. To be called in a
    transaction (the record is locked until it ends).
    """
    locked = lock(instance)
    if locked.version != version:
        raise TransitionError(
            _(
                "Someone else changed this record since you opened the page: nothing was "
                "restored. Look at the differences again."
            ),
            code="stale",
        )
    record = (
        history.history_manager(type(locked))
        .filter(id=locked.pk, history_id=history_id)
        .exclude(history_type="-")
        .first()
    )
    if record is None:
        raise TransitionError(_("This version of the record does not exist."))
    values = history.version_values(record, fields)
    missing = history.missing_related(type(locked), values)
    if missing:
        raise TransitionError(
            _(
                "This version points to records deleted since (%(fields)s): it cannot be "
                "restored as it was."
            )
            % {"fields": ", ".join(missing)}
        )
    related_sets = {}
    for name, value in values.items():
        field = locked._meta.get_field(name)
        if field.many_to_many:
            related_sets[name] = value
        else:
            setattr(locked, field.attname, value)
    if adjust is not None:
        adjust(locked)
    try:
        locked.full_clean()
    except ValidationError as error:
        raise TransitionError(error.messages) from error
    locked._history_user = user
    locked._change_reason = _restore_reason(record)
    # The many-to-many rows change first, silently: the save below records everything once.
    locked.skip_history_when_saving = True
    for name, ids in related_sets.items():
        getattr(locked, name).set(ids)
    del locked.skip_history_when_saving
    locked.save()
    del locked._change_reason
    return locked


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


@transaction.atomic
def meeting_minutes_restore(*, meeting: Meeting, user, history_id: int, version: int) -> Meeting:
    """Bring back an earlier version of a meeting's minutes, while they are not approved."""
    if lock(meeting).is_read_only:
        raise TransitionError(
            _(
                "The meeting is “%(status)s”: its minutes cannot change. Reopen them first "
                "to restore an earlier version."
            )
            % {"status": meeting.get_status_display()}
        )
    return restore_version(
        instance=meeting,
        history_id=history_id,
        version=version,
        fields=MEETING_RESTORED_FIELDS,
        user=user,
    )


def _restore_plan(record, tree, plan):
    """The records to bring back, each before the rows deleted with it (those that do not
    exist again)."""
    model = record.instance_type
    if not model._base_manager.filter(pk=record.id).exists():
        plan.append(record)
    for child, grandchildren in tree:
        _restore_plan(child, grandchildren, plan)
    return plan


@transaction.atomic
def record_restore_deleted(*, record, user):
    """Bring back a deleted record, with the rows deleted with it, from its history.

    ``record`` is the historical record of the deletion. The records it points to must
    exist (or come back with it); a unique value taken since (a reference, an annex number,
    a year) refuses the restore. Each record comes back with its last values, recorded in
    its history as restored by the person.
    """
    model = record.instance_type
    if record.history_type != "-":
        raise TransitionError(_("This record was not deleted."))
    later = (
        history.history_manager(model)
        .filter(id=record.id, history_id__gt=record.history_id)
        .exists()
    )
    if later or model._base_manager.filter(pk=record.id).exists():
        raise TransitionError(_("This record exists again: it was restored already."))
    plan = _restore_plan(record, history.deleted_with(record), [])
    coming_back = {(rec.instance_type, rec.id) for rec in plan}
    missing = []
    for rec in plan:
        rec_model = rec.instance_type
        for field in rec_model._meta.concrete_fields:
            value = getattr(rec, field.attname)
            if not field.many_to_one or value is None:
                continue
            if (field.related_model, value) in coming_back:
                continue
            if not field.related_model._base_manager.filter(pk=value).exists():
                missing.append(f"{capfirst(rec_model._meta.verbose_name)} : {field.verbose_name}")
    if missing:
        raise TransitionError(
            _(
                "It cannot be restored: records it points to were deleted (%(fields)s). "
                "Restore them first."
            )
            % {"fields": ", ".join(sorted(set(missing)))}
        )
    restored = []
    try:
        with transaction.atomic():
            for rec in plan:
                instance = rec.instance
                instance.version = rec.version + 1
                instance._history_user = user
                instance._change_reason = _("Restored after its deletion")
                instance.save(force_insert=True)
                before = (
                    history.history_manager(rec.instance_type)
                    .filter(id=rec.id, history_id__lt=rec.history_id)
                    .order_by("-history_id")
                    .first()
                )
                for field in history.m2m_fields(rec.instance_type):
                    if before is not None:
                        ids = history.version_values(before, [field.name])[field.name]
                        getattr(instance, field.name).set(ids)
                restored.append(instance)
    except IntegrityError as error:
        raise TransitionError(
            _(
                "It cannot be restored: another record now has the same unique values (a "
                "reference, a number or a year)."
            )
        ) from error
    return restored[0] if restored else None
