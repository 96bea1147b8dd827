"""Importing enrolled companies from a CSV or XLSX file: a preview where every row is checked,
then a confirmation that enrols them all, or none."""

import datetime
import io
import sys
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from experimentations import imports
from experimentations.models import EnrolledCompany, Experimentation, Sector
from partnership.core import tables
from partnership.models import Region
from tests.factories import EnrolledCompanyFactory, ExperimentationFactory

Phase = Experimentation.Phase
HEADER = "nom;secteur;taille;région;phase;date d’entrée;date de sortie;statut"
GOOD_ROWS = [
    "Menuiserie Dubois;industrie;TPE;Bretagne;essai;15/03/2026;;active",
    "Clinique du Parc;santé;PME;Île-de-France;;2026-03-20;;",
    "Aide à domicile du Gers;home_care;pme;OCC;trial;01/04/2026;30/06/2026;retirée",
]


@pytest.fixture
def experimentation(agreement):
    return ExperimentationFactory(agreement=agreement, status=Phase.TRIAL)


def _url(experimentation):
    return reverse("experimentations:company_import", args=[experimentation.pk])


def _csv(lines, *, name="entreprises.csv", encoding="utf-8-sig", delimiter=";"):
    text = "\r\n".join(line.replace(";", delimiter) for line in lines) + "\r\n"
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def _xlsx(rows, *, name="entreprises.xlsx"):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(
        name,
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def _upload(client, experimentation, upload):
    return client.post(_url(experimentation), {"file": upload})


def _confirm(client, experimentation, response):
    return client.post(_url(experimentation), {"confirm": "1", "token": response.context["token"]})


def _messages(response):
    return [str(message) for message in response.context["messages"]]


# A good file ---------------------------------------------------------------------------


def test_coordinator_imports_a_good_csv_after_its_preview(
    client, experimentation, anact_coordinator
):
    client.force_login(anact_coordinator)
    assert client.get(_url(experimentation)).status_code == 200
    response = _upload(client, experimentation, _csv([HEADER, *GOOD_ROWS]))
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [row.line for row in rows] == [2, 3, 4]
    assert all(row.ok for row in rows)
    assert response.context["error_count"] == 0
    assert "Menuiserie Dubois" in response.text
    assert 'name="confirm"' in response.text
    # Nothing is recorded before the confirmation.
    assert not experimentation.companies.exists()

    response = _confirm(client, experimentation, response)
    assert response.status_code == 302
    assert response["Location"] == f"{experimentation.get_absolute_url()}#companies"
    companies = {c.name: c for c in experimentation.companies.all()}
    assert set(companies) == {"Menuiserie Dubois", "Clinique du Parc", "Aide à domicile du Gers"}
    dubois = companies["Menuiserie Dubois"]
    assert (dubois.sector, dubois.size_class, dubois.region) == (
        Sector.INDUSTRY,
        EnrolledCompany.SizeClass.TPE,
        Region.BRE,
    )
    assert dubois.enrolled_on == datetime.date(2026, 3, 15)
    assert dubois.status == EnrolledCompany.Status.ACTIVE
    # Phase and status left empty: the current phase, enrolled.
    parc = companies["Clinique du Parc"]
    assert (parc.joined_phase, parc.status, parc.region) == (
        Phase.TRIAL,
        EnrolledCompany.Status.ENROLLED,
        Region.IDF,
    )
    gers = companies["Aide à domicile du Gers"]
    assert gers.left_on == datetime.date(2026, 6, 30)
    assert gers.status == EnrolledCompany.Status.WITHDRAWN
    # Recorded with their author.
    assert {c.history.get().history_user for c in companies.values()} == {anact_coordinator}
    client.get(response["Location"])  # the success message shown
    # The confirmation is used up: a second one imports nothing more.
    again = client.post(_url(experimentation), {"confirm": "1", "token": "x"}, follow=True)
    assert len(_messages(again)) == 1
    assert experimentation.companies.count() == 3


def test_a_comma_separated_csv_without_bom_imports_too(client, experimentation, anact_coordinator):
    client.force_login(anact_coordinator)
    lines = [
        "Nom,Secteur,Taille,Region,Date d'entree",
        "Garage Martin,Industrie,tpe,normandie,05/01/2026",
    ]
    response = _upload(client, experimentation, _csv(lines, encoding="utf-8", delimiter=","))
    assert [row.ok for row in response.context["rows"]] == [True]
    _confirm(client, experimentation, response)
    company = experimentation.companies.get()
    assert (company.name, company.region, company.sector) == (
        "Garage Martin",
        Region.NOR,
        Sector.INDUSTRY,
    )


def test_a_windows_1252_csv_from_french_excel_imports(client, experimentation, anact_coordinator):
    client.force_login(anact_coordinator)
    lines = [HEADER, "Société Générale de Métallurgie;industrie;ETI;Grand Est;;10/02/2026;;"]
    response = _upload(client, experimentation, _csv(lines, encoding="cp1252"))
    assert [row.ok for row in response.context["rows"]] == [True]
    _confirm(client, experimentation, response)
    assert experimentation.companies.get().name == "Société Générale de Métallurgie"


def test_coordinator_imports_a_good_xlsx_with_real_dates(
    client, experimentation, anact_coordinator
):
    client.force_login(anact_coordinator)
    rows = [
        [
            "Nom",
            "Secteur",
            "Taille",
            "Région",
            "Phase",
            "Date d’entrée",
            "Date de sortie",
            "Statut",
        ],
        ["Conserverie Bigoudène", "Industrie", "PME", "BRE", "Essai", datetime.date(2026, 2, 1)],
        [
            "Centre hospitalier de Dax",
            "santé",
            "grande entreprise",
            "Nouvelle-Aquitaine",
            None,
            datetime.datetime(2026, 2, 3, 0, 0),
            None,
            "en cours",
        ],
        [None, None, None, None],  # a blank line in the middle is skipped
        ["Transports du Rhône", "Grandes entreprises", "ETI", "ara", None, "03/02/2026"],
    ]
    response = _upload(client, experimentation, _xlsx(rows))
    assert response.status_code == 200
    assert [row.line for row in response.context["rows"]] == [2, 3, 5]
    assert all(row.ok for row in response.context["rows"])
    _confirm(client, experimentation, response)
    companies = {c.name: c for c in experimentation.companies.all()}
    assert companies["Centre hospitalier de Dax"].size_class == EnrolledCompany.SizeClass.LARGE
    assert companies["Centre hospitalier de Dax"].status == EnrolledCompany.Status.ACTIVE
    assert companies["Conserverie Bigoudène"].enrolled_on == datetime.date(2026, 2, 1)
    assert companies["Transports du Rhône"].region == Region.ARA


# A wrong row: nothing imported ---------------------------------------------------------


def test_a_file_with_one_bad_row_imports_nothing_and_names_the_row_and_problem(
    client, experimentation, anact_coordinator
):
    client.force_login(anact_coordinator)
    bad = "Boulangerie Roussel;industrie;énorme;Bretagne;;15/03/2026;;"
    response = _upload(client, experimentation, _csv([HEADER, *GOOD_ROWS[:2], bad, GOOD_ROWS[2]]))
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [row.ok for row in rows] == [True, True, False, True]
    wrong = rows[2]
    assert wrong.line == 4
    assert len(wrong.errors) == 1
    assert "énorme" in wrong.errors[0]
    # Django's own French message names the problem, the field's label names the column.
    assert "Sélectionnez un choix valide" in wrong.errors[0]
    assert response.context["error_count"] == 1
    assert 'id="line-4"' in response.text
    assert 'name="confirm"' not in response.text
    assert response.context["token"] == ""
    assert not experimentation.companies.exists()
    # No confirmation is waiting: a forged one imports nothing.
    response = client.post(_url(experimentation), {"confirm": "1", "token": ""}, follow=True)
    assert not experimentation.companies.exists()


@pytest.mark.parametrize(
    ("row", "field"),
    [
        (";industrie;TPE;Bretagne;;15/03/2026;;", "name"),
        ("Dubois;industrie;TPE;Bretagne;;32/13/2026;;", "enrolled_on"),
        ("Dubois;industrie;TPE;Atlantide;;15/03/2026;;", "region"),
        ("Dubois;industrie;TPE;Bretagne;;15/03/2026;01/03/2026;", "left_on"),
        ("<script>alert(1)</script>;industrie;TPE;Bretagne;;15/03/2026;;", "name"),
        ("X" * 201 + ";industrie;TPE;Bretagne;;15/03/2026;;", "name"),
        ("Dubois;industrie;TPE;Bretagne;;15/03/2026;;perdue", "status"),
    ],
    ids=["no-name", "bad-date", "bad-region", "leaves-first", "html", "too-long", "bad-status"],
)
def test_each_kind_of_bad_row_is_named(client, experimentation, anact_coordinator, row, field):
    client.force_login(anact_coordinator)
    response = _upload(client, experimentation, _csv([HEADER, GOOD_ROWS[0], row]))
    good, wrong = response.context["rows"]
    assert good.ok
    assert not wrong.ok
    assert wrong.line == 3
    label = str(EnrolledCompany._meta.get_field(field).verbose_name)
    assert any(error.casefold().startswith(label.casefold()) for error in wrong.errors)
    assert "<script>" not in response.text
    assert not experimentation.companies.exists()


def test_a_company_already_enrolled_or_twice_in_the_file_is_refused(
    client, experimentation, anact_coordinator
):
    EnrolledCompanyFactory(experimentation=experimentation, name="Clinique du Parc")
    client.force_login(anact_coordinator)
    twice = GOOD_ROWS[0].replace("Menuiserie Dubois", "MENUISERIE DUBOIS")
    response = _upload(client, experimentation, _csv([HEADER, *GOOD_ROWS, twice]))
    rows = response.context["rows"]
    assert [row.ok for row in rows] == [True, False, True, False]
    assert "2" in rows[3].errors[0]  # the line of the first "Menuiserie Dubois"
    assert experimentation.companies.count() == 1


def test_a_company_enrolled_between_preview_and_confirmation_refuses_the_import(
    client, experimentation, anact_coordinator
):
    client.force_login(anact_coordinator)
    response = _upload(client, experimentation, _csv([HEADER, *GOOD_ROWS]))
    assert response.context["token"]
    EnrolledCompanyFactory(experimentation=experimentation, name="Clinique du Parc")
    response = _confirm(client, experimentation, response)
    assert response.status_code == 200
    assert [row.ok for row in response.context["rows"]] == [True, False, True]
    assert experimentation.companies.count() == 1


# A file refused as a whole -------------------------------------------------------------


def test_wrong_columns_are_refused_with_the_expected_ones(
    client, experimentation, anact_coordinator
):
    client.force_login(anact_coordinator)
    lines = ["nom;secteur;effectif;région;date d’entrée;couleur", "Dubois;industrie;3;BRE;;bleu"]
    response = _upload(client, experimentation, _csv(lines))
    assert response.status_code == 200
    errors = response.context["form"].errors["file"]
    assert len(errors) == 1
    message = errors[0]
    assert "taille" in message  # missing
    assert "effectif" in message and "couleur" in message  # unknown
    assert imports.expected_columns() in message
    assert [e.code for e in response.context["form"].errors.as_data()["file"]] == ["columns"]
    assert "rows" not in response.context
    assert not experimentation.companies.exists()


@pytest.mark.parametrize(
    ("upload", "code"),
    [
        (SimpleUploadedFile("liste.pdf", b"%PDF-1.4 ..."), "file_type"),
        (
            SimpleUploadedFile("liste.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"0" * 64),
            "file_type",
        ),
        (SimpleUploadedFile("liste.xlsx", b"nom;secteur\nDubois;industrie\n"), "malformed"),
        (SimpleUploadedFile("liste.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), "malformed"),
        (SimpleUploadedFile("liste.csv", b""), None),
        (SimpleUploadedFile("liste.csv", b"\r\n\r\n"), "empty"),
        (SimpleUploadedFile("liste.csv", HEADER.encode() + b"\r\n"), "empty"),
    ],
    ids=[
        "pdf",
        "old-xls",
        "text-named-xlsx",
        "binary-named-csv",
        "zero-bytes",
        "blank",
        "header-only",
    ],
)
def test_a_malformed_file_is_refused_cleanly(
    client, experimentation, anact_coordinator, upload, code
):
    client.force_login(anact_coordinator)
    response = _upload(client, experimentation, upload)
    assert response.status_code == 200
    errors = response.context["form"].errors.as_data()["file"]
    if code:
        assert [e.code for e in errors] == [code]
    assert not experimentation.companies.exists()


def test_an_xlsx_that_is_another_zip_is_refused(client, experimentation, anact_coordinator):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<document/>")
    client.force_login(anact_coordinator)
    response = _upload(client, experimentation, SimpleUploadedFile("liste.xlsx", buffer.getvalue()))
    assert [e.code for e in response.context["form"].errors.as_data()["file"]] == ["malformed"]


def test_a_huge_file_is_refused_before_reading_it(client, experimentation, anact_coordinator):
    client.force_login(anact_coordinator)
    big = HEADER.encode() + b"\r\n" + b"x" * (imports.MAX_FILE_SIZE + 1)
    response = _upload(client, experimentation, SimpleUploadedFile("liste.csv", big))
    assert [e.code for e in response.context["form"].errors.as_data()["file"]] == ["too_large"]
    assert not experimentation.companies.exists()


def test_too_many_rows_are_refused(client, experimentation, anact_coordinator):
    client.force_login(anact_coordinator)
    lines = [HEADER] + [
        f"Entreprise {n};industrie;TPE;Bretagne;;15/03/2026;;" for n in range(imports.MAX_ROWS + 1)
    ]
    response = _upload(client, experimentation, _csv(lines))
    assert [e.code for e in response.context["form"].errors.as_data()["file"]] == ["too_many_rows"]
    response = _upload(client, experimentation, _csv(lines[:-1]))
    assert response.context["error_count"] == 0
    assert len(response.context["rows"]) == imports.MAX_ROWS


def test_an_xlsx_inflating_too_much_is_refused(
    client, experimentation, anact_coordinator, monkeypatch
):
    monkeypatch.setattr(imports, "MAX_UNCOMPRESSED_SIZE", 1000)
    client.force_login(anact_coordinator)
    rows = [["nom"]] + [[f"Entreprise numéro {n}"] for n in range(200)]
    response = _upload(client, experimentation, _xlsx(rows))
    assert [e.code for e in response.context["form"].errors.as_data()["file"]] == ["too_large"]


# Files that lie about their size ---------------------------------------------------------

SHEET_START = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<dimension ref="A1:XFD1048576"/><sheetData>'
)
SHEET_END = "</sheetData></worksheet>"


def _inline(reference, text):
    return f'<c r="{reference}" t="inlineStr"><is><t>{text}</t></is></c>'


def _header_row():
    titles = HEADER.split(";")
    return (
        '<row r="1">'
        + "".join(_inline(f"{chr(65 + index)}1", title) for index, title in enumerate(titles))
        + "</row>"
    )


CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
    'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
)


def _handmade_xlsx(sheet_data, *, sheet_start=SHEET_START, name="entreprises.xlsx"):
    """An XLSX written by hand, as an attacker would: only the parts a reader needs."""
    workbook = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="Entreprises" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    relationships = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Target="worksheets/sheet1.xml" Type="http://schemas.'
        'openxmlformats.org/officeDocument/2006/relationships/worksheet"/></Relationships>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("xl/workbook.xml", workbook)
        archive.writestr("xl/_rels/workbook.xml.rels", relationships)
        archive.writestr("xl/worksheets/sheet1.xml", sheet_start + sheet_data + SHEET_END)
    return SimpleUploadedFile(name, buffer.getvalue())


READER_FILES = {tables.__file__, imports.__file__}


def _reader_calls(call):
    """What ``call`` returns, and how many Python calls the file reader made meanwhile.

    A count of calls, not seconds: it says the same on any machine, loaded or not, and grows
    with what the reader walks through (every column a sheet declares, every element).
    """
    monitoring = sys.monitoring
    tool = monitoring.PROFILER_ID
    calls = 0

    def started(code, offset):
        nonlocal calls
        if code.co_filename not in READER_FILES:
            return monitoring.DISABLE  # never asked again for this function: Django runs at speed
        calls += 1

    monitoring.use_tool_id(tool, "reader calls")
    monitoring.register_callback(tool, monitoring.events.PY_START, started)
    monitoring.set_events(tool, monitoring.events.PY_START)
    try:
        result = call()
    finally:
        monitoring.set_events(tool, monitoring.events.NO_EVENTS)
        monitoring.register_callback(tool, monitoring.events.PY_START, None)
        monitoring.free_tool_id(tool)
        monitoring.restart_events()
    return result, calls


def test_an_xlsx_declaring_a_whole_sheet_is_read_by_its_written_cells(
    client, experimentation, anact_coordinator
):
    # The attack of the issue: 2 KB declaring 16,384 x 1,048,576 cells, rows far apart. The
    # reader that trusted the declaration spent 0.35 s of CPU per row (23 s for this file).
    rows = "".join(
        f'<row r="{line}">'
        + _inline(f"A{line}", f"Entreprise {line}")
        + _inline(f"XFD{line}", "x")
        + "</row>"
        for line in range(900, 60_000, 999)
    )
    upload = _handmade_xlsx(_header_row() + rows)
    assert upload.size < 3000
    client.force_login(anact_coordinator)
    response, calls = _reader_calls(lambda: _upload(client, experimentation, upload))
    # A few calls per element written (60 rows of two cells), none per declared column.
    assert calls < 5_000
    rows = response.context["rows"]
    assert [row.line for row in rows][:3] == [900, 1899, 2898]
    # The value far to the right is not lost: the row says it lies outside the columns.
    assert "Une valeur se trouve en dehors des colonnes nommées." in rows[0].errors


def test_a_sheet_of_too_many_cells_is_refused_naming_the_limit(
    client, experimentation, anact_coordinator, monkeypatch
):
    monkeypatch.setattr(imports, "MAX_CELLS", 100)
    empty_cells = "".join(f'<c r="{chr(65 + n % 8)}2" s="1"/>' for n in range(8))
    rows = "".join(
        f'<row r="{line}">' + empty_cells.replace("2", str(line)) + "</row>"
        for line in range(2, 20)
    )
    client.force_login(anact_coordinator)
    response = _upload(client, experimentation, _handmade_xlsx(_header_row() + rows))
    errors = response.context["form"].errors.as_data()["file"]
    assert [error.code for error in errors] == ["too_many_cells"]
    assert "plus de 100 cellules" in errors[0].message


def test_a_csv_of_too_many_cells_is_refused_naming_the_limit(
    client, experimentation, anact_coordinator
):
    client.force_login(anact_coordinator)
    separators = ";" * (imports.MAX_CELLS + 1)
    response = _upload(client, experimentation, _csv([HEADER, f"Entreprise{separators}"]))
    errors = response.context["form"].errors.as_data()["file"]
    assert [error.code for error in errors] == ["too_many_cells"]
    assert f"plus de {imports.MAX_CELLS} cellules" in errors[0].message


def test_a_sheet_of_countless_elements_stops_at_the_limit(
    client, experimentation, anact_coordinator
):
    client.force_login(anact_coordinator)
    upload = _handmade_xlsx(_header_row() + "<x/>" * (imports.MAX_XML_ELEMENTS + 1))
    response, calls = _reader_calls(lambda: _upload(client, experimentation, upload))
    errors = response.context["form"].errors.as_data()["file"]
    assert [error.code for error in errors] == ["too_complex"]
    assert f"plus de {imports.MAX_XML_ELEMENTS} éléments" in errors[0].message
    # A handful of calls per element, then it stops: nothing more per element than counting it.
    assert calls < 5 * imports.MAX_XML_ELEMENTS


def test_an_xlsx_with_entity_declarations_is_refused(client, experimentation, anact_coordinator):
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    )
    client.force_login(anact_coordinator)
    upload = _handmade_xlsx(_header_row(), sheet_start=laughs)
    response = _upload(client, experimentation, upload)
    errors = response.context["form"].errors.as_data()["file"]
    assert [error.code for error in errors] == ["malformed"]


def test_no_file_is_a_field_error(client, experimentation, anact_coordinator):
    client.force_login(anact_coordinator)
    response = client.post(_url(experimentation), {})
    assert response.status_code == 200
    assert "file" in response.context["form"].errors
    assert "Ce champ est obligatoire." in response.text


# Who may import ------------------------------------------------------------------------


def test_reader_cannot_import_and_sees_no_import_button(client, experimentation, anact_reader):
    client.force_login(anact_reader)
    assert _url(experimentation) not in client.get(experimentation.get_absolute_url()).text
    assert client.get(_url(experimentation)).status_code == 403
    response = client.post(_url(experimentation), {"file": _csv([HEADER, *GOOD_ROWS])})
    assert response.status_code == 403
    assert not experimentation.companies.exists()


def test_outsider_gets_404(client, experimentation, outsider):
    client.force_login(outsider)
    assert client.get(_url(experimentation)).status_code == 404
    assert (
        client.post(_url(experimentation), {"file": _csv([HEADER, *GOOD_ROWS])}).status_code == 404
    )


def test_the_pending_import_belongs_to_its_experimentation(
    client, experimentation, agreement, anact_coordinator
):
    other = ExperimentationFactory(agreement=agreement, status=Phase.TRIAL)
    client.force_login(anact_coordinator)
    response = _upload(client, experimentation, _csv([HEADER, *GOOD_ROWS]))
    forged = client.post(_url(other), {"confirm": "1", "token": response.context["token"]})
    assert forged.status_code == 302
    assert not other.companies.exists()
    assert not experimentation.companies.exists()


# Queries -------------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [1, 50])
def test_preview_and_import_query_counts_do_not_grow_with_the_companies(
    client, experimentation, anact_coordinator, django_assert_num_queries, rows
):
    for n in range(rows):
        EnrolledCompanyFactory(experimentation=experimentation, name=f"Déjà là {n}")
    lines = [HEADER] + [f"Entreprise {n};industrie;TPE;Bretagne;;15/03/2026;;" for n in range(rows)]
    client.force_login(anact_coordinator)
    client.get(_url(experimentation))  # the session exists
    # session, user, staff profile, the experimentation, its agreement and the agreement's
    # parties (access rule), the names already enrolled, the session saved with the rows
    # checked (in a savepoint: two more statements).
    # ... and the bell's unread count.
    with django_assert_num_queries(11):
        response = _upload(client, experimentation, _csv(lines))
    assert len(response.context["rows"]) == rows
    # session, user, staff profile, the experimentation, its agreement and the agreement's
    # parties; then in one transaction (a savepoint here): the experimentation locked, the
    # names enrolled, the companies inserted in one statement, their history in another; the
    # session saved (in a savepoint).
    with django_assert_num_queries(15):
        response = _confirm(client, experimentation, response)
    assert response.status_code == 302
    assert experimentation.companies.count() == 2 * rows
