"""CSV and spreadsheet (XLSX) exports: the annual programme and the list of actions.

Both formats share the column definitions below, so a column has one French header and one
type. The spreadsheet keeps the types (dates as dates, numbers as numbers, percentages as
percentages) so LibreOffice and Excel sort and sum them; the CSV is written for French Excel:
UTF-8 with a byte order mark, ';' between fields, dates as dd/mm/yyyy, a decimal comma.
A text that a spreadsheet would run as a formula (=, +, -, @ first) is neutralised.
"""

import csv
import datetime
import decimal
import io
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Prefetch
from django.http import HttpResponse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from partnership.core.remembered import content_key, remembered
from partnership.meetings.models import Meeting
from partnership.programmes.models import Action, Deliverable
from partnership.programming.models import PlannedProject

TEXT, DATE, DATETIME = "text", "date", "datetime"
INTEGER, DECIMAL, MONEY, PERCENT = "integer", "decimal", "money", "%"
NUMBER_FORMATS = {
    DATE: "DD/MM/YYYY",
    DATETIME: "DD/MM/YYYY HH:MM",
    # Grouped by thousands like every page ("1 212,5"): the spreadsheet shows its own separator.
    INTEGER: "#,##0",
    DECIMAL: "#,##0.0",
    MONEY: '#,##0.00 "€"',
    PERCENT: "0%",
}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Column:
    header: str
    value: Callable
    kind: str = TEXT
    width: int = 14


def _field(model, name):
    return capfirst(model._meta.get_field(name).verbose_name)


def _label(model, name) -> Callable:
    """A choice's label, capitalised, from a table made once per export rather than by
    get_FOO_display() on every row (it hashes the choices each time)."""
    labels = {
        value: capfirst(str(label)) for value, label in model._meta.get_field(name).flatchoices
    }

    def label(obj):
        value = getattr(obj, name)
        return labels[value] if value in labels else capfirst(value)

    return label


def _sum(items, attribute):
    return sum((getattr(item, attribute) for item in items), decimal.Decimal(0))


def _late(action, today):
    return sum(
        1
        for d in action.deliverables.all()
        if (d.delivered_on and d.due_on and d.delivered_on > d.due_on)
        or (not d.delivered_on and d.due_on and d.due_on < today)
    )


def action_columns(today: datetime.date, *, with_programme: bool) -> list[Column]:
    columns = []
    if with_programme:
        columns += [
            Column(_("Agreement"), lambda a: a.programme.agreement.reference, width=18),
            Column(_("Year"), lambda a: a.programme.year, INTEGER, width=8),
        ]
    columns += [
        Column(_field(Action, "title"), lambda a: a.title, width=45),
        Column(_field(Action, "kind"), _label(Action, "kind"), width=22),
        Column(_field(Action, "theme"), lambda a: a.theme.name if a.theme else "", width=24),
        Column(_field(Action, "lead_organisation"), lambda a: str(a.lead_organisation), width=28),
        Column(
            _field(Action, "partners"),
            lambda a: ", ".join(str(o) for o in a.partners.all()),
            width=30,
        ),
        Column(_field(Action, "status"), _label(Action, "status"), width=12),
        Column(_field(Action, "progress"), lambda a: a.progress, PERCENT, width=13),
        Column(_field(Action, "planned_start"), lambda a: a.planned_start, DATE, width=12),
        Column(_field(Action, "planned_end"), lambda a: a.planned_end, DATE, width=12),
        Column(_("Deliverables"), lambda a: len(a.deliverables.all()), INTEGER, width=11),
        Column(
            _("Delivered"),
            lambda a: sum(1 for d in a.deliverables.all() if d.delivered_on),
            INTEGER,
            width=10,
        ),
        Column(_("Late"), lambda a: _late(a, today), INTEGER, width=8),
        Column(
            _("Person-days"), lambda a: _sum(a.resources.all(), "person_days"), DECIMAL, width=13
        ),
        Column(_("Budget (€)"), lambda a: _sum(a.resources.all(), "budget"), MONEY, width=14),
        Column(
            _field(Action, "convention"),
            lambda a: str(a.convention) if a.convention_id else "",
            width=30,
        ),
        Column(
            _("Continues (year)"),
            lambda a: a.continues.programme.year if a.continues_id else None,
            INTEGER,
            width=10,
        ),
    ]
    return columns


def actions_for_export(queryset):
    """The actions with all the export reads, in a fixed number of queries."""
    return queryset.select_related(
        "programme__agreement", "lead_organisation", "theme", "convention", "continues__programme"
    ).prefetch_related(
        "partners",
        "resources",
        Prefetch("deliverables", Deliverable.objects.order_by("due_on", "pk")),
    )


