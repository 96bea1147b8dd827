"""Reading a table (a CSV text or the first sheet of an XLSX workbook) within fixed bounds.

A file says how big it is, and may lie: an XLSX sheet of 2 KB can declare 16,384 columns by
1,048,576 rows, and a reader that trusts the declaration builds every empty cell in between.
Here nothing declared is trusted. The XLSX parts are read with expat, as a stream, and only
the cells actually written are kept (a row is a dict ``{column index: text}``); every XML
element, every cell and every non-blank row counts against ``Limits``, and reading stops
with ``LimitExceeded`` as soon as one is passed, so what a file costs is bounded by the
limits, not by the file. A document type declaration (the door to entity expansion) is
refused. A CSV text is cut into fields by the ``csv`` module with the same limits.

The caller turns ``LimitExceeded`` (which limit, its value) and ``Unreadable`` into its own
words.
"""

import contextlib
import csv
import datetime
import io
import posixpath
import re
import zipfile
from dataclasses import dataclass
from xml.parsers import expat

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel


@dataclass(frozen=True)
class Limits:
    max_rows: int  # non-blank rows, the line of column names included
    max_cells: int  # cells read, empty ones included (a CSV's fields)
    max_elements: int  # XML elements read, all the workbook's parts together
    max_uncompressed: int  # bytes of the XLSX once inflated
    max_cell_length: int  # characters kept of a cell (the caller refuses longer ones)
    blank_run_end: int  # so many blank lines in a row: the table has ended


class LimitExceeded(Exception):
    """The file passes one of the limits: ``kind`` is the name of the ``Limits`` field."""

    def __init__(self, kind: str, limit: int):
        super().__init__(f"{kind} > {limit}")
        self.kind = kind
        self.limit = limit


class Unreadable(Exception):
    """Not a table this module can read."""


class _Stop(Exception):
    """The table has ended: stop parsing."""


Rows = list[tuple[int, dict[int, str]]]  # (line number, {column index from 0: text})

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
MAX_LINE = 1_048_576  # the last row of a sheet
CELL_REFERENCE = re.compile(r"([A-Z]{1,3})([0-9]{1,7})$")
CHUNK = 64 * 1024


# XLSX -----------------------------------------------------------------------------------


class _Budget:
    def __init__(self, limits: Limits):
        self.limits = limits
        self.elements = 0

    def element(self):
        self.elements += 1
        if self.elements > self.limits.max_elements:
            raise LimitExceeded("max_elements", self.limits.max_elements)


def _refuse_declarations(*args):
    raise Unreadable("document type declaration")


def _parse(archive, name, budget, start, end=None, text=None):
    """Stream the XML part ``name`` through the handlers (tags as "namespace local")."""
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartDoctypeDeclHandler = _refuse_declarations
    parser.EntityDeclHandler = _refuse_declarations
    parser.ExternalEntityRefHandler = _refuse_declarations

    def on_start(tag, attributes):
        budget.element()
        start(tag, attributes)

    parser.StartElementHandler = on_start
    if end is not None:
        parser.EndElementHandler = end
    if text is not None:
        parser.CharacterDataHandler = text
        parser.buffer_text = True
    try:
        with archive.open(name) as part:
            while chunk := part.read(CHUNK):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except _Stop:
        pass
    except expat.ExpatError as error:
        raise Unreadable(f"{name}: {error}") from None


def _first_sheet(archive, budget) -> tuple[str, bool]:
    """The path of the workbook's first sheet, and whether its dates count from 1904."""
    found = {"rid": None, "date1904": False, "targets": {}}

    def workbook_start(tag, attributes):
        if tag == f"{MAIN} sheet" and found["rid"] is None:
            found["rid"] = attributes.get(f"{RELATIONSHIPS} id")
        elif tag == f"{MAIN} workbookPr":
            found["date1904"] = attributes.get("date1904", "").lower() in ("1", "true")

    def relationships_start(tag, attributes):
        if tag == f"{PACKAGE_RELATIONSHIPS} Relationship":
            found["targets"][attributes.get("Id")] = attributes.get("Target", "")

    _parse(archive, "xl/workbook.xml", budget, workbook_start)
    names = set(archive.namelist())
    if "xl/_rels/workbook.xml.rels" in names:
        _parse(archive, "xl/_rels/workbook.xml.rels", budget, relationships_start)
    target = found["targets"].get(found["rid"])
    if target:
        path = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
        path = posixpath.normpath(path)
    else:
        path = "xl/worksheets/sheet1.xml"
    if path not in names:
        raise Unreadable("no sheet")
    return path, found["date1904"]


