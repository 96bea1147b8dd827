"""Reading a list of enrolled companies from a CSV or XLSX file, as French offices export them.

``read_table`` checks the file (size, type by content, columns) and returns its rows as text;
``validate_rows`` turns each row into the data of the one-by-one form (``EnrolledCompanyForm``)
and validates it, so an imported company obeys exactly the same rules as a typed one.
Values are matched tolerantly: codes, French or English labels, case, accents and dashes
aside ("PME", "pme", "Auvergne-Rhône-Alpes", "auvergne rhone alpes", "ARA"...).
"""

import csv
import datetime
import re
import unicodedata
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from experimentations.enrolment import CompanyRowForm
from experimentations.models import EnrolledCompany, Experimentation, Sector
from partnership.core import tables
from partnership.directory.regions import Region

MAX_FILE_SIZE = 1024 * 1024  # 1 Mo: a few thousand rows, far more than an experimentation has
MAX_ROWS = 500
MAX_UNCOMPRESSED_SIZE = 20 * 1024 * 1024  # an XLSX is a zip: refuse what would inflate
MAX_CELL_LENGTH = 1000
# What reading a file may cost, whatever it declares (partnership.core.tables): cells read,
# empty or formatted ones included (500 companies x 8 columns is 4,000), and XML elements of
# the whole workbook (a cell is 2 or 3, the styles a few hundred).
MAX_CELLS = 20_000
MAX_XML_ELEMENTS = 100_000

FIELDS = [
    "name",
    "sector",
    "size_class",
    "region",
    "joined_phase",
    "enrolled_on",
    "left_on",
    "status",
]


@dataclass(frozen=True)
class Column:
    field: str
    header: str  # as written in the file's first line (French)
    aliases: tuple = ()
    required: bool = True


COLUMNS = [
    Column("name", "nom", ("entreprise", "nom de l'entreprise", "raison sociale", "name")),
    Column("sector", "secteur", ("secteur d'activite", "sector")),
    Column("size_class", "taille", ("classe de taille", "taille de l'entreprise", "size")),
    Column("region", "région", ("region",)),
    Column("joined_phase", "phase", ("phase d'entree", "joined during"), required=False),
    Column(
        "enrolled_on",
        "date d’entrée",
        ("date d'entree", "date entree", "entree", "date d'inscription", "enrolled on"),
    ),
    Column("left_on", "date de sortie", ("date sortie", "sortie", "left on"), required=False),
    Column("status", "statut", ("etat", "status"), required=False),
]
DATE_FIELDS = {"enrolled_on", "left_on"}

# Words people use besides the labels of the choices.
ALIASES = {
    "sector": {
        "aide a domicile": Sector.HOME_CARE,
        "services a la personne": Sector.HOME_CARE,
        "sap": Sector.HOME_CARE,
        "tpe pme": Sector.SMALL_FIRMS,
        "grande entreprise": Sector.LARGE_COMPANIES,
    },
    "size_class": {
        "tpe": EnrolledCompany.SizeClass.TPE,
        "micro entreprise": EnrolledCompany.SizeClass.TPE,
        "pme": EnrolledCompany.SizeClass.PME,
        "eti": EnrolledCompany.SizeClass.ETI,
        "ge": EnrolledCompany.SizeClass.LARGE,
        "grande": EnrolledCompany.SizeClass.LARGE,
        "grande entreprise": EnrolledCompany.SizeClass.LARGE,
        "grandes entreprises": EnrolledCompany.SizeClass.LARGE,
    },
    "region": {
        "paca": Region.PAC,
        "reunion": Region.LRE,
        "guyane francaise": Region.GUF,
        "centre": Region.CVL,
        "alsace champagne ardenne lorraine": Region.GES,
        **{f"fr {region.value.lower()}": region for region in Region},
    },
    "joined_phase": {
        "conception": Experimentation.Phase.DESIGN,
        "essai": Experimentation.Phase.TRIAL,
        "experimentation": Experimentation.Phase.TRIAL,
        "deploiement": Experimentation.Phase.DEPLOYMENT,
        "generalisation": Experimentation.Phase.DEPLOYMENT,
    },
    "status": {
        "engagee": EnrolledCompany.Status.ENROLLED,
        "inscrite": EnrolledCompany.Status.ENROLLED,
        "en cours": EnrolledCompany.Status.ACTIVE,
        "retiree": EnrolledCompany.Status.WITHDRAWN,
        "abandon": EnrolledCompany.Status.WITHDRAWN,
        "terminee": EnrolledCompany.Status.COMPLETED,
        "achevee": EnrolledCompany.Status.COMPLETED,
    },
}

EXPECTED_HELP = gettext_lazy(
    "The expected columns, on the first line: %(columns)s (%(optional)s may be left out)."
)