def report_sheets(programme, report: dict, actions) -> list["Sheet"]:
    """The workbook of the annual report: its actions, the breakdowns, deliverables, meetings."""
    today = report["today"]
    summary = []
    for section, key in (
        (_("Status"), "by_status"),
        (_("Kind"), "by_kind"),
        (_("Theme"), "by_theme"),
        (_("Lead organisation"), "by_lead"),
        (_("Deliverables"), "deliverable_states"),
    ):
        summary += [(str(section), line) for line in report[key]]
    deliverables = report["deliverables"]
    states = {line.key: line.label for line in report["deliverable_states"]}
    return [
        Sheet(_("Actions"), action_columns(today, with_programme=False), actions),
        Sheet(
            _("Summary"),
            [
                Column(_("Breakdown"), lambda row: row[0], width=22),
                Column(_("Value"), lambda row: capfirst(row[1].label), width=40),
                Column(_("Number"), lambda row: row[1].count, INTEGER, width=10),
                Column(_("Share"), lambda row: row[1].percent, PERCENT, width=10),
            ],
            summary,
        ),
        Sheet(
            _("Deliverables"),
            [
                Column(_("Action"), lambda d: d.action.title, width=40),
                Column(_field(Deliverable, "title"), lambda d: d.title, width=40),
                Column(_field(Deliverable, "kind"), _label(Deliverable, "kind")),
                Column(_field(Deliverable, "due_on"), lambda d: d.due_on, DATE, width=12),
                Column(
                    _field(Deliverable, "delivered_on"), lambda d: d.delivered_on, DATE, width=12
                ),
                Column(_("State"), lambda d: capfirst(states[d.state]), width=18),
            ],
            deliverables,
        ),
        Sheet(
            _("Meetings held"),
            [
                Column(_("Date"), lambda m: m.starts_at, DATETIME, width=17),
                Column(_("Title"), lambda m: m.title, width=45),
                Column(_("Kind"), _label(Meeting, "kind"), width=24),
                Column(_("Status"), _label(Meeting, "status"), width=18),
                Column(_("Actions reviewed"), lambda m: m.review_count, INTEGER, width=12),
            ],
            report["meetings"],
        ),
    ]


# Cells ------------------------------------------------------------------------------------


def _safe_text(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def csv_cell(kind: str, value):
    if value is None or value == "":
        return ""
    if kind == DATE:
        return value.strftime("%d/%m/%Y")
    if kind == DATETIME:
        return timezone.localtime(value).strftime("%d/%m/%Y %H:%M")
    if kind in (DECIMAL, MONEY):
        return f"{decimal.Decimal(value):.{1 if kind == DECIMAL else 2}f}".replace(".", ",")
    if kind in (INTEGER, PERCENT):
        return str(value)
    return _safe_text(str(value))


def xlsx_cell(kind: str, value):
    if value is None or value == "":
        return None
    if kind == PERCENT:
        return value / 100
    if kind == DATETIME:
        return timezone.localtime(value).replace(tzinfo=None)  # Paris time, as shown
    if kind in (DECIMAL, MONEY):
        return float(value)
    if kind == TEXT:
        return str(value)
    return value


# Responses ----------------------------------------------------------------------------------


def _disposition(filename: str) -> str:
    return f'attachment; filename="{filename}"'


def csv_response(filename: str, columns: list[Column], objects) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = _disposition(filename)
    response.write("\ufeff")  # the byte order mark: Excel then reads UTF-8
    writer = csv.writer(response, delimiter=";", lineterminator="\r\n")
    writer.writerow([str(column.header) for column in columns])
    for obj in objects:
        writer.writerow([csv_cell(column.kind, column.value(obj)) for column in columns])
    return response


@dataclass
class Sheet:
    title: str
    columns: list[Column]
    objects: list


HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="0B3D6E")


def table(sheet: Sheet) -> tuple:
    """What a sheet of the file holds, as plain values: its title, its columns (header, kind,
    width) and the value of each cell as written (``xlsx_cell``)."""
    columns = sheet.columns
    return (
        _sheet_title(str(sheet.title)),
        tuple((str(column.header), column.kind, column.width) for column in columns),
        [
            tuple(xlsx_cell(column.kind, column.value(obj)) for column in columns)
            for obj in sheet.objects
        ],
    )


