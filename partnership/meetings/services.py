"""The writes of meetings: transitions, agenda preparation, reviews of the actions, follow-up tasks,
the personal calendar feed.

Each write is keyword-only and atomic, checks the current state first (on a locked copy of
the record, so that two people acting at once give one transition, not two), and leaves its
trace in the record's history with its author; the calendar feed's key is the exception,
written with ``update()`` so that no history keeps the secret. Beside them, the reads that
preparing an agenda needs: the programme a meeting reviews, the earlier meetings, what the
agenda would get.
"""

import dataclasses
import secrets

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from partnership.core import reasons
from partnership.core.lifecycle import TransitionError, apply_transition, lock
from partnership.core.restore import restore_version
from partnership.directory.models import StaffProfile
from partnership.discussion.events import notify
from partnership.discussion.models import Event
from partnership.meetings.models import ActionReview, AgendaItem, FollowUpTask, Meeting
from partnership.programmes.models import Action, Programme
from partnership.programming.models import PlannedProject
from partnership.programming.services import find_overlaps, overlaps_by_theme, programming_round


def _today():
    return timezone.localdate()


# Meetings ------------------------------------------------------------------------------


@transaction.atomic
def meeting_hold(*, meeting: Meeting, user, attendance=None) -> Meeting:
    """Record the meeting as held, with who attended (participant id -> attendance)."""
    meeting = lock(meeting)
    Meeting.lifecycle.check_source(meeting, "hold")
    if meeting.starts_at > timezone.now():
        raise TransitionError(_("A meeting is recorded as held once it has started."))
    for participant in meeting.participants.filter(pk__in=attendance or {}):
        if participant.attendance != attendance[participant.pk]:
            participant.attendance = attendance[participant.pk]
            participant._history_user = user
            participant.save(update_fields=["attendance", "version"])
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
    meeting = apply_transition(
        meeting,
        "approve_minutes",
        user=user,
        update_fields=["minutes_approved_on", "minutes_approved_by"],
    )
    notify(Event.MINUTES_APPROVED, meeting, user)
    return meeting


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

    reason = reasons.reason("reviewed", meeting=str(meeting))
    update_fields = []
    if action.progress != progress:
        action.progress = progress
        update_fields.append("progress")
    if action.status != status:
        previous = action.status
        action.status = status
        update_fields.append("status")
        reason = reasons.reason(
            "status", previous=previous, new=action.status, reviewed=str(meeting)
        )
    if update_fields:
        action._history_user = user
        action._change_reason = reason
        action.save(update_fields=[*update_fields, "updated_at", "version"])
    notify(Event.REVIEW_RECORDED, action, user)
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
    if done:
        notify(Event.TASK_DONE, task, user)
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
        Meeting.objects.not_cancelled()
        .filter(agreement_id=meeting.agreement_id, starts_at__lt=meeting.starts_at)
        .exclude(pk=meeting.pk)
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
    # A programming meeting: the overlaps of the parties' programming not on the agenda yet,
    # theme by theme ([{"label": theme, "overlaps": [Overlap]}]), and the year concerned.
    overlap_groups: list = dataclasses.field(default_factory=list)
    programming_year: int | None = None

    def __bool__(self):
        return bool(self.groups or self.tasks or self.overlap_groups)


def overlap_title(overlap) -> str:
    """An overlap as an agenda item's title: "Étude TMS (INRS) ↔ Intervention TMS (Anact)"."""

    def name(project):
        return f"{project.title} ({project.organisation.acronym or project.organisation.name})"

    return f"{name(overlap.first)} ↔ {name(overlap.second)}"[:300]


def programming_overlaps(meeting: Meeting, items) -> tuple[int, list]:
    """The overlaps of the parties' programming a programming meeting discusses: those of
    the year being prepared at the meeting's date (next year from la rentrée), not settled
    yet (turned into one joint action, or coordinated), not on the agenda yet."""
    year = programming_round(timezone.localdate(meeting.starts_at))
    on_agenda = {item.title for item in items}
    projects = PlannedProject.objects.filter(
        agreement_id=meeting.agreement_id, year=year
    ).select_related("organisation", "theme")
    overlaps = [
        overlap
        for overlap in find_overlaps(projects)
        if not overlap.settled and overlap_title(overlap) not in on_agenda
    ]
    return year, overlaps_by_theme(overlaps)


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
    candidates = AgendaCandidates(programme=programme, groups=groups, tasks=tasks)
    if meeting.kind == Meeting.Kind.PROGRAMMING:
        candidates.programming_year, candidates.overlap_groups = programming_overlaps(
            meeting, items
        )
    return candidates


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
        for group in candidates.overlap_groups:
            heading = _("Overlaps of the parties’ programming %(year)s: %(theme)s") % {
                "year": candidates.programming_year,
                "theme": group["label"],
            }
            created += _insert_group(
                items,
                heading,
                [
                    AgendaItem(
                        title=overlap_title(overlap),
                        notes=", ".join(overlap.reasons).capitalize(),
                    )
                    for overlap in group["overlaps"]
                ],
                lambda item: "↔" in item.title and not item.action_id,
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


MEETING_RESTORED_FIELDS = ("minutes",)


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