def _date_styles(archive, budget) -> set[int]:
    """The cell styles (their index) whose number format is a date."""
    if "xl/styles.xml" not in archive.namelist():
        return set()
    custom, formats, inside = {}, [], {"cellXfs": False}

    def start(tag, attributes):
        local = tag.rpartition(" ")[2]
        if local == "numFmt":
            with contextlib.suppress(ValueError):
                custom[int(attributes.get("numFmtId", ""))] = attributes.get("formatCode", "")
        elif local == "cellXfs":
            inside["cellXfs"] = True
        elif local == "xf" and inside["cellXfs"]:
            try:
                formats.append(int(attributes.get("numFmtId", "0")))
            except ValueError:
                formats.append(0)

    def end(tag):
        if tag.rpartition(" ")[2] == "cellXfs":
            inside["cellXfs"] = False

    _parse(archive, "xl/styles.xml", budget, start, end)
    dates = set()
    for index, format_id in enumerate(formats):
        code = custom.get(format_id, BUILTIN_FORMATS.get(format_id, ""))
        if code and is_date_format(code):
            dates.add(index)
    return dates


def _column(reference: str | None, previous: int) -> int:
    if not reference:
        return previous + 1
    match = CELL_REFERENCE.match(reference.upper())
    if match is None:
        raise Unreadable(f"cell reference {reference[:20]!r}")
    index = 0
    for letter in match.group(1):
        index = index * 26 + ord(letter) - ord("A") + 1
    return index - 1


