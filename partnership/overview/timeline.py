"""The timeline of a programme (a Gantt chart), laid out on the server as an inline SVG.

Months run across the programme's year, one row per action (grouped by lead organisation:
each party's chantiers), a bar from its planned start to its planned end coloured by its
status, its deliverables as milestones (diamonds) on the row, today as a vertical line.
The geometry is computed here in SVG units and handed to the template as strings, so no
number goes through the French localisation of the template (a decimal comma would break
the SVG); colours come from CSS classes (no inline style, see the CSP).
"""

import calendar
import datetime
from dataclasses import dataclass, field

from django.utils.dates import MONTHS_AP
from django.utils.text import Truncator, capfirst

WIDTH = 1200  # the viewBox width; the SVG scales to the width of the page
LABEL_WIDTH = 330  # the column of the action titles
RIGHT_MARGIN = 14
HEADER_HEIGHT = 34
GROUP_HEIGHT = 26
ROW_HEIGHT = 26
BAR_HEIGHT = 14
MILESTONE_SIZE = 7
LABEL_CHARS = 46


def _n(value: float) -> str:
    return f"{value:.1f}"


@dataclass
class Milestone:
    title: str
    day: datetime.date
    state: str  # delivered, late (overdue or delivered after its due date), due
    x: str
    points: str


@dataclass
class Row:
    action: object
    label: str
    y: str
    text_y: str
    bar: dict | None
    progress_width: str | None
    starts_before: bool
    ends_after: bool
    arrows: list = field(default_factory=list)  # the bar goes on before or after the year
    milestones: list = field(default_factory=list)


@dataclass
class Group:
    label: str
    y: str
    text_y: str
    rows: list = field(default_factory=list)


@dataclass
class Timeline:
    year: int
    width: int
    height: str
    label_width: int
    chart_right: str
    months: list
    groups: list
    today_x: str | None
    today: datetime.date
    header_y: str
    bottom: str
    action_count: int


class _Scale:
    def __init__(self, year: int):
        self.start = datetime.date(year, 1, 1)
        self.end = datetime.date(year, 12, 31)
        self.days = (self.end - self.start).days + 1
        self.left = LABEL_WIDTH
        self.right = WIDTH - RIGHT_MARGIN

    def x(self, day: datetime.date, *, end_of_day=False) -> float:
        offset = (day - self.start).days + (1 if end_of_day else 0)
        offset = min(max(offset, 0), self.days)
        return self.left + (self.right - self.left) * offset / self.days

    def within(self, day: datetime.date) -> bool:
        return self.start <= day <= self.end


def _milestone_state(deliverable, today):
    if deliverable.delivered_on:
        if deliverable.due_on and deliverable.delivered_on > deliverable.due_on:
            return "late"
        return "delivered"
    if deliverable.due_on and deliverable.due_on < today:
        return "late"
    return "due"


def build(programme, actions, today: datetime.date) -> Timeline:
    """The timeline of ``actions`` (with lead organisation and deliverables prefetched)."""
    scale = _Scale(programme.year)
    months = []
    for month in range(1, 13):
        first = datetime.date(programme.year, month, 1)
        last = datetime.date(programme.year, month, calendar.monthrange(programme.year, month)[1])
        left, right = scale.x(first), scale.x(last, end_of_day=True)
        months.append(
            {
                "label": capfirst(str(MONTHS_AP[month])),
                "x": _n(left),
                "width": _n(right - left),
                "text_x": _n((left + right) / 2),
                "odd": month % 2 == 1,
            }
        )

    by_lead = {}
    for action in actions:
        by_lead.setdefault(action.lead_organisation, []).append(action)

    groups = []
    y = HEADER_HEIGHT
    for organisation in sorted(by_lead, key=lambda o: (o.name or "").lower()):
        group = Group(label=str(organisation), y=_n(y), text_y=_n(y + GROUP_HEIGHT - 8))
        y += GROUP_HEIGHT
        rows = sorted(
            by_lead[organisation],
            key=lambda a: (a.planned_start or scale.start, a.planned_end or scale.end, a.title),
        )
        for action in rows:
            group.rows.append(_row(action, y, scale, today))
            y += ROW_HEIGHT
        groups.append(group)

    return Timeline(
        year=programme.year,
        width=WIDTH,
        height=_n(y + 8),
        label_width=LABEL_WIDTH,
        chart_right=_n(scale.right),
        months=months,
        groups=groups,
        today_x=_n(scale.x(today) + (scale.x(today, end_of_day=True) - scale.x(today)) / 2)
        if scale.within(today)
        else None,
        today=today,
        header_y=_n(HEADER_HEIGHT - 12),
        bottom=_n(y),
        action_count=len(actions),
    )


def _row(action, y, scale, today) -> Row:
    middle = y + ROW_HEIGHT / 2
    start = action.planned_start or scale.start
    end = action.planned_end or scale.end
    bar = None
    progress_width = None
    starts_before = ends_after = False
    arrows = []
    planned = action.planned_start or action.planned_end
    if planned and end >= scale.start and start <= scale.end:
        left = scale.x(start)
        right = max(scale.x(end, end_of_day=True), left + 2)
        bar = {
            "x": _n(left),
            "y": _n(middle - BAR_HEIGHT / 2),
            "width": _n(right - left),
            "height": _n(BAR_HEIGHT),
        }
        if action.progress:
            progress_width = _n((right - left) * action.progress / 100)
        starts_before = start < scale.start
        ends_after = end > scale.end
        top, bottom = middle - BAR_HEIGHT / 2 - 2, middle + BAR_HEIGHT / 2 + 2
        if starts_before:
            tip = left - 8
            arrows.append(f"{_n(left)},{_n(top)} {_n(tip)},{_n(middle)} {_n(left)},{_n(bottom)}")
        if ends_after:
            tip = right + 8
            arrows.append(f"{_n(right)},{_n(top)} {_n(tip)},{_n(middle)} {_n(right)},{_n(bottom)}")
    milestones = []
    for deliverable in action.deliverables.all():
        day = deliverable.delivered_on or deliverable.due_on
        if day is None or not scale.within(day):
            continue
        x = scale.x(day) + (scale.x(day, end_of_day=True) - scale.x(day)) / 2
        size = MILESTONE_SIZE
        points = " ".join(
            f"{_n(px)},{_n(py)}"
            for px, py in (
                (x, middle - size),
                (x + size, middle),
                (x, middle + size),
                (x - size, middle),
            )
        )
        milestones.append(
            Milestone(
                title=deliverable.title,
                day=day,
                state=_milestone_state(deliverable, today),
                x=_n(x),
                points=points,
            )
        )
    return Row(
        action=action,
        label=Truncator(action.title).chars(LABEL_CHARS),
        y=_n(y),
        text_y=_n(middle + 4),
        bar=bar,
        progress_width=progress_width,
        starts_before=starts_before,
        ends_after=ends_after,
        arrows=arrows,
        milestones=milestones,
    )
