"""Staff pages: the home dashboard of the person logged in.

Everything on it goes through ``visible_to(user)``. One query per section, whatever the number of
records: counts come from conditional aggregates or window functions, and the recent
changes of the five historical tables come back in one UNION query. The sections that show the
same to everyone who sees the same agreements are kept in the shared cache until a table they
are drawn from changes (``kept_sections``, partnership/core/fragments.py).
"""

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Avg, Count, F, IntegerField, Q, Value, Window
from django.db.models.functions import ExtractMonth, ExtractYear
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from conventions.models import Convention
from experimentations.models import Experimentation, StageCriterion
from partnership.agreements.models import Agreement, AgreementParty
from partnership.core import fragments
from partnership.core.fragments import tables_of
from partnership.core.history import historical_model
from partnership.directory.models import AccessRequest
from partnership.meetings.models import FollowUpTask, Meeting
from partnership.overview import drawn
from partnership.programmes.models import Action, Deliverable, Programme
from partnership.programming.services import programming_invitations
from partnership.rules import invitations_answered_by, scope_key

MEETING_DAYS = 60
DELIVERABLE_DAYS = 30
ENDING_DAYS = 90
RECENT_CHANGES = 15
LIST_LIMIT = 20


def _first(queryset, limit=LIST_LIMIT):
    """The first rows of the queryset and how many there are in all, in one query."""
    rows = list(queryset.annotate(dashboard_total=Window(Count("pk")))[:limit])
    return rows, (rows[0].dashboard_total if rows else 0)


# Progress of the current programmes --------------------------------------------------------


def _percent(part, whole):
    # Formatted here, not in the template: an SVG length must not get a French decimal comma.
    return f"{100 * part / whole:.2f}" if whole else "0"


def current_programmes(user, today):
    """This year's programmes with their actions counted by status, and a stacked bar."""
    by_status = {
        f"count_{status}": Count("actions", filter=Q(actions__status=status))
        for status in Action.Status.values
    }
    programmes = list(
        Programme.objects.filter(year=today.year)
        .visible_to(user)
        .select_related("agreement")
        .annotate(
            action_count=Count("actions"),
            average_progress=Avg(
                "actions__progress", filter=~Q(actions__status=Action.Status.CANCELLED)
            ),
            **by_status,
        )
        .order_by("agreement__reference", "pk")
    )
    for programme in programmes:
        segments = []
        offset = 0
        for status, label in Action.Status.choices:
            count = getattr(programme, f"count_{status}")
            segments.append(
                {
                    "status": status,
                    "label": label,
                    "count": count,
                    "x": _percent(offset, programme.action_count),
                    "width": _percent(count, programme.action_count),
                }
            )
            offset += count
        programme.segments = segments
        programme.progress_value = round(programme.average_progress or 0)
    return programmes


# Dates coming up ---------------------------------------------------------------------------


def upcoming_meetings(user, now):
    return _first(
        Meeting.objects.not_cancelled()
        .filter(ends_at__gte=now, starts_at__lte=now + datetime.timedelta(days=MEETING_DAYS))
        .visible_to(user)
        .select_related("agreement")
        .order_by("starts_at", "pk")
    )


def my_open_tasks(user, today):
    tasks, total = _first(
        FollowUpTask.objects.open()
        .filter(owner_id=user.pk)
        .visible_to(user)
        .select_related("meeting__agreement")
        .annotate(overdue_total=Window(Count("pk", filter=Q(due_on__lt=today))))
        .order_by(F("due_on").asc(nulls_last=True), "pk")
    )
    for task in tasks:
        task.is_overdue = bool(task.due_on and task.due_on < today)
    return tasks, total, (tasks[0].overdue_total if tasks else 0)


def deliverables_due(user, today):
    """Not delivered, due within the next days or overdue (actions cancelled left out)."""
    queryset = (
        Deliverable.objects.outstanding()
        .due_by(today + datetime.timedelta(days=DELIVERABLE_DAYS))
        .visible_to(user)
        .select_related("action__programme__agreement")
        .annotate(overdue_total=Window(Count("pk", filter=Q(due_on__lt=today))))
        .order_by("due_on", "pk")
    )
    deliverables, total = _first(queryset)
    overdue = deliverables[0].overdue_total if deliverables else 0
    return deliverables, total, overdue