class _SheetReader:
    """The handlers that read a sheet's rows: only the cells written, within the limits."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.rows: list[tuple[int, dict]] = []  # values: text, or ("s", index) or ("n", ...)
        self.cells = 0
        self.line = 0
        self.last_kept_line = 0  # blank rows since: the table may have ended
        self.row = None
        self.column = -1
        self.cell = None
        self.capture = False
        self.phonetic = 0
        self.shared_needed: set[int] = set()

    def start(self, tag, attributes):
        local = tag.rpartition(" ")[2]
        if local == "row":
            line = attributes.get("r")
            previous = self.line
            try:
                self.line = int(line) if line else previous + 1
            except ValueError:
                raise Unreadable(f"row number {line[:20]!r}") from None
            if not previous < self.line <= MAX_LINE:
                raise Unreadable(f"row number {self.line}")
            if self.line - self.last_kept_line > self.limits.blank_run_end:
                raise _Stop
            self.row = {}
            self.column = -1
        elif local == "c" and self.row is not None:
            self.cells += 1
            if self.cells > self.limits.max_cells:
                raise LimitExceeded("max_cells", self.limits.max_cells)
            self.column = _column(attributes.get("r"), self.column)
            self.cell = {"t": attributes.get("t", "n"), "s": attributes.get("s"), "text": []}
        elif self.cell is not None:
            if local == "rPh":
                self.phonetic += 1
            elif local == "v" or (local == "t" and not self.phonetic):
                self.capture = True

    def end(self, tag):
        local = tag.rpartition(" ")[2]
        if local in ("v", "t"):
            self.capture = False
        elif local == "rPh":
            self.phonetic -= 1
        elif local == "c" and self.cell is not None:
            self._keep_cell()
            self.cell = None
        elif local == "row" and self.row is not None:
            if self.row:
                self.rows.append((self.line, self.row))
                self.last_kept_line = self.line
                if len(self.rows) > self.limits.max_rows:
                    raise LimitExceeded("max_rows", self.limits.max_rows)
            self.row = None

    def text(self, data):
        if self.capture:
            pieces = self.cell["text"]
            if sum(map(len, pieces)) <= self.limits.max_cell_length:
                pieces.append(data)

    def _keep_cell(self):
        raw = "".join(self.cell["text"])
        kind = self.cell["t"]
        if kind == "s":
            try:
                index = int(raw)
            except ValueError:
                raise Unreadable(f"shared string {raw[:20]!r}") from None
            self.shared_needed.add(index)
            self.row[self.column] = ("s", index)
        elif kind == "n" and raw.strip():
            self.row[self.column] = ("n", raw.strip(), self.cell["s"])
        elif kind == "b":
            self.row[self.column] = "True" if raw.strip() in ("1", "true") else "False"
        elif kind == "d" and raw.strip():
            try:
                self.row[self.column] = (
                    datetime.datetime.fromisoformat(raw.strip()).date().isoformat()
                )
            except ValueError:
                self.row[self.column] = raw
        elif raw.strip():
            self.row[self.column] = raw


def _shared_strings(archive, needed: set[int], limits: Limits, budget: _Budget) -> dict:
    """The shared strings the sheet uses, read up to the last one it uses."""
    if not needed:
        return {}
    if "xl/sharedStrings.xml" not in archive.namelist():
        raise Unreadable("no shared strings")
    last = max(needed)
    strings = {}
    state = {"index": -1, "text": None, "capture": False, "phonetic": 0}

    def start(tag, attributes):
        local = tag.rpartition(" ")[2]
        if local == "si":
            state["index"] += 1
            if state["index"] > last:
                raise _Stop
            state["text"] = [] if state["index"] in needed else None
        elif local == "rPh":
            state["phonetic"] += 1
        elif local == "t" and not state["phonetic"] and state["text"] is not None:
            state["capture"] = True

    def end(tag):
        local = tag.rpartition(" ")[2]
        if local == "t":
            state["capture"] = False
        elif local == "rPh":
            state["phonetic"] -= 1
        elif local == "si" and state["text"] is not None:
            strings[state["index"]] = "".join(state["text"])
            state["text"] = None

    def text(data):
        if state["capture"] and sum(map(len, state["text"])) <= limits.max_cell_length:
            state["text"].append(data)

    _parse(archive, "xl/sharedStrings.xml", budget, start, end, text)
    if not needed <= strings.keys():
        raise Unreadable("missing shared string")
    return strings


def _number(raw: str, date_style: bool, epoch) -> str:
    try:
        value = float(raw) if any(char in raw for char in ".eE") else int(raw)
    except ValueError:
        return raw
    if date_style:
        try:
            moment = from_excel(value, epoch)
        except (ValueError, OverflowError, TypeError):
            return raw
        if isinstance(moment, datetime.datetime):
            return moment.date().isoformat()
        if isinstance(moment, datetime.date):
            return moment.isoformat()
        return str(moment)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)
    return str(value)


def xlsx_rows(content: bytes, limits: Limits) -> Rows:
    """The non-blank rows of the first sheet of an XLSX workbook, as text."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError) as error:
        raise Unreadable(str(error)) from None
    with archive:
        infos = archive.infolist()
        if "xl/workbook.xml" not in {info.filename for info in infos}:
            raise Unreadable("no workbook")
        if sum(info.file_size for info in infos) > limits.max_uncompressed:
            raise LimitExceeded("max_uncompressed", limits.max_uncompressed)
        budget = _Budget(limits)
        try:
            sheet, date1904 = _first_sheet(archive, budget)
            date_styles = _date_styles(archive, budget)
            reader = _SheetReader(limits)
            _parse(archive, sheet, budget, reader.start, reader.end, reader.text)
            strings = _shared_strings(archive, reader.shared_needed, limits, budget)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, KeyError) as error:
            raise Unreadable(str(error)) from None
    epoch = CALENDAR_MAC_1904 if date1904 else CALENDAR_WINDOWS_1900
    rows = []
    for line, cells in reader.rows:
        values = {}
        for column, value in cells.items():
            if isinstance(value, tuple):
                if value[0] == "s":
                    value = strings[value[1]]
                else:
                    style = value[2]
                    is_date = style is not None and style.isdigit() and int(style) in date_styles
                    value = _number(value[1], is_date, epoch)
            value = value.strip()[: limits.max_cell_length + 1]
            if value:
                values[column] = value
        if values:
            rows.append((line, values))
    return rows


# CSV ------------------------------------------------------------------------------------


def csv_rows(text: str, delimiter: str, limits: Limits) -> Rows:
    """The non-blank rows of a CSV text, as text (raises ``csv.Error`` when malformed)."""
    rows, cells, blank_run = [], 0, 0
    for line, record in enumerate(
        csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), 1
    ):
        cells += len(record)
        if cells > limits.max_cells:
            raise LimitExceeded("max_cells", limits.max_cells)
        values = {}
        for column, value in enumerate(record):
            value = value.strip()[: limits.max_cell_length + 1]
            if value:
                values[column] = value
        if not values:
            blank_run += 1
            if blank_run >= limits.blank_run_end:
                break
            continue
        blank_run = 0
        rows.append((line, values))
        if len(rows) > limits.max_rows:
            raise LimitExceeded("max_rows", limits.max_rows)
    return rows
