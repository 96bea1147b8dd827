"""The CSV and spreadsheet exports of the annual programme and of the action list."""

import csv
import datetime
import io
import shutil
import subprocess
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse
from django.utils import translation
from openpyxl.utils import get_column_letter

from partnership.models import Action, Meeting
from partnership.overview import exports
from partnership.overview.exports import workbook
from tests import clock
from tests.factories import (
    ActionFactory,
    ActionResourceFactory,
    AgreementPartyFactory,
    DeliverableFactory,
    MeetingFactory,
    OrganisationFactory,
    PlannedProjectFactory,
    ProgrammeFactory,
    SignedAgreementFactory,
    ThemeFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def today(time_machine):
    clock.freeze(time_machine, datetime.date(2026, 11, 24))
    return datetime.date(2026, 11, 24)


@pytest.fixture
def programme(today, agreement, anact, inrs):
    programme = ProgrammeFactory(agreement=agreement, year=2026, title="Programme commun 2026")
    tms = ThemeFactory(code="tms", name="Troubles musculo-squelettiques")
    guide = ActionFactory(
        programme=programme,
        title="Guide TMS commun",
        kind=Action.Kind.PUBLICATION,
        theme=tms,
        lead_organisation=anact,
        status=Action.Status.IN_PROGRESS,
        progress=40,
        planned_start=datetime.date(2026, 1, 15),
        planned_end=datetime.date(2026, 12, 15),
    )
    guide.partners.add(inrs)
    ActionResourceFactory(action=guide, organisation=anact, person_days=Decimal("12.5"), budget=0)
    ActionResourceFactory(action=guide, organisation=inrs, person_days=3, budget=Decimal("1500.50"))
    DeliverableFactory(
        action=guide,
        title="Guide publié",
        due_on=datetime.date(2026, 6, 1),
        delivered_on=datetime.date(2026, 6, 20),
    )
    DeliverableFactory(action=guide, title="Fiche synthèse", due_on=datetime.date(2026, 10, 1))
    ActionFactory(
        programme=programme,
        title="=SOMME(A1:A9)",  # typed by someone: must stay a text in a spreadsheet
        kind=Action.Kind.CONFERENCE,
        lead_organisation=inrs,
        planned_start=None,
        planned_end=None,
    )
    return programme


def _csv(response):
    content = response.content.decode("utf-8")
    assert content.startswith("\ufeff")
    return list(csv.reader(io.StringIO(content[1:]), delimiter=";"))


def _workbook(response):
    return openpyxl.load_workbook(io.BytesIO(response.content))


# The annual programme ----------------------------------------------------------------------


def test_programme_csv_is_for_french_excel(client, programme, anact_reader):
    client.force_login(anact_reader)
    response = client.get(reverse("programme_report_csv", args=[programme.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="programme-ac-anact-inrs-2026.csv"'
    )
    rows = _csv(response)
    header = rows[0]
    # Headers from the model's French labels (already in the catalogue).
    with translation.override("fr"):
        for label in ("Titre", "Type", "Thème", "Organisme pilote", "Début prévu", "Fin prévue"):
            assert label in header
    record = dict(zip(header, rows[1], strict=True))  # by title: "=SOMME" sorts first
    guide = dict(zip(header, rows[2], strict=True))
    assert record[header[0]] == "'=SOMME(A1:A9)"
    assert guide[header[0]] == "Guide TMS commun"
    assert guide["Début prévu"] == "15/01/2026"
    assert guide["Fin prévue"] == "15/12/2026"
    values = rows[2]
    assert "40" in values  # progress, a whole percentage
    assert "15,5" in values  # person-days with a decimal comma
    assert "1500,50" in values  # budget
    assert record["Début prévu"] == ""
    assert len(rows) == 3


def _held_meeting(programme):
    return MeetingFactory(
        agreement=programme.agreement,
        title="Comité de pilotage",
        status=Meeting.Status.HELD,
        starts_at=datetime.datetime(2026, 3, 10, 9, 30, tzinfo=datetime.UTC),
        ends_at=datetime.datetime(2026, 3, 10, 11, tzinfo=datetime.UTC),
    )


def test_programme_workbook_keeps_the_column_types(client, programme, anact_reader, today):
    meeting = _held_meeting(programme)
    client.force_login(anact_reader)
    response = client.get(reverse("programme_report_xlsx", args=[programme.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response["Content-Disposition"].endswith('programme-ac-anact-inrs-2026.xlsx"')
    book = _workbook(response)
    assert len(book.sheetnames) == 4
    actions, summary, deliverables, meetings = (book[name] for name in book.sheetnames)

    header = [cell.value for cell in actions[1]]
    column = {name: index for index, name in enumerate(header)}
    guide = list(actions[3])
    assert guide[0].value == "Guide TMS commun"
    start = guide[column["Début prévu"]]
    assert start.value == datetime.datetime(2026, 1, 15)
    assert start.number_format == "DD/MM/YYYY"
    progress = guide[column["Avancement (%)"]]
    assert progress.value == 0.4
    assert progress.number_format == "0%"
    numbers = [cell for cell in guide if cell.data_type == "n" and cell.value is not None]
    days = next(cell for cell in numbers if cell.value == 15.5)  # person-days, a number
    budget = next(cell for cell in numbers if cell.value == 1500.5)
    # Shown grouped by thousands, as on the pages ("1 500,50 €", "1 212,5").
    assert budget.number_format == '#,##0.00 "€"'
    assert days.number_format == "#,##0.0"
    formula_like = actions[2][0]
    assert formula_like.value == "=SOMME(A1:A9)"
    assert formula_like.data_type == "s"  # a text, never run as a formula
    assert actions.freeze_panes == "A2"

    shares = {(row[0].value, row[1].value): row[3] for row in summary.iter_rows(min_row=2)}
    assert all(cell.number_format == "0%" for cell in shares.values())
    assert sum(cell.value for (section, _), cell in shares.items() if section == "Statut") == 1

    due = {row[1].value: row for row in deliverables.iter_rows(min_row=2)}
    assert due["Guide publié"][3].value == datetime.datetime(2026, 6, 1)
    assert due["Guide publié"][4].value == datetime.datetime(2026, 6, 20)
    assert due["Fiche synthèse"][4].value is None

    first = list(meetings[2])
    assert first[0].value == datetime.datetime(2026, 3, 10, 10, 30)  # Paris time
    assert first[0].number_format == "DD/MM/YYYY HH:MM"
    assert first[1].value == meeting.title


GENERAL, DAY, MINUTE, WHOLE = "General", "DD/MM/YYYY", "DD/MM/YYYY HH:MM", "#,##0"
# Per sheet: its declared size, each column's width and the format of every cell below the header.
REPORT_LAYOUT = {
    "Actions": (
        "A1:P3",
        [45, 22, 24, 28, 30, 12, 13, 12, 12, 11, 10, 8, 13, 14, 30, 10],
        [GENERAL] * 6
        + ["0%", DAY, DAY, WHOLE, WHOLE, WHOLE, "#,##0.0", '#,##0.00 "€"']
        + [GENERAL, WHOLE],
    ),
    "Résumé": ("A1:D16", [22, 40, 10, 10], [GENERAL, GENERAL, WHOLE, "0%"]),
    "Livrables": ("A1:F3", [40, 40, 14, 12, 12, 18], [GENERAL] * 3 + [DAY, DAY, GENERAL]),
    "Réunions tenues": ("A1:E2", [17, 45, 24, 18, 12], [MINUTE, GENERAL, GENERAL, GENERAL, WHOLE]),
}
HEADER_STYLE = (True, "00FFFFFF", "solid", "000B3D6E", "center", True)


def _header_styles(sheet):
    return {
        (
            cell.font.b,
            cell.font.color.rgb,
            cell.fill.fill_type,
            cell.fill.fgColor.rgb,
            cell.alignment.vertical,
            cell.alignment.wrap_text,
        )
        for cell in sheet[1]
    }


def _declared_sizes(response):
    """The <dimension> each sheet declares, which readers in read-only mode (pandas) go by."""
    book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    return {sheet.title: sheet.calculate_dimension() for sheet in book.worksheets}


def _cells(sheet):
    """Each row's values, and its cells' types as a word ("s" text, "n" number, "d" date)."""
    rows = list(sheet.iter_rows())
    return (
        [[cell.value for cell in row] for row in rows],
        ["".join(cell.data_type for cell in row) for row in rows],
    )


def test_programme_workbook_keeps_its_layout(client, programme, anact_reader, today):
    """Every property the export sets, read back: a drift in any of them fails here."""
    _held_meeting(programme)
    client.force_login(anact_reader)
    response = client.get(reverse("programme_report_xlsx", args=[programme.pk]))
    book = _workbook(response)
    assert book.sheetnames == list(REPORT_LAYOUT)
    assert book.active.title == "Actions"
    assert book.properties.creator == "Suivi du partenariat Anact–INRS"
    assert book.properties.created == datetime.datetime(2026, 11, 24, 11)  # UTC
    assert _declared_sizes(response) == {name: size for name, (size, *_) in REPORT_LAYOUT.items()}
    for sheet in book.worksheets:
        size, widths, formats = REPORT_LAYOUT[sheet.title]
        assert sheet.dimensions == size
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref == size
        letters = [get_column_letter(index) for index in range(1, len(widths) + 1)]
        assert [sheet.column_dimensions[letter].width for letter in letters] == widths
        assert all(sheet.column_dimensions[letter].customWidth for letter in letters)
        assert _header_styles(sheet) == {HEADER_STYLE}
        assert all(cell.data_type == "s" for cell in sheet[1])
        assert [
            {cell.number_format for cell in column} for column in sheet.iter_cols(min_row=2)
        ] == [{number_format} for number_format in formats]
        assert all(
            cell.font.b is False and cell.fill.fill_type is None and not cell.alignment.wrap_text
            for row in sheet.iter_rows(min_row=2)
            for cell in row
        )
    day = datetime.datetime
    headers = ["Titre", "Type", "Thème", "Organisme pilote", "Organismes partenaires", "Statut"]
    headers += ["Avancement (%)", "Début prévu", "Fin prévue", "Livrables", "Livrés"]
    headers += ["En retard", "Jours-personnes", "Budget (€)", "Convention de rattachement"]
    headers += ["Suite de l’année"]
    record = ["=SOMME(A1:A9)", "Conférence ou colloque", None, "INRS", None, "Prévue", 0]
    record += [None, None, 0, 0, 0, 0, 0, None, None]
    guide = ["Guide TMS commun", "Publication commune", "Troubles musculo-squelettiques"]
    guide += ["Anact", "INRS", "En cours", 0.4, day(2026, 1, 15), day(2026, 12, 15), 2, 1, 2]
    guide += [15.5, 1500.5, None, None]
    assert _cells(book["Actions"]) == (
        [headers, record, guide],
        ["s" * 16, "ssnsnsnnnnnnnnnn", "ssssssnddnnnnnnn"],  # "=SOMME(…)" a text
    )
    values, types = _cells(book["Résumé"])
    assert values[:2] == [["Répartition", "Valeur", "Nombre", "Part"], ["Statut", "Prévue", 1, 0.5]]
    assert values[-1] == ["Livrables", "À venir", 0, 0]
    assert types == ["ssss"] + ["ssnn"] * 15
    assert _cells(book["Livrables"]) == (
        [
            ["Action", "Titre", "Type", "Échéance", "Livré le", "État"],
            ["Guide TMS commun", "Guide publié", "Rapport", day(2026, 6, 1), day(2026, 6, 20)]
            + ["Livré en retard"],
            ["Guide TMS commun", "Fiche synthèse", "Rapport", day(2026, 10, 1), None, "En retard"],
        ],
        ["ssssss", "sssdds", "sssdns"],
    )
    assert _cells(book["Réunions tenues"]) == (
        [
            ["Date", "Titre", "Type", "Statut", "Actions examinées"],
            [day(2026, 3, 10, 10, 30), "Comité de pilotage", "Rendez-vous de suivi", "Tenue", 0],
        ],
        ["sssss", "dsssn"],  # Paris time
    )


def test_an_empty_sheet_keeps_its_header_without_a_filter(client, agreement, anact_reader, today):
    programme = ProgrammeFactory(agreement=agreement, year=2026)
    client.force_login(anact_reader)
    response = client.get(reverse("programme_report_xlsx", args=[programme.pk]))
    book = _workbook(response)
    actions = book["Actions"]
    assert actions.max_row == 1
    assert actions.dimensions == "A1:P1"
    assert _declared_sizes(response)["Actions"] == "A1:P1"
    assert actions.freeze_panes == "A2"
    assert actions.auto_filter.ref is None
    assert _header_styles(actions) == {HEADER_STYLE}
    assert actions.column_dimensions["A"].width == 45


@pytest.mark.parametrize("url_name", ["action_export_xlsx", "programming_export"])
def test_the_other_workbooks_share_the_layout(
    client, programme, agreement, inrs, anact_reader, url_name
):
    PlannedProjectFactory(agreement=agreement, organisation=inrs, year=2027, title="=Étude")
    client.force_login(anact_reader)
    args = [agreement.pk, 2027, "xlsx"] if url_name == "programming_export" else []
    response = client.get(reverse(url_name, args=args))
    book = _workbook(response)
    (sheet,) = book.worksheets
    size = "A1:R3" if url_name == "action_export_xlsx" else "A1:P2"
    assert sheet.title == (
        "Actions communes" if url_name == "action_export_xlsx" else "Programmation 2027"
    )
    assert _declared_sizes(response) == {sheet.title: size}
    assert (sheet.dimensions, sheet.auto_filter.ref, sheet.freeze_panes) == (size, size, "A2")
    assert _header_styles(sheet) == {HEADER_STYLE}
    widths = [dimension.width for dimension in sheet.column_dimensions.values()]
    if url_name == "action_export_xlsx":
        assert widths[:3] == [18, 8, 45]
        assert sheet["B2"].number_format == WHOLE and sheet["J2"].number_format == DAY
    else:
        assert widths == [14, 8, 24, 20, 24, 40, 50, 18, 14, 12, 12, 20, 50, 40, 14, 40]
        assert (sheet["F2"].value, sheet["F2"].data_type) == ("=Étude", "s")
        assert sheet["J2"].number_format == DAY


@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice is not installed")
def test_the_workbook_opens_in_libreoffice(client, programme, anact_reader, tmp_path):
    client.force_login(anact_reader)
    response = client.get(reverse("programme_report_xlsx", args=[programme.pk]))
    path = tmp_path / "programme.xlsx"
    path.write_bytes(response.content)
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{tmp_path}/profile",
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):59,34,76,1",
            "--outdir",
            str(tmp_path),
            str(path),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    text = (tmp_path / "programme.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][0] == "Titre"
    guide = rows[2]
    assert guide[0] == "Guide TMS commun"
    assert "15/01/2026" in guide  # a date cell shown with its date format
    assert "40%" in guide  # a percentage
    assert rows[1][0] == "=SOMME(A1:A9)"  # a text, not the result of a formula


def test_a_workbook_asked_again_is_not_written_again_until_what_it_shows_changes(
    client, programme, anact_reader, monkeypatch
):
    """The file is kept in the shared cache under a digest of its cells: the same report again
    is the same file, not written again; a change made without any save signal (in bulk, by
    another server), is a new file at once."""
    written = []
    monkeypatch.setattr(
        exports, "workbook", lambda tables: written.append(tables) or workbook(tables)
    )
    client.force_login(anact_reader)
    url = reverse("programme_report_xlsx", args=[programme.pk])

    first = client.get(url)
    assert client.get(url).content == first.content
    assert len(written) == 1

    Action.objects.filter(title="Guide TMS commun").update(progress=75)
    changed = _workbook(client.get(url))
    assert len(written) == 2
    progress = [cell.value for cell in changed.worksheets[0]["A"]].index("Guide TMS commun")
    assert 0.75 in [cell.value for cell in changed.worksheets[0][progress + 1]]


@pytest.mark.parametrize("url_name", ["programme_report_csv", "programme_report_xlsx"])
def test_outsider_gets_404_on_the_exports(client, programme, outsider, url_name):
    client.force_login(outsider)
    assert client.get(reverse(url_name, args=[programme.pk])).status_code == 404


@pytest.mark.parametrize("url_name", ["programme_report_csv", "programme_report_xlsx"])
@pytest.mark.parametrize("rows", [1, 50])
def test_programme_export_query_count_does_not_grow(
    client, agreement, anact, inrs, anact_reader, django_assert_num_queries, url_name, rows
):
    programme = ProgrammeFactory(agreement=agreement, year=2026)
    for _index in range(rows):
        action = ActionFactory(programme=programme, lead_organisation=anact, theme=ThemeFactory())
        action.partners.add(inrs)
        ActionResourceFactory(action=action, organisation=inrs)
        DeliverableFactory(action=action)
        MeetingFactory(agreement=agreement, status=Meeting.Status.HELD)
    client.force_login(anact_reader)
    # session, user, staff profile, the programme, the agreement's parties (permission); the
    # actions with their related records, their partners, resources and deliverables; for
    # the workbook also the report: action values, deliverables, resources, meetings held.
    expected = 9 if url_name.endswith("csv") else 13
    with django_assert_num_queries(expected):
        response = client.get(reverse(url_name, args=[programme.pk]))
    assert response.status_code == 200


# The action list ---------------------------------------------------------------------------


def test_action_list_export_follows_the_filters_and_the_scope(
    client, programme, anact_reader, outsider_organisation
):
    older = ProgrammeFactory(agreement=programme.agreement, year=2025)
    ActionFactory(programme=older, title="Action de 2025")
    elsewhere = SignedAgreementFactory()
    AgreementPartyFactory(agreement=elsewhere, organisation=outsider_organisation)
    ActionFactory(programme=ProgrammeFactory(agreement=elsewhere), title="Action d’un autre accord")
    client.force_login(anact_reader)

    rows = _csv(client.get(reverse("action_export_csv")))
    titles = {row[2] for row in rows[1:]}
    assert titles == {"Guide TMS commun", "'=SOMME(A1:A9)", "Action de 2025"}
    assert rows[1][:2] == ["AC-ANACT-INRS", "2026"]

    rows = _csv(client.get(reverse("action_export_csv"), {"year": 2025}))
    assert [row[2] for row in rows[1:]] == ["Action de 2025"]

    book = _workbook(client.get(reverse("action_export_xlsx"), {"status": "in_progress"}))
    sheet = book.active
    assert [row[2].value for row in sheet.iter_rows(min_row=2)] == ["Guide TMS commun"]
    assert sheet.cell(row=2, column=2).value == 2026  # the year, a number


def test_action_list_export_with_bad_filters_does_not_break(client, programme, anact_reader):
    client.force_login(anact_reader)
    response = client.get(reverse("action_export_csv"), {"year": "deux mille", "status": "<x>"})
    assert response.status_code == 200


@pytest.mark.parametrize("url_name", ["action_export_csv", "action_export_xlsx"])
@pytest.mark.parametrize("rows", [1, 50])
def test_action_list_export_query_count_does_not_grow(
    client, agreement, anact, inrs, anact_reader, django_assert_num_queries, url_name, rows
):
    programme = ProgrammeFactory(agreement=agreement, year=2026)
    for _index in range(rows):
        action = ActionFactory(programme=programme, lead_organisation=OrganisationFactory())
        action.partners.add(inrs)
        ActionResourceFactory(action=action, organisation=anact)
        DeliverableFactory(action=action)
    client.force_login(anact_reader)
    # session, user, staff profile; the filter's choices are not rendered; the actions with
    # their programme, agreement, lead, theme, convention and continued action; partners,
    # resources, deliverables.
    with django_assert_num_queries(7):
        response = client.get(reverse(url_name))
    assert response.status_code == 200


def test_the_action_list_offers_its_exports_with_the_current_filters(
    client, programme, anact_reader
):
    client.force_login(anact_reader)
    html = client.get(reverse("action_list"), {"year": 2026, "status": "in_progress"}).text
    assert f"{reverse('action_export_xlsx')}?year=2026&amp;status=in_progress" in html
    assert f"{reverse('action_export_csv')}?year=2026&amp;status=in_progress" in html


def test_the_export_links_leave_out_the_page_and_an_empty_query(client, programme, anact_reader):
    client.force_login(anact_reader)
    html = client.get(reverse("action_list"), {"status": "planned", "page": 1}).text
    assert f'href="{reverse("action_export_csv")}?status=planned"' in html
    html = client.get(reverse("action_list"), {"page": 1}).text
    assert f'href="{reverse("action_export_xlsx")}"' in html
    assert f'href="{reverse("action_export_csv")}"' in html