# The combining marks NFKD separates from their letters (one regular expression, not a test
# per character: a preview normalises up to 500 rows of 1,000 characters).
COMBINING_MARKS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def normalise(text) -> str:
    """Lower case, no accents, one kind of apostrophe, dashes and underscores as spaces."""
    text = COMBINING_MARKS.sub("", unicodedata.normalize("NFKD", str(text)))
    text = text.lower().replace("’", "'").replace("`", "'").replace("´", "'")
    for char in "-_/":
        text = text.replace(char, " ")
    return " ".join(text.split()).strip(" *:")


def expected_columns():
    return ", ".join(column.header for column in COLUMNS)


def _expected_message():
    return EXPECTED_HELP % {
        "columns": expected_columns(),
        "optional": ", ".join(column.header for column in COLUMNS if not column.required),
    }


# Reading the file ----------------------------------------------------------------------


@dataclass
class Table:
    rows: list = field(default_factory=list)  # (line number, {field: text}, extra values?)
    file_name: str = ""


def _refuse(message, code):
    raise ValidationError(message, code=code)


def read_table(upload) -> Table:
    """The rows of the uploaded file, or a ValidationError saying what is wrong with it."""
    if upload.size > MAX_FILE_SIZE:
        _refuse(
            _("The file is too large (%(size)s); the limit is %(limit)s.")
            % {"size": filesizeformat(upload.size), "limit": filesizeformat(MAX_FILE_SIZE)},
            "too_large",
        )
    upload.seek(0)
    content = upload.read(MAX_FILE_SIZE + 1)
    if len(content) > MAX_FILE_SIZE:
        _refuse(_("The file is too large."), "too_large")
    if not content.strip():
        _refuse(_("The file is empty."), "empty")
    name = (upload.name or "").lower()
    if name.endswith(".xlsx"):
        records = _xlsx_records(content)
    elif name.endswith((".csv", ".txt")):
        records = _csv_records(content)
    else:
        _refuse(
            _("Only CSV and XLSX files can be imported (a spreadsheet saved as .csv or .xlsx)."),
            "file_type",
        )
    return Table(rows=_rows(records), file_name=upload.name)


def _csv_records(content: bytes):
    if content.startswith(b"PK\x03\x04") or b"\x00" in content[:4096]:
        _refuse(
            _("This file is not a CSV text file: save the spreadsheet as CSV or XLSX."),
            "malformed",
        )
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel's "CSV (séparateur : point-virgule)" is Windows-1252 on French systems.
        try:
            text = content.decode("cp1252")
        except UnicodeDecodeError:
            _refuse(_("The file's characters cannot be read: save it as CSV UTF-8."), "malformed")
    first_line = text.split("\n", 1)[0]
    delimiter = max(";,\t", key=first_line.count)
    try:
        return _bounded(tables.csv_rows, text, delimiter)
    except csv.Error as error:
        _refuse(_("The CSV file is malformed (%(error)s).") % {"error": error}, "malformed")


def _xlsx_records(content: bytes):
    try:
        return _bounded(tables.xlsx_rows, content)
    except tables.Unreadable:
        _refuse(_("This file is not a readable XLSX spreadsheet."), "malformed")


BLANK_RUN_END = 1000  # so many blank lines in a row: the table has ended (formatted cells)


def _bounded(read, *args):
    """The file's rows read by ``read`` within the limits, or the limit it passes, in French."""
    limits = tables.Limits(
        max_rows=MAX_ROWS + 1,  # the line of column names, then the companies
        max_cells=MAX_CELLS,
        max_elements=MAX_XML_ELEMENTS,
        max_uncompressed=MAX_UNCOMPRESSED_SIZE,
        max_cell_length=MAX_CELL_LENGTH,
        blank_run_end=BLANK_RUN_END,
    )
    try:
        return read(*args, limits)
    except tables.LimitExceeded as exceeded:
        if exceeded.kind == "max_rows":
            message = _("The file has more than %(max)s companies: split it into several files.")
            code = "too_many_rows"
            limit = MAX_ROWS
        elif exceeded.kind == "max_cells":
            message = _(
                "The file has more than %(max)s cells, filled or formatted: keep only the "
                "table of companies (on the first sheet of a spreadsheet) and delete the other "
                "rows and columns."
            )
            code = "too_many_cells"
            limit = exceeded.limit
        elif exceeded.kind == "max_elements":
            message = _(
                "The spreadsheet is too complex to read (more than %(max)s XML elements): "
                "copy the table of companies alone into a new spreadsheet."
            )
            code = "too_complex"
            limit = exceeded.limit
        else:
            message = _(
                "The spreadsheet is too large once uncompressed (more than %(max)s): copy the "
                "table of companies alone into a new spreadsheet."
            )
            code = "too_large"
            limit = filesizeformat(exceeded.limit)
        _refuse(message % {"max": limit}, code)


