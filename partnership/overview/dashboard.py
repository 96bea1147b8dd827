"""Staff pages: the home dashboard of the person logged in.

Everything on it goes through ``visible_to(user)``. One query per section, whatever the number of
records: counts come from conditional aggregates or window functions, and the recent
changes of the five historical tables come back in one UNION query.
"""

import datetime

from django.conf import settings
from django.db import connection
from django.db.models import Avg, Count, F, IntegerField, Q, Value, Window
from django.db.models.functions import ExtractMonth, ExtractYear
from django.shortcuts import render
from django.utils import formats, timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from conventions.models import Convention
from experimentations.models import Experimentation
from partnership.agreements.models import Agreement, AgreementParty
from partnership.core import reasons
from partnership.core.dates import long_day
from partnership.core.history import historical_model
from partnership.core.templatetags.partnership_tags import html_datetime, percent
from partnership.directory.models import AccessRequest
from partnership.meetings.models import FollowUpTask, Meeting
from partnership.programmes.models import Action, Deliverable, Programme
from partnership.programming.services import programming_invitations
from partnership.rules import invitations_answered_by

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
        programme.progress_drawing = _progress_drawing(programme)
    return programmes


def _progress_drawing(programme):
    """A programme's bar of its actions by status, its legend and its average progress, as the
    template drew them: its two loops over the statuses were a third of the dashboard's
    template (tests/test_drawn_in_python.py holds the template they must match)."""
    rects = "".join(
        f'<rect class="bar-{escape(segment["status"])}" x="{escape(segment["x"])}" y="0"'
        f' width="{escape(segment["width"])}" height="4"></rect>'
        for segment in programme.segments
        if segment["count"]
    )
    legend = "".join(
        '\n            <li class="list-inline-item"><span class="legend-swatch'
        f' bar-{escape(segment["status"])}" aria-hidden="true"></span>'
        f" {escape(capfirst(segment['label']))} <strong>{formats.localize(segment['count'])}"
        "</strong></li>\n            "
        for segment in programme.segments
    )
    count = programme.action_count
    # As {% blocktranslate %} does: its variables escaped, not the translation itself.
    total = ngettext("%(counter)s action:", "%(counter)s actions:", count) % {
        "counter": escape(formats.localize(count))
    }
    pk, value = formats.localize(programme.pk), formats.localize(programme.progress_value)
    figure = escape(percent(programme.progress_value))
    return mark_safe(  # noqa: S308 - every value is escaped
        '<svg class="status-bar mb-2" viewBox="0 0 100 4" preserveAspectRatio="none"'
        ' aria-hidden="true" focusable="false">\n'
        f"            {rects}\n"
        "          </svg>\n"
        '          <ul class="list-inline small mb-2" aria-label="'
        f'{escape(gettext("Actions by status"))}">\n'
        f'            <li class="list-inline-item">{total}</li>\n'
        f"            {legend}\n"
        "          </ul>\n"
        '          <div class="d-flex align-items-center gap-2 small">\n'
        f'            <label for="progress-{pk}" class="text-nowrap mb-0">'
        f"{escape(gettext('Average progress'))}</label>\n"
        f'            <progress id="progress-{pk}" class="dashboard-progress flex-grow-1"'
        f' max="100" value="{value}">{figure}</progress>\n'
        f'            <span class="text-nowrap">{figure}</span>\n'
        "          </div>"
    )


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
    for deliverable in deliverables:
        deliverable.drawing = _deliverable_drawing(deliverable, today)
    return deliverables, total, overdue


def _deliverable_drawing(deliverable, today):
    """A deliverable due: its action, agreement and due date, as the template drew them (in
    tests/test_drawn_in_python.py)."""
    due_on = deliverable.due_on
    overdue = (
        '<span class="badge overdue-badge"><i class="bi bi-exclamation-triangle"'
        f' aria-hidden="true"></i> {escape(gettext("Overdue"))}</span>'
        if due_on < today
        else ""
    )
    action = deliverable.action
    return mark_safe(  # noqa: S308 - every value is escaped
        "<span>\n"
        f'            <a href="{escape(deliverable.get_absolute_url())}"'
        f' class="text-wrap-anywhere">{escape(str(deliverable))}</a>\n'
        f'            <span class="d-block small text-body-secondary">{escape(str(action))} ·'
        f" {escape(action.programme.agreement.reference)}</span>\n"
        "          </span>\n"
        '          <span class="small text-nowrap">\n'
        f"            {overdue}\n"
        f'            <time datetime="{due_on.isoformat()}">'
        f"{escape(formats.date_format(due_on, 'SHORT_DATE_FORMAT'))}</time>\n"
        "          </span>"
    )


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
    for row in rows:
        row["drawing"] = _ending_drawing(row)
    return rows