def ending_soon(user, today):
    """Signed agreements and conventions whose end or notice date falls within the days ahead.

    The notice date is computed in Python (months before the end); the query keeps only the
    candidates: not ended yet, and whose end month minus the notice period is at most the
    horizon's month, which every notice date within the horizon satisfies.
    """
    horizon = today + datetime.timedelta(days=ENDING_DAYS)
    horizon_month = horizon.year * 12 + horizon.month
    agreements = (
        Agreement.objects.signed()
        .filter(ends_on__gte=today)
        .visible_to(user)
        .alias(
            notice_month=ExtractYear("ends_on") * 12
            + ExtractMonth("ends_on")
            - F("notice_period_months")
        )
        .filter(notice_month__lte=horizon_month)
    )
    rows = []
    for agreement in agreements:
        notice = agreement.notice_date
        notice_soon = notice is not None and today <= notice <= horizon
        end_soon = agreement.ends_on <= horizon
        if notice_soon or end_soon:
            rows.append(
                {
                    "record": agreement,
                    "kind": _("framework agreement"),
                    "ends_on": agreement.ends_on,
                    "end_soon": end_soon,
                    "notice_date": notice,
                    "notice_soon": notice_soon,
                    "sort": notice if notice_soon else agreement.ends_on,
                }
            )
    conventions = (
        Convention.objects.running()
        .filter(ends_on__gte=today, ends_on__lte=horizon)
        .visible_to(user)
        .select_related("agreement")
    )
    for convention in conventions:
        rows.append(
            {
                "record": convention,
                "kind": _("ad hoc convention"),
                "ends_on": convention.ends_on,
                "end_soon": True,
                "notice_date": None,
                "notice_soon": False,
                "sort": convention.ends_on,
            }
        )
    rows.sort(key=lambda row: (row["sort"], str(row["record"])))
    return rows


# Recent changes ----------------------------------------------------------------------------

HISTORY_MODELS = {
    "agreement": Agreement,
    "programme": Programme,
    "action": Action,
    "convention": Convention,
    "meeting": Meeting,
}
HISTORY_NUMBERS = {"programme": "year", "convention": "annex_number"}
HISTORY_COLUMNS = (
    "history_id",
    "history_date",
    "history_type",
    "history_change_reason",
    "id",
    "title",
    "history_user__username",
    "history_user__first_name",
    "history_user__last_name",
    "change_kind",
    "change_reference",
    "change_number",
)


def recent_changes(user, limit=RECENT_CHANGES):
    """The latest history entries of the records the person may see, in one query."""
    branches = []
    for kind, model in HISTORY_MODELS.items():
        visible_ids = model._default_manager.all().visible_to(user).values("pk")
        number = HISTORY_NUMBERS.get(kind)
        branches.append(
            historical_model(model)
            ._default_manager.filter(id__in=visible_ids)
            .annotate(
                change_kind=Value(kind),
                change_reference=F("reference") if kind == "agreement" else Value(""),
                change_number=F(number) if number else Value(None, output_field=IntegerField()),
            )
            .values(*HISTORY_COLUMNS)
        )
    if connection.features.supports_slicing_ordering_in_compound:
        # PostgreSQL: each branch reads only its latest entries (history_date is indexed)
        # instead of every entry of every visible record.
        branches = [b.order_by("-history_date", "-history_id")[:limit] for b in branches]
    else:
        branches = [branch.order_by() for branch in branches]  # the compound alone is ordered
    first, *others = branches
    rows = first.union(*others, all=True).order_by("-history_date", "-history_id")[:limit]
    changes = []
    for row in rows:
        model = HISTORY_MODELS[row["change_kind"]]
        # A record built from the historical columns names itself and links to its page.
        record = model(pk=row["id"], title=row["title"])
        if row["change_kind"] == "agreement":
            record.reference = row["change_reference"]
        elif row["change_kind"] in HISTORY_NUMBERS:
            setattr(record, HISTORY_NUMBERS[row["change_kind"]], row["change_number"])
        author = " ".join(
            part
            for part in (row["history_user__first_name"], row["history_user__last_name"])
            if part
        )
        changes.append(
            {
                "record": record,
                "kind": model._meta.verbose_name,
                "type": row["history_type"],
                "date": row["history_date"],
                "reason": row["history_change_reason"],
                "author": author or row["history_user__username"],
            }
        )
    return changes


# Invitations to be a party ---------------------------------------------------------------


def pending_invitations(user):
    """The invitations the person answers (a coordinator: their organisation's), with who
    invited and the agreement's title and purpose: the agreement itself is not visible to
    them before they accept. No query for those who answer none."""
    return list(
        invitations_answered_by(
            AgreementParty.objects.invited().select_related(
                "agreement", "organisation", "invited_by__profile__organisation"
            ),
            user,
        ).order_by("-invited_at", "pk")[:LIST_LIMIT]
    )


# Experimentations awaiting a stage decision -------------------------------------------------


def experimentations_awaiting_decision(user):
    """In trial, evaluation or extension with the criteria of their next gate written."""
    return _first(
        Experimentation.objects.awaiting_decision()
        .visible_to(user)
        .select_related("agreement")
        .order_by(F("starts_on").asc(nulls_last=True), "title", "pk")
    )


