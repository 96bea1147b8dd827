"""The annual report of a programme (bilan chiffré): what the year's actions were and produced.

Actions by kind, theme, lead organisation and status, the deliverables delivered (on time or
late) and those overdue, the resources each organisation put in, and the meetings of the
agreement held during the year. A handful of queries whatever the size of the programme: the
actions are read once as plain values and counted here.
"""

import datetime
from collections import Counter
from dataclasses import dataclass

from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from partnership.meetings.models import Meeting
from partnership.programmes.models import Action, ActionResource, Deliverable


def _share(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0


def _width(part, largest) -> str:
    return f"{100 * part / largest:.1f}" if largest else "0"


@dataclass
class Line:
    key: str
    label: str
    count: int
    percent: int
    width: str  # of the bar, in the 0-100 units of its chart


def breakdown(counts: Counter, labels: dict, total: int, order=None) -> list[Line]:
    """Lines of a chart: each value with its count, its share of the total, its bar."""
    keys = list(order) if order is not None else sorted(counts, key=lambda k: (-counts[k], k))
    largest = max(counts.values(), default=0)
    return [
        Line(
            key=str(key),
            label=str(labels.get(key, key)),
            count=counts.get(key, 0),
            percent=_share(counts.get(key, 0), total),
            width=_width(counts.get(key, 0), largest),
        )
        for key in keys
    ]


def deliverable_state(deliverable, today: datetime.date) -> str:
    """delivered (on time), delivered_late, overdue (due and not delivered), upcoming."""
    if deliverable.delivered_on:
        if deliverable.due_on and deliverable.delivered_on > deliverable.due_on:
            return "delivered_late"
        return "delivered"
    if deliverable.due_on and deliverable.due_on < today:
        return "overdue"
    return "upcoming"


DELIVERABLE_STATES = {
    "delivered": gettext_lazy("delivered on time"),
    "delivered_late": gettext_lazy("delivered late"),
    "overdue": gettext_lazy("overdue"),
    "upcoming": gettext_lazy("to come"),
}


def year_bounds(year: int):
    """The programme's year as aware datetimes, in Paris time."""
    zone = timezone.get_current_timezone()
    return (
        datetime.datetime(year, 1, 1, tzinfo=zone),
        datetime.datetime(year + 1, 1, 1, tzinfo=zone),
    )


def held_meetings(programme):
    start, end = year_bounds(programme.year)
    return (
        Meeting.objects.held()
        .filter(agreement_id=programme.agreement_id, starts_at__gte=start, starts_at__lt=end)
        .annotate(
            review_count=Count(
                "action_reviews", filter=Q(action_reviews__action__programme=programme)
            ),
        )
        .order_by("starts_at", "pk")
    )


def programme_report(programme, today: datetime.date | None = None) -> dict:
    today = today or timezone.localdate()
    rows = list(
        programme.actions.values(
            "status",
            "kind",
            "progress",
            "theme__name",
            "lead_organisation__name",
            "lead_organisation__acronym",
        )
    )
    total = len(rows)
    no_theme = _("No theme")
    by_status = Counter(row["status"] for row in rows)
    by_kind = Counter(row["kind"] for row in rows)
    by_theme = Counter(row["theme__name"] or no_theme for row in rows)
    by_lead = Counter(
        row["lead_organisation__acronym"] or row["lead_organisation__name"] for row in rows
    )

    deliverables = list(
        Deliverable.objects.filter(action__programme=programme)
        .select_related("action")
        .order_by("due_on", "title", "pk")
    )
    for deliverable in deliverables:
        deliverable.state = deliverable_state(deliverable, today)
    by_state = Counter(d.state for d in deliverables)

    resources = list(
        ActionResource.objects.filter(action__programme=programme)
        .values("organisation__name")
        .annotate(person_days=Sum("person_days"), budget=Sum("budget"))
        .order_by("organisation__name")
    )

    meetings = list(held_meetings(programme))
    return {
        "today": today,
        "action_total": total,
        "average_progress": round(sum(row["progress"] for row in rows) / total) if total else 0,
        "finished": by_status[Action.Status.COMPLETED],
        "by_status": breakdown(
            by_status, dict(Action.Status.choices), total, order=Action.Status.values
        ),
        "by_kind": [
            line
            for line in breakdown(by_kind, dict(Action.Kind.choices), total, Action.Kind.values)
            if line.count
        ],
        "by_theme": breakdown(by_theme, {}, total),
        "by_lead": breakdown(by_lead, {}, total),
        "deliverables": deliverables,
        "deliverable_total": len(deliverables),
        "deliverable_states": breakdown(
            by_state, DELIVERABLE_STATES, len(deliverables), order=list(DELIVERABLE_STATES)
        ),
        "deliverable_segments": _segments(by_state, len(deliverables)),
        "late_deliverables": [d for d in deliverables if d.state in ("overdue", "delivered_late")],
        "resources": resources,
        "total_person_days": sum(r["person_days"] or 0 for r in resources),
        "total_budget": sum(r["budget"] or 0 for r in resources),
        "meetings": meetings,
    }


def _segments(by_state: Counter, total: int) -> list[dict]:
    """The stacked bar of the deliverables, in the 0-100 units of its chart."""
    segments, x = [], 0.0
    for state in DELIVERABLE_STATES:
        width = 100 * by_state.get(state, 0) / total if total else 0
        if width:
            segments.append({"state": state, "x": f"{x:.2f}", "width": f"{width:.2f}"})
        x += width
    return segments