def _ending_drawing(row):
    """A record ending soon, its kind, agreement and dates, as the template drew them (in
    tests/test_drawn_in_python.py)."""
    record = row["record"]
    where = escape(capfirst(row["kind"]))
    if getattr(record, "agreement_id", None):
        where += f" · {escape(record.agreement.reference)}"
    bold = ' class="fw-semibold"'
    notice = ""
    if row["notice_date"]:
        day = row["notice_date"]
        renewal = f" ({escape(gettext('tacit renewal otherwise'))})" if record.tacit_renewal else ""
        notice = (
            f"<li{bold if row['notice_soon'] else ''}>"
            f'{escape(gettext("Notice before"))} <time datetime="{day.isoformat()}">'
            f"{escape(long_day(day))}</time>{renewal}</li>"
        )
    ends_on = row["ends_on"]
    return mark_safe(  # noqa: S308 - every value is escaped
        f'<a href="{escape(record.get_absolute_url())}" class="text-wrap-anywhere">'
        f"{escape(str(record))}</a>\n"
        f'          <span class="d-block small text-body-secondary">{where}</span>\n'
        '          <ul class="list-unstyled small mb-0">\n'
        f"            {notice}\n"
        f"            <li{bold if row['end_soon'] else ''}>"
        f'{escape(gettext("Ends on"))} <time datetime="{ends_on.isoformat()}">'
        f"{escape(long_day(ends_on))}</time></li>\n"
        "          </ul>"
    )


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
        change = {
            "record": record,
            "kind": model._meta.verbose_name,
            "type": row["history_type"],
            "date": row["history_date"],
            "reason": row["history_change_reason"],
            "author": author or row["history_user__username"],
        }
        change["drawing"] = _change_drawing(change)
        changes.append(change)
    return changes


def _change_drawing(change):
    """One recent change: what, on which record, why, by whom and when, as the template drew
    it (in tests/test_drawn_in_python.py)."""
    record = change["record"]
    if change["type"] == "+":
        what = '<i class="bi bi-plus-circle text-success" aria-hidden="true"></i> '
        what += escape(gettext("Created"))
    else:
        what = '<i class="bi bi-pencil text-primary" aria-hidden="true"></i> '
        what += escape(gettext("Changed"))
    reason = ""
    if change["reason"]:
        reason = (
            '<span class="d-block fst-italic">'
            f"{escape(reasons.word(change['reason'], record))}</span>"
        )
    if change["author"]:
        # As {% blocktranslate %} does: its variables escaped, not the translation itself.
        by = gettext("by %(author)s") % {"author": escape(change["author"])}
    else:
        by = escape(gettext("by the system"))
    moment = change["date"]
    local = timezone.template_localtime(moment)
    return mark_safe(  # noqa: S308 - every value is escaped
        "<span>\n"
        f"            {what}\n"
        f'            · <span class="text-body-secondary">{escape(change["kind"])}</span>\n'
        f'            <a href="{escape(record.get_absolute_url())}" class="text-wrap-anywhere">'
        f"{escape(str(record))}</a>\n"
        f"            {reason}\n"
        "          </span>\n"
        '          <span class="text-body-secondary">\n'
        f"            {by},\n"
        f'            <time datetime="{escape(html_datetime(moment))}" class="text-nowrap">'
        f"{escape(formats.date_format(local, 'SHORT_DATETIME_FORMAT'))}</time>\n"
        "          </span>"
    )


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


@require_GET
def dashboard(request):
    user = request.user
    now = timezone.now()
    today = timezone.localdate(now)
    meetings, meeting_total = upcoming_meetings(user, now)
    tasks, task_total, overdue_task_total = my_open_tasks(user, today)
    deliverables, deliverable_total, overdue_total = deliverables_due(user, today)
    awaiting, awaiting_total = experimentations_awaiting_decision(user)
    context = {
        "today": today,
        "invitations": pending_invitations(user),
        "access_requests_waiting": access_requests_waiting(user),
        "programming_invitations": programming_invitations(user, today),
        "programmes": current_programmes(user, today),
        "action_statuses": Action.Status.choices,
        "meetings": meetings,
        "meeting_total": meeting_total,
        "tasks": tasks,
        "task_total": task_total,
        "overdue_task_total": overdue_task_total,
        "deliverables": deliverables,
        "deliverable_total": deliverable_total,
        "overdue_deliverable_total": overdue_total,
        "ending": ending_soon(user, today),
        "changes": recent_changes(user),
        "awaiting_decisions": awaiting,
        "awaiting_decision_total": awaiting_total,
        "meeting_days": MEETING_DAYS,
        "deliverable_days": DELIVERABLE_DAYS,
        "ending_days": ENDING_DAYS,
    }
    return render(request, "home.html", context)
