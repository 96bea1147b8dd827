"""Views people would rather look at than read: a programme's timeline and annual report
(with its CSV and spreadsheet exports), the exports of the action list, the meetings
calendar by month. Everything is drawn on the server (SVG, CSS classes) and prints.
"""

import calendar
import datetime
import re

from django.http import Http404
from django.utils import timezone
from django.utils.dates import MONTHS, WEEKDAYS
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.generic import TemplateView, View

from partnership.core import crud
from partnership.meetings.models import Meeting
from partnership.overview import exports, reports, timeline
from partnership.programmes.filters import ActionFilter
from partnership.programmes.models import Action
from partnership.programmes.views import ProgrammeMixin
from partnership.programming.views import (
    programming_data,
    programming_filter,
    visible_agreement,
    year_of,
)

# Programmes ---------------------------------------------------------------------------


class ProgrammeTimeline(ProgrammeMixin, crud.StaffDetailView):
    """Months across, one bar per action coloured by status, deliverables as milestones."""

    template_name = "partnership/programme_timeline.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        programme = self.object
        actions = list(
            programme.actions.select_related("lead_organisation").prefetch_related("deliverables")
        )
        context["timeline"] = timeline.build(programme, actions, timezone.localdate())
        context["statuses"] = Action.Status.choices
        return context


class ProgrammeReport(ProgrammeMixin, crud.StaffDetailView):
    """The annual report: the year's actions counted and charted, deliverables, meetings."""

    template_name = "partnership/programme_report.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["report"] = reports.programme_report(self.object)
        return context


def _filename(programme, extension):
    return f"programme-{slugify(programme.agreement.reference)}-{programme.year}.{extension}"


class ProgrammeReportExport(ProgrammeMixin, crud.StaffDetailView):
    """The annual report as a file: CSV (its actions) or a workbook (all its tables)."""

    extension = "csv"

    def render_to_response(self, context, **response_kwargs):
        programme = self.object
        actions = exports.actions_for_export(programme.actions.order_by("title", "pk"))
        if self.extension == "csv":
            return exports.csv_response(
                _filename(programme, "csv"),
                exports.action_columns(timezone.localdate(), with_programme=False),
                actions,
            )
        report = reports.programme_report(programme)
        return exports.xlsx_response(
            _filename(programme, "xlsx"), exports.report_sheets(programme, report, list(actions))
        )


# Joint actions ------------------------------------------------------------------------


class ActionListExport(View):
    """The action list, with the filters of the list page, as a file: every row, no paging."""

    extension = "csv"

    def get(self, request, *args, **kwargs):
        queryset = (
            Action.objects.all()
            .visible_to(request.user)
            .order_by("-programme__year", "programme__agreement__reference", "title", "pk")
        )
        action_filter = ActionFilter(request.GET, queryset=queryset, request=request)
        actions = exports.actions_for_export(action_filter.qs)
        today = timezone.localdate()
        filename = f"actions-{today:%Y-%m-%d}.{self.extension}"
        columns = exports.action_columns(today, with_programme=True)
        if self.extension == "csv":
            return exports.csv_response(filename, columns, actions)
        sheet = exports.Sheet(Action._meta.verbose_name_plural.capitalize(), columns, actions)
        return exports.xlsx_response(filename, [sheet])


# Each party's programming ---------------------------------------------------------------


class ProgrammingExport(View):
    """The side-by-side page of a year, with its filters, as a file: one row a project, with
    the projects it overlaps."""

    extension = "csv"

    def get(self, request, agreement_pk, year, extension):
        if extension not in ("csv", "xlsx"):
            raise Http404
        agreement = visible_agreement(request, agreement_pk)
        year = year_of({"year": year})
        projects, _overlaps = programming_data(programming_filter(request, agreement, year))
        projects.sort(key=lambda p: (p.organisation.name, p.theme.name if p.theme else "", p.title))
        filename = f"programmation-{agreement.reference}-{year}.{extension}"
        columns = exports.planned_project_columns()
        if extension == "csv":
            return exports.csv_response(filename, columns, projects)
        sheet = exports.Sheet(_("Programming %(year)s") % {"year": year}, columns, projects)
        return exports.xlsx_response(filename, [sheet])


# Meetings calendar --------------------------------------------------------------------

MONTH_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(value: str | None, today: datetime.date) -> datetime.date:
    """The first day of the month asked as ?mois=2026-11; this month if absent or invalid."""
    match = MONTH_PATTERN.match(value or "")
    if match:
        year, month = int(match[1]), int(match[2])
        if 2000 <= year <= 2100 and 1 <= month <= 12:
            return datetime.date(year, month, 1)
    return today.replace(day=1)


def _shift(month: datetime.date, by: int) -> datetime.date:
    index = month.year * 12 + month.month - 1 + by
    return datetime.date(index // 12, index % 12 + 1, 1)


class MeetingMonthCalendar(TemplateView):
    """The meetings one may see, on a month grid (weeks from Monday, Paris time)."""

    template_name = "partnership/reports/meeting_calendar.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        month = parse_month(self.request.GET.get("mois"), today)
        weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(month.year, month.month)
        first, last = weeks[0][0], weeks[-1][-1]
        zone = timezone.get_current_timezone()
        start = datetime.datetime.combine(first, datetime.time.min, tzinfo=zone)
        end = datetime.datetime.combine(last + datetime.timedelta(days=1), datetime.time.min, zone)
        meetings = (
            Meeting.objects.filter(starts_at__gte=start, starts_at__lt=end)
            .visible_to(self.request.user)
            .select_related("agreement")
            .order_by("starts_at", "pk")
        )
        by_day = {}
        for meeting in meetings:
            by_day.setdefault(timezone.localtime(meeting.starts_at).date(), []).append(meeting)
        previous_month, next_month = _shift(month, -1), _shift(month, 1)
        context.update(
            month=month,
            month_label=f"{MONTHS[month.month]} {month.year}",
            weeks=[
                [
                    {
                        "day": day,
                        "in_month": day.month == month.month,
                        "is_today": day == today,
                        "meetings": by_day.get(day, []),
                    }
                    for day in week
                ]
                for week in weeks
            ],
            weekdays=[WEEKDAYS[index] for index in range(7)],
            meeting_count=sum(
                len(items) for day, items in by_day.items() if day.month == month.month
            ),
            previous_month=previous_month,
            next_month=next_month,
            this_month=today.replace(day=1),
            statuses=Meeting.Status,
        )
        return context