def access_requests_waiting(user) -> int:
    """How many people who signed in with ProConnect wait for the person's decision (one
    count, only where single sign-on is on and the person decides requests)."""
    if not settings.OIDC_ENABLED or not user.has_perm("partnership.view_accessrequest"):
        return 0
    return (
        AccessRequest.objects.visible_to(user).filter(status=AccessRequest.Status.PENDING).count()
    )


def _programmes_section(user, today):
    programmes = current_programmes(user, today)
    for programme in programmes:
        programme.progress_drawing = drawn.programme_progress(programme)
    return fragments.partial("home.html#programmes", {"today": today, "programmes": programmes})


def _deliverables_section(user, today):
    deliverables, total, overdue = deliverables_due(user, today)
    for deliverable in deliverables:
        deliverable.drawing = drawn.deliverable_due(deliverable, today)
    context = {
        "deliverables": deliverables,
        "deliverable_total": total,
        "overdue_deliverable_total": overdue,
        "deliverable_days": DELIVERABLE_DAYS,
    }
    return fragments.partial("home.html#deliverables", context)


def _changes_section(user):
    changes = recent_changes(user)
    for change in changes:
        change["drawing"] = drawn.recent_change(change)
    return fragments.partial("home.html#changes", {"changes": changes})


def _ending_section(user, today):
    ending = ending_soon(user, today)
    for row in ending:
        row["drawing"] = drawn.ending_soon(row)
    return fragments.partial("home.html#ending", {"ending": ending, "ending_days": ENDING_DAYS})


def _stage_decisions_section(user):
    awaiting, total = experimentations_awaiting_decision(user)
    context = {"awaiting_decisions": awaiting, "awaiting_decision_total": total}
    return fragments.partial("home.html#stage_decisions", context)


# The tables each kept section is drawn from (partnership.core.fragments checks that it reads
# no other). Every one hangs from the agreements the person sees, decided by their parties.
_SCOPE_TABLES = tables_of(Agreement, AgreementParty)
SECTION_TABLES = {
    "programmes": _SCOPE_TABLES | tables_of(Programme, Action),
    "deliverables": _SCOPE_TABLES | tables_of(Deliverable, Action, Programme),
    "changes": _SCOPE_TABLES
    | tables_of(get_user_model(), *HISTORY_MODELS.values())
    | tables_of(*(historical_model(model) for model in HISTORY_MODELS.values())),
    "ending": _SCOPE_TABLES | tables_of(Convention),
    "stage_decisions": _SCOPE_TABLES | tables_of(Experimentation, StageCriterion),
}


def kept_sections(user, today):
    """The sections that show the same to everyone who sees the same agreements (not the
    person's own tasks, invitations or requests; not the meetings, which follow the hour),
    kept in the shared cache until a table they are drawn from changes."""
    draws = {
        "programmes": lambda: _programmes_section(user, today),
        "deliverables": lambda: _deliverables_section(user, today),
        "changes": lambda: _changes_section(user),
        "ending": lambda: _ending_section(user, today),
        "stage_decisions": lambda: _stage_decisions_section(user),
    }
    scope = scope_key(user)
    key = (scope, today.isoformat())
    return fragments.drawn(
        {
            name: fragments.Fragment(
                key=key,
                tables=SECTION_TABLES[name],
                draw=draw,
                parts=_agreement_parts(scope, SECTION_TABLES[name]),
            )
            for name, draw in draws.items()
        }
    )


def _agreement_parts(scope, tables) -> frozenset[str]:
    """The parts of the tables followed agreement by agreement (an action's edit) that the
    sections of a scope follow: its agreements'. A scope that is not a list of agreements
    (an administrator's: all of them) names none, and follows the writes for any."""
    if scope[0] != "agreements":
        return frozenset()
    return frozenset(
        fragments.part(table, "agreement", agreement)
        for table in tables
        if fragments.partition_of(table) == "agreement"
        for agreement in scope[1]
    )


@require_GET
def dashboard(request):
    user = request.user
    now = timezone.now()
    today = timezone.localdate(now)
    meetings, meeting_total = upcoming_meetings(user, now)
    tasks, task_total, overdue_task_total = my_open_tasks(user, today)
    sections = kept_sections(user, today)
    context = {
        "today": today,
        "sections": sections,
        "invitations": pending_invitations(user),
        "access_requests_waiting": access_requests_waiting(user),
        "programming_invitations": programming_invitations(user, today),
        "meetings": meetings,
        "meeting_total": meeting_total,
        "tasks": tasks,
        "task_total": task_total,
        "overdue_task_total": overdue_task_total,
        "meeting_days": MEETING_DAYS,
    }
    return sections.told(render(request, "home.html", context))