def workbook(tables: list[tuple]) -> Workbook:
    """The sheets (``table``) streamed row by row: openpyxl's write-only mode keeps no grid of
    cells and costs a fraction of the default mode, for the same file. That mode wants the
    widths and the frozen header before the first row, and a styled cell built for each
    styled value."""
    book = Workbook(write_only=True)
    for title, columns, rows in tables:
        ws = book.create_sheet(title)
        size = f"A1:{get_column_letter(len(columns))}{len(rows) + 1}"
        # The size the default mode declared (<dimension>): readers in read-only mode
        # (openpyxl's, hence pandas') go by it; the write-only mode leaves it out.
        ws.calculate_dimension = lambda size=size: size
        for index, (_header, _kind, width) in enumerate(columns, start=1):
            ws.column_dimensions[get_column_letter(index)].width = width
        ws.freeze_panes = "A2"
        if rows:
            ws.auto_filter.ref = size
        ws.append([_header_cell(ws, header) for header, _kind, _width in columns])
        makers = [_cell_maker(ws, kind) for _header, kind, _width in columns]
        for row in rows:
            ws.append([make(value) for make, value in zip(makers, row, strict=True)])
    book.properties.creator = "Suivi du partenariat Anact–INRS"
    book.properties.created = timezone.now().replace(tzinfo=None)
    return book


HEADER_ALIGNMENT = Alignment(vertical="center", wrap_text=True)


def _header_cell(ws, header: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, header)
    cell.font = HEADER_FONT
    cell.fill = HEADER_FILL
    cell.alignment = HEADER_ALIGNMENT
    return cell


def _cell_maker(ws, kind: str) -> Callable:
    """What a column's value becomes in a row: a cell with its number format (an empty one
    too, as before), a text as it is unless it reads as a formula, then a cell kept a text."""
    number_format = NUMBER_FORMATS.get(kind)
    if number_format:

        def formatted(value):
            cell = WriteOnlyCell(ws, value)
            cell.number_format = number_format
            return cell

        return formatted

    def text(value):
        if value is not None and value.startswith("="):
            cell = WriteOnlyCell(ws, value)
            cell.data_type = "s"  # a title starting with "=" stays a text
            return cell
        return value

    return text


def _xlsx_bytes(tables) -> bytes:
    buffer = io.BytesIO()
    workbook(tables).save(buffer)
    return buffer.getvalue()


def _sheet_title(title: str) -> str:
    for character in "[]:*?/\\":
        title = title.replace(character, " ")
    return title[:31]


# Bumped when the way a file is written changes: the files kept by the previous code are then
# left to expire.
XLSX_VERSION = 1


def xlsx_response(filename: str, sheets: list[Sheet]) -> HttpResponse:
    """The spreadsheet of the sheets. Writing it is most of its cost, and the file is a
    function of its cells: it is kept in the shared cache under a digest of them
    (``remembered``), so the same report asked again, on any server, is not written again,
    and any change to what it shows gives other cells, hence another key. Its "created"
    property is the time it was first written."""
    tables = [table(sheet) for sheet in sheets]
    content = remembered(content_key("xlsx", XLSX_VERSION, tables), lambda: _xlsx_bytes(tables))
    response = HttpResponse(content, content_type=XLSX_TYPE)
    response["Content-Disposition"] = _disposition(filename)
    return response


# Each party's programming ---------------------------------------------------------------


def _overlap_titles(project):
    return " | ".join(
        f"{other.title} ({other.organisation.acronym or other.organisation})"
        for other in getattr(project, "overlaps_with", [])
    )


def planned_project_columns() -> list[Column]:
    P = PlannedProject  # noqa: N806
    return [
        Column(_field(P, "organisation"), lambda p: p.organisation.acronym or p.organisation.name),
        Column(_field(P, "year"), lambda p: p.year, INTEGER, 8),
        Column(_field(P, "theme"), lambda p: p.theme.name if p.theme else "", width=24),
        Column(_field(P, "sector"), _label(P, "sector"), width=20),
        Column(_field(P, "priority"), _label(P, "priority"), width=24),
        Column(_field(P, "title"), lambda p: p.title, width=40),
        Column(_field(P, "summary"), lambda p: p.summary, width=50),
        Column(_field(P, "kind"), _label(P, "kind"), width=18),
        Column(_field(P, "certainty"), _label(P, "certainty")),
        Column(_field(P, "planned_start"), lambda p: p.planned_start, DATE, 12),
        Column(_field(P, "planned_end"), lambda p: p.planned_end, DATE, 12),
        Column(
            _field(P, "contact"),
            lambda p: (p.contact.get_full_name() or p.contact.username) if p.contact else "",
            width=20,
        ),
        Column(_("Overlaps with"), _overlap_titles, width=50),
        Column(
            _field(P, "joint_action"),
            lambda p: p.joint_action.title if p.joint_action else "",
            width=40,
        ),
        Column(_field(P, "coordinated"), lambda p: _("yes") if p.coordinated else ""),
        Column(_field(P, "coordination_note"), lambda p: p.coordination_note, width=40),
    ]