def _header_map(header) -> dict:
    """Column index -> field, from the first line; refuse unknown, missing or doubled columns."""
    lookup = {}
    for column in COLUMNS:
        for name in (column.header, *column.aliases):
            lookup[normalise(name)] = column.field
    mapping, unknown, seen = {}, [], set()
    for index, title in enumerate(header):
        key = normalise(title)
        if not key:
            continue
        field_name = lookup.get(key)
        if field_name is None:
            unknown.append(title)
        elif field_name in seen:
            _refuse(
                _("The column “%(column)s” appears twice. %(expected)s")
                % {"column": title, "expected": _expected_message()},
                "columns",
            )
        else:
            seen.add(field_name)
            mapping[index] = field_name
    missing = [c.header for c in COLUMNS if c.required and c.field not in seen]
    problems = []
    if missing:
        problems.append(_("Missing columns: %(columns)s.") % {"columns": ", ".join(missing)})
    if unknown:
        problems.append(
            _("Unknown columns: %(columns)s.") % {"columns": ", ".join(map(str, unknown))}
        )
    if problems:
        _refuse(" ".join([*problems, str(_expected_message())]), "columns")
    return mapping


def _rows(records) -> list:
    if not records:
        _refuse(_("The file is empty."), "empty")
    (_line, header), *lines = records
    mapping = _header_map([header.get(index, "") for index in range(max(header) + 1)])
    rows = []
    for line, record in lines:
        values = dict.fromkeys(FIELDS, "")
        extra = False
        for position, value in record.items():  # only the cells written, all non-empty
            if position in mapping:
                values[mapping[position]] = value
            else:
                extra = True
        rows.append((line, values, extra))
    if not rows:
        _refuse(_("The file has its column names but no company."), "empty")
    return rows


# Validating the rows -------------------------------------------------------------------


def _choice_lookup(field_name, choices) -> dict:
    table = {}
    for value, label in choices:
        keys = {value, str(label)}
        for language in ("fr", "en"):
            with translation.override(language):
                keys.add(str(label))
        for key in keys:
            table[normalise(key)] = value
    for alias, value in ALIASES.get(field_name, {}).items():
        table[normalise(alias)] = value
    return table


def _lookups():
    model = EnrolledCompany._meta
    return {
        name: _choice_lookup(name, model.get_field(name).choices)
        for name in ("sector", "size_class", "region", "joined_phase", "status")
    }


DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%y", "%d.%m.%y")


def _date(text: str) -> str:
    for date_format in DATE_FORMATS:
        try:
            return datetime.datetime.strptime(text, date_format).date().isoformat()
        except ValueError:
            continue
    return text  # the form says it is not a date


def form_data(values: dict, lookups: dict, experimentation) -> dict:
    """The text of a row as the one-by-one form would receive it."""
    data = {}
    for name in FIELDS:
        text = values.get(name, "")
        if name in lookups and text:
            text = lookups[name].get(normalise(text), text)
        elif name in DATE_FIELDS and text:
            text = _date(text)
        data[name] = text
    if not data["joined_phase"]:
        status = experimentation.status
        data["joined_phase"] = (
            status if status in Experimentation.ORDER else Experimentation.Phase.TRIAL
        )
    if not data["status"]:
        data["status"] = EnrolledCompany.Status.ENROLLED
    return data


@dataclass
class Row:
    line: int
    values: dict  # as read from the file, for the preview
    data: dict  # as given to the form
    errors: list = field(default_factory=list)  # "field: message" in French
    shown: dict = field(default_factory=dict)  # what will be recorded, in words
    cleaned: dict = field(default_factory=dict)  # the model's values, once valid

    @property
    def ok(self):
        return not self.errors


def validate_rows(experimentation, rows) -> list[Row]:
    """Validate every row with the one-by-one form's rules; also refuse a name given twice.

    Two queries whatever the number of rows: the names already enrolled, read once, and
    nothing per row (the form's checks run in Python).
    """
    lookups = _lookups()
    enrolled = {
        name.casefold()
        for name in EnrolledCompany.objects.filter(experimentation=experimentation).values_list(
            "name", flat=True
        )
    }
    results = []
    names = {}
    for line, values, extra in rows:
        data = form_data(values, lookups, experimentation)
        company = EnrolledCompany(experimentation=experimentation)
        form = CompanyRowForm(data=data, instance=company, enrolled_names=enrolled)
        row = Row(line=line, values=values, data=data)
        if not form.is_valid():
            for name, messages in form.errors.items():
                label = str(form.fields[name].label) if name in form.fields else _("the company")
                row.errors.extend(
                    _("%(label)s: %(message)s") % {"label": label, "message": message}
                    for message in messages
                )
        key = normalise(data["name"])
        if key and key in names:
            row.errors.append(
                _("%(label)s: the company is already on line %(line)s of the file.")
                % {"label": form.fields["name"].label, "line": names[key]}
            )
        names.setdefault(key, line)
        if extra:
            row.errors.append(_("A value lies outside the named columns."))
        if row.ok:
            company = form.instance
            row.shown = {
                "name": company.name,
                "sector": company.get_sector_display(),
                "size_class": company.get_size_class_display(),
                "region": company.get_region_display(),
                "joined_phase": company.get_joined_phase_display(),
                "enrolled_on": company.enrolled_on,
                "left_on": company.left_on,
                "status": company.get_status_display(),
            }
            row.cleaned = {name: form.cleaned_data[name] for name in FIELDS}
        results.append(row)
    return results
