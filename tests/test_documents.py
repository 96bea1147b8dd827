"""Documents: what is accepted (by content, size, name), who may upload, replace, delete and
download them, and that a file is never reachable but through the download view."""

import datetime
import io
import zipfile
import zlib
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import Resolver404, resolve, reverse

from partnership.documents.files import clean_filename, validate_upload
from partnership.models import Document
from tests.factories import (
    PDF_BYTES,
    AgreementFactory,
    AgreementPartyFactory,
    AmendmentFactory,
    ConventionFactory,
    DeliverableFactory,
    DocumentFactory,
    MeetingFactory,
    ProgrammeFactory,
    StaffProfileFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 17
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20
EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 48


def zip_bytes(entries, *, mimetype=None):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        if mimetype:
            archive.writestr(zipfile.ZipInfo("mimetype"), mimetype)
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


ODT_BYTES = zip_bytes(
    {"content.xml": "<office/>"}, mimetype="application/vnd.oasis.opendocument.text"
)
ODS_BYTES = zip_bytes(
    {"content.xml": "<office/>"}, mimetype="application/vnd.oasis.opendocument.spreadsheet"
)
DOCX_BYTES = zip_bytes({"[Content_Types].xml": "<Types/>", "word/document.xml": "<w:document/>"})
XLSX_BYTES = zip_bytes({"[Content_Types].xml": "<Types/>", "xl/workbook.xml": "<workbook/>"})
DOCM_BYTES = zip_bytes(
    {
        "[Content_Types].xml": "<Types/>",
        "word/document.xml": "<w:document/>",
        "word/vbaProject.bin": "macro",
    }
)
PLAIN_ZIP_BYTES = zip_bytes({"notes.txt": "bonjour"})


def upload(name, content, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def stored_files(root):
    return [path for path in Path(root).rglob("*") if path.is_file()]


# What is accepted ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("Accord signé.pdf", PDF_BYTES, "application/pdf"),
        ("Compte rendu.odt", ODT_BYTES, "application/vnd.oasis.opendocument.text"),
        ("Budget.ods", ODS_BYTES, "application/vnd.oasis.opendocument.spreadsheet"),
        (
            "Convention.docx",
            DOCX_BYTES,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (
            "Moyens.xlsx",
            XLSX_BYTES,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        ("Photo du colloque.png", PNG_BYTES, "image/png"),
        ("Photo du colloque.JPG", JPEG_BYTES, "image/jpeg"),
    ],
)
def test_accepted_types_are_recognised_by_their_content(name, content, content_type):
    checked = validate_upload(upload(name, content, "text/plain"))  # what the browser says
    assert checked.file_type.content_type == content_type
    assert checked.size == len(content)


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("setup.pdf", EXE_BYTES, "file_type_refused"),  # a program renamed .pdf
        ("page.pdf", b"<html><script>alert(1)</script></html>", "file_type_refused"),
        ("archive.docx", PLAIN_ZIP_BYTES, "file_type_refused"),  # a ZIP, not a document
        ("macros.docx", DOCM_BYTES, "macros_refused"),  # a document with macros
        ("texte.docx", PDF_BYTES, "file_name_mismatch"),  # a PDF that says it is a DOCX
        ("image.pdf", PNG_BYTES, "file_name_mismatch"),
        ("sans extension", PDF_BYTES, "file_name_mismatch"),
        ("vide.pdf", b"", "empty_file"),
    ],
)
def test_refused_files(name, content, code):
    with pytest.raises(ValidationError) as refused:
        validate_upload(upload(name, content, "application/pdf"))
    assert refused.value.code == code


def test_a_file_over_the_size_limit_is_refused(settings):
    settings.DOCUMENT_MAX_SIZE = 1000
    with pytest.raises(ValidationError) as refused:
        validate_upload(upload("gros.pdf", PDF_BYTES + b"0" * 1000))
    assert refused.value.code == "file_too_large"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Convention signée 2024.pdf", "Convention signée 2024.pdf"),
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\claire\\Mes documents\\Accord.PDF", "Accord.pdf"),
        ("  ..caché.pdf  ", "caché.pdf"),
        ('a<b>:"c"|d?*.pdf', "a_b___c__d__.pdf"),
        ("nul\x00\r\nligne.pdf", "nulligne.pdf"),
        ("e\u0301te\u0301.pdf", "été.pdf"),  # decomposed accents are composed
        (".pdf", "document.pdf"),
        ("x" * 400 + ".pdf", "x" * 146 + ".pdf"),
    ],
)
def test_file_names_are_cleaned_and_stay_readable(raw, clean):
    assert clean_filename(raw) == clean


# Programs inside documents, found by content ----------------------------------------------

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="xml" ContentType="application/xml"/>{}</Types>'
)
WORD_MAIN = (
    '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.wordprocessingml.document.main+xml"/>'
)
RELATIONSHIPS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    "{}</Relationships>"
)


def _docx(*, types=WORD_MAIN, relationships="", parts=None):
    return zip_bytes(
        {
            "[Content_Types].xml": CONTENT_TYPES.format(types),
            "word/document.xml": "<w:document/>",
            "word/_rels/document.xml.rels": RELATIONSHIPS.format(relationships),
            **(parts or {}),
        }
    )


@pytest.mark.parametrize(
    "content",
    [
        # The VBA project renamed, declared by its content type for its extension...
        _docx(
            types=WORD_MAIN
            + '<Default Extension="png" ContentType="application/vnd.ms-office.vbaProject"/>',
            parts={"word/media/image1.png": b"\xd0\xcf\x11\xe0"},
        ),
        # ... or reached through a relationship whatever its part's name.
        _docx(
            relationships='<Relationship Id="rId9" Target="media/logo.png" '
            'Type="http://schemas.microsoft.com/office/2006/relationships/vbaProject"/>',
            parts={"word/media/logo.png": b"\xd0\xcf\x11\xe0"},
        ),
        # A macro-enabled document (a .docm) renamed .docx.
        _docx(
            types='<Override PartName="/word/document.xml" ContentType="application/'
            'vnd.ms-word.document.macroEnabled.main+xml"/>'
        ),
        # A workbook with an Excel 4 macro sheet.
        zip_bytes(
            {
                "[Content_Types].xml": CONTENT_TYPES.format(
                    '<Override PartName="/xl/macrosheets/sheet1.xml" ContentType="application/'
                    'vnd.ms-excel.macrosheet+xml"/>'
                ),
                "xl/workbook.xml": "<workbook/>",
            }
        ),
        # The project under another case.
        _docx(parts={"word/VBAPROJECT.BIN": b"\xd0\xcf\x11\xe0"}),
    ],
    ids=["content-type", "relationship", "macro-enabled", "macro-sheet", "name-case"],
)
def test_ooxml_macros_are_found_by_content_whatever_the_names(content):
    name = "classeur.xlsx" if b"xl/workbook.xml" in content else "note.docx"
    with pytest.raises(ValidationError) as refused:
        validate_upload(upload(name, content))
    assert refused.value.code == "macros_refused"
    assert "macros" in str(refused.value.messages[0])


@pytest.mark.parametrize(
    "entry",
    [
        "Basic/Standard/Module1.xml",  # no folder entry: only the file
        "basic/standard/module1.xml",
        "Scripts/python/run.py",
        "SCRIPTS/beanshell/x.bsh",
        "Object 1/Basic/Standard/Module1.xml",  # in an embedded object
    ],
)
def test_odf_macros_are_found_in_any_basic_or_scripts_folder_whatever_the_case(entry):
    content = zip_bytes(
        {"content.xml": "<office/>", entry: "Sub Main\nEnd Sub"},
        mimetype="application/vnd.oasis.opendocument.text",
    )
    with pytest.raises(ValidationError) as refused:
        validate_upload(upload("compte rendu.odt", content))
    assert refused.value.code == "macros_refused"


def test_a_document_that_only_mentions_macros_is_accepted():
    content = _docx(
        relationships='<Relationship Id="rId5" TargetMode="External" '
        'Target="https://example.org/macroeconomie-vba.html" Type="http://schemas.openxmlformats'
        '.org/officeDocument/2006/relationships/hyperlink"/>',
        parts={"word/media/scripts.png": PNG_BYTES},
    )
    assert validate_upload(upload("note.docx", content)).file_type.label == "DOCX"


def _pdf(*objects):
    body = b"%PDF-1.7\n" + b"".join(
        b"%d 0 obj\n%s\nendobj\n" % (number, text) for number, text in enumerate(objects, 1)
    )
    return body + b"trailer << /Root 1 0 R >>\n%%EOF\n"


def _object_stream(content: bytes, *, filters=b"/FlateDecode"):
    data = zlib.compress(content) if filters == b"/FlateDecode" else content.hex().encode()
    return b"<< /Type /ObjStm /N 1 /First 4 /Length %d /Filter %s >>\nstream\n%s\nendstream" % (
        len(data),
        filters,
        data,
    )


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (_pdf(b"<< /Type /Catalog /Names << /JavaScript 2 0 R >> >>"), "active_content_refused"),
        (
            _pdf(
                b"<< /Type /Catalog /OpenAction 2 0 R >>",
                b"<< /S /JavaScript /JS (app.alert(1)) >>",
            ),
            "active_content_refused",
        ),
        (
            _pdf(b"<< /Type /Catalog /OpenAction << /S /GoTo /D [3 0 R /Fit] >> >>"),
            "active_content_refused",
        ),
        (
            _pdf(b"<< /Type /Catalog /AA << /O << /S /Launch /F (calc.exe) >> >> >>"),
            "active_content_refused",
        ),
        # Names written with #xx escapes, as a PDF reader accepts them.
        (
            _pdf(b"<< /Type /Catalog /AA << /O << /S /J#61vaScript /J#53 (x) >> >> >>"),
            "active_content_refused",
        ),
        (_pdf(b"<< /Type /Catalog /Open#41ction [3 0 R /Fit] >>"), "active_content_refused"),
        # The action hidden in a compressed object stream.
        (
            _pdf(b"<< /Type /Catalog >>", _object_stream(b"3 0 << /S /JavaScript /JS (x) >>")),
            "active_content_refused",
        ),
        # An object stream the check cannot read is not trusted.
        (
            _pdf(_object_stream(b"3 0 << /S /Launch >>", filters=b"/ASCIIHexDecode")),
            "uncheckable_content",
        ),
        (
            _pdf(b"<< /Type /Obj#53tm /Filter /FlateDecode >>\nstream\nxx\nendstream"),
            "uncheckable_content",
        ),
    ],
    ids=[
        "javascript",
        "open-action-js",
        "open-action-dict",
        "launch",
        "escaped",
        "escaped-open",
        "object-stream",
        "hex-stream",
        "escaped-stream",
    ],
)
def test_pdfs_with_scripts_or_actions_are_refused(content, code):
    with pytest.raises(ValidationError) as refused:
        validate_upload(upload("rapport.pdf", content))
    assert refused.value.code == code


@pytest.mark.parametrize(
    "content",
    [
        # A destination to open at (hyperref writes one): no action.
        _pdf(b"<< /Type /Catalog /OpenAction [3 0 R /FitH null] >>"),
        _pdf(b"<< /Type /Catalog >>", _object_stream(b"3 0 << /Type /Page /Parent 2 0 R >>")),
        _pdf(b"<< /Font << /JSans 4 0 R /Arial#20Bold 5 0 R >> >>"),
    ],
    ids=["open-destination", "clean-object-stream", "similar-names"],
)
def test_plain_pdfs_are_accepted(content):
    assert validate_upload(upload("rapport.pdf", content)).file_type.label == "PDF"


def test_a_pdf_with_javascript_is_refused_in_french_on_the_staff_page(
    client, agreement, anact_coordinator, media_root
):
    client.force_login(anact_coordinator)
    content = _pdf(b"<< /Type /Catalog /OpenAction << /S /JavaScript /JS (x) >> >>")
    response = client.post(
        reverse("document_create_agreement", args=[agreement.pk]),
        {"title": "Accord", "kind": "signed_text", "file": upload("accord.pdf", content)},
    )
    assert response.status_code == 200
    assert response.context["form"].has_error("file", "active_content_refused")
    assert "Ce PDF contient du JavaScript" in response.text
    assert Document.objects.count() == 0
    assert stored_files(media_root) == []


# Uploading through the staff pages -------------------------------------------------------


def test_coordinator_uploads_the_signed_agreement(client, agreement, anact_coordinator, media_root):
    client.force_login(anact_coordinator)
    url = reverse("document_create_agreement", args=[agreement.pk])

    response = client.post(
        url,
        {
            "title": "Accord-cadre signé",
            "kind": "signed_text",
            "file": upload("Accord-cadre signé.pdf", PDF_BYTES, "application/pdf"),
        },
    )

    assert response.status_code == 302
    assert response["Location"] == agreement.get_absolute_url()
    document = Document.objects.get()
    assert document.agreement == agreement
    assert document.original_name == "Accord-cadre signé.pdf"
    assert document.content_type == "application/pdf"
    assert document.size == len(PDF_BYTES)
    assert document.uploaded_by == anact_coordinator
    # Stored under an unguessable name that says nothing of the original one.
    assert document.file.name.startswith("documents/")
    assert "Accord" not in document.file.name
    assert len(Path(document.file.name).stem) >= 32
    assert (Path(media_root) / document.file.name).read_bytes() == PDF_BYTES
    assert document.history.get().history_user == anact_coordinator


def test_upload_pages_of_every_kind_of_record(client, agreement, anact_coordinator, anact):
    convention = ConventionFactory(agreement=agreement)
    records = {
        "agreement": agreement,
        "convention": convention,
        "amendment": AmendmentFactory(convention=convention),
        "meeting": MeetingFactory(agreement=agreement),
        "deliverable": DeliverableFactory(
            action__programme=ProgrammeFactory(agreement=agreement), action__lead_organisation=anact
        ),
    }
    client.force_login(anact_coordinator)
    for field, record in records.items():
        url = reverse(f"document_create_{field}", args=[record.pk])
        assert client.get(url).status_code == 200
        response = client.post(
            url, {"title": "Pièce", "kind": "other", "file": upload("piece.png", PNG_BYTES)}
        )
        assert response.status_code == 302, field
        assert response["Location"] == record.get_absolute_url()
        assert getattr(Document.objects.get(**{field: record}), field) == record


def test_renamed_program_is_refused_and_nothing_is_kept(
    client, agreement, anact_coordinator, media_root
):
    client.force_login(anact_coordinator)

    response = client.post(
        reverse("document_create_agreement", args=[agreement.pk]),
        {"title": "Accord", "kind": "signed_text", "file": upload("accord.pdf", EXE_BYTES)},
    )

    assert response.status_code == 200
    assert response.context["form"].has_error("file", "file_type_refused")
    assert 'value="Accord"' in response.text  # what was typed is kept
    assert Document.objects.count() == 0
    assert stored_files(media_root) == []


def test_over_size_upload_is_refused_with_a_message_and_no_file_left(
    client, agreement, anact_coordinator, media_root, settings
):
    settings.DOCUMENT_MAX_SIZE = 3 * 1024 * 1024
    # Bigger than the in-memory limit: Django spools it to a temporary file on disk.
    big = PDF_BYTES + b"0" * (settings.DOCUMENT_MAX_SIZE + 1)
    settings.FILE_UPLOAD_TEMP_DIR = str(media_root)
    client.force_login(anact_coordinator)

    response = client.post(
        reverse("document_create_agreement", args=[agreement.pk]),
        {"title": "Accord", "kind": "signed_text", "file": upload("accord.pdf", big)},
    )

    assert response.status_code == 200
    assert response.context["form"].has_error("file", "file_too_large")
    assert "3,0" in response.text or "3.0" in response.text  # the limit is said
    assert Document.objects.count() == 0
    assert stored_files(media_root) == []


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"title": "", "kind": "other"}, "title"),
        ({"title": "<script>alert(1)</script>", "kind": "other"}, "title"),
        ({"title": "x" * 301, "kind": "other"}, "title"),
        ({"title": "Pièce", "kind": "not-a-kind"}, "kind"),
        ({"title": "Pièce", "kind": "other", "no_file": True}, "file"),
    ],
)
def test_invalid_upload_form_keeps_what_was_typed(
    client, agreement, anact_coordinator, data, field
):
    client.force_login(anact_coordinator)
    post = {key: value for key, value in data.items() if key != "no_file"}
    if not data.get("no_file"):
        post["file"] = upload("piece.pdf", PDF_BYTES)

    response = client.post(reverse("document_create_agreement", args=[agreement.pk]), post)

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert Document.objects.count() == 0
    if data["title"] and len(data["title"]) < 100:
        assert response.context["form"]["title"].value() == data["title"]


def test_contributor_uploads_to_a_deliverable_of_their_organisation_only(
    client, agreement, anact, inrs, anact_contributor
):
    programme = ProgrammeFactory(agreement=agreement)
    own = DeliverableFactory(action__programme=programme, action__lead_organisation=anact)
    other = DeliverableFactory(action__programme=programme, action__lead_organisation=inrs)
    client.force_login(anact_contributor)
    data = {"title": "Guide", "kind": "deliverable"}

    ok = client.post(
        reverse("document_create_deliverable", args=[own.pk]),
        {**data, "file": upload("guide.pdf", PDF_BYTES)},
    )
    refused = client.post(
        reverse("document_create_deliverable", args=[other.pk]),
        {**data, "file": upload("guide.pdf", PDF_BYTES)},
    )
    on_agreement = client.post(
        reverse("document_create_agreement", args=[agreement.pk]),
        {**data, "file": upload("guide.pdf", PDF_BYTES)},
    )

    assert ok.status_code == 302
    assert (refused.status_code, on_agreement.status_code) == (403, 403)
    assert Document.objects.get().deliverable == own


# Downloading ----------------------------------------------------------------------------


def test_reader_downloads_with_the_original_name_and_safe_headers(client, agreement, anact_reader):
    document = DocumentFactory(agreement=agreement, original_name="Accord signé « 2024 ».pdf")
    client.force_login(anact_reader)

    response = client.get(reverse("document_download", args=[document.pk]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=utf-8''{quote('Accord signé « 2024 ».pdf')}" in disposition


def test_an_ascii_name_is_quoted_plainly(client, agreement, anact_reader):
    document = DocumentFactory(agreement=agreement, original_name='Accord "final".pdf')
    client.force_login(anact_reader)

    response = client.get(reverse("document_download", args=[document.pk]))

    assert response["Content-Disposition"] == 'attachment; filename="Accord \\"final\\".pdf"'


@pytest.fixture
def other_reader(outsider_organisation):
    """A reader at a body party to another agreement, not to the Anact–INRS one."""
    other = AgreementFactory(reference="AC-CNAV")
    AgreementPartyFactory(agreement=other, organisation=outsider_organisation)
    user = UserFactory(username="cnav.lecteur")
    StaffProfileFactory(user=user, organisation=outsider_organisation, role="reader")
    return user


def document_urls(document):
    convention = ConventionFactory(agreement=document.agreement)
    return [
        reverse("document_detail", args=[document.pk]),
        reverse("document_download", args=[document.pk]),
        reverse("document_version_download", args=[document.history.get().pk]),
        reverse("document_replace", args=[document.pk]),
        reverse("document_delete", args=[document.pk]),
        reverse("document_create_agreement", args=[document.agreement.pk]),
        reverse("document_create_convention", args=[convention.pk]),
    ]


@pytest.mark.parametrize("who", ["outsider", "other_reader"])
def test_people_outside_the_agreement_get_404_for_every_document_url(
    client, agreement, request, who
):
    document = DocumentFactory(agreement=agreement)
    client.force_login(request.getfixturevalue(who))
    for url in document_urls(document):
        assert client.get(url).status_code == 404, url
        assert client.post(url).status_code in (404, 405), url


def test_anonymous_visitor_is_sent_to_the_login_page_for_every_document_url(client, agreement):
    document = DocumentFactory(agreement=agreement)
    for url in document_urls(document):
        for method in (client.get, client.post):
            response = method(url)
            assert response.status_code == 302, url
            assert response["Location"].startswith(reverse("login"))


def test_files_are_never_served_from_a_media_url(client, agreement, anact_coordinator):
    document = DocumentFactory(agreement=agreement)
    client.force_login(anact_coordinator)
    for url in (f"/media/{document.file.name}", f"/{document.file.name}"):
        with pytest.raises(Resolver404):
            resolve(url)
        assert client.get(url).status_code == 404


# Pages that list documents -----------------------------------------------------------------


def test_agreement_page_links_each_document_and_offers_the_upload_to_coordinators(
    client, agreement, anact_coordinator, anact_reader
):
    document = DocumentFactory(agreement=agreement)
    upload_url = reverse("document_create_agreement", args=[agreement.pk])

    client.force_login(anact_coordinator)
    page = client.get(agreement.get_absolute_url()).text
    assert reverse("document_download", args=[document.pk]) in page
    assert reverse("document_detail", args=[document.pk]) in page
    assert f'action="{upload_url}"' in page and 'enctype="multipart/form-data"' in page

    client.force_login(anact_reader)
    page = client.get(agreement.get_absolute_url()).text
    assert reverse("document_download", args=[document.pk]) in page
    assert upload_url not in page


def test_convention_meeting_and_action_pages_link_their_documents(
    client, agreement, anact, anact_coordinator
):
    convention = ConventionFactory(
        agreement=agreement, status="signed", signed_on=datetime.date(2024, 2, 1)
    )
    amendment = AmendmentFactory(convention=convention)
    meeting = MeetingFactory(agreement=agreement)
    deliverable = DeliverableFactory(
        action__programme=ProgrammeFactory(agreement=agreement), action__lead_organisation=anact
    )
    documents = {
        record: DocumentFactory(**{field: record})
        for field, record in [
            ("convention", convention),
            ("amendment", amendment),
            ("meeting", meeting),
            ("deliverable", deliverable),
        ]
    }
    client.force_login(anact_coordinator)
    pages = {
        convention: convention.get_absolute_url(),
        amendment: convention.get_absolute_url(),
        meeting: meeting.get_absolute_url(),
        deliverable: deliverable.action.get_absolute_url(),
    }
    for record, document in documents.items():
        page = client.get(pages[record]).text
        assert reverse("document_download", args=[document.pk]) in page
        field = record._meta.model_name
        assert reverse(f"document_create_{field}", args=[record.pk]) in page


# Replacing and deleting -----------------------------------------------------------------------


def test_replacing_keeps_the_previous_file_in_the_history(
    client, agreement, anact_coordinator, anact_reader, media_root
):
    document = DocumentFactory(agreement=agreement)
    first_file = document.file.name
    client.force_login(anact_coordinator)
    page = client.get(document.get_absolute_url())
    assert 'name="version"' in page.text  # the inline form carries the version it replaces

    response = client.post(
        reverse("document_replace", args=[document.pk]),
        {"file": upload("Accord corrigé.png", PNG_BYTES), "version": document.version},
    )

    assert response.status_code == 302
    assert response["Location"] == document.get_absolute_url()
    document.refresh_from_db()
    assert document.file.name != first_file
    assert (document.original_name, document.content_type) == ("Accord corrigé.png", "image/png")
    assert (Path(media_root) / first_file).read_bytes() == PDF_BYTES  # never deleted
    old = document.history.order_by("history_date").first()
    assert old.file == first_file

    client.force_login(anact_reader)
    page = client.get(document.get_absolute_url())
    assert page.context["earlier_versions"] == [old]
    old_download = client.get(reverse("document_version_download", args=[old.pk]))
    assert b"".join(old_download.streaming_content) == PDF_BYTES
    assert old_download["Content-Type"] == "application/pdf"
    assert "Texte%20sign%C3%A9.pdf" in old_download["Content-Disposition"]
    current = client.get(reverse("document_download", args=[document.pk]))
    assert b"".join(current.streaming_content) == PNG_BYTES


def test_a_replacement_needs_an_accepted_file(client, agreement, anact_coordinator):
    document = DocumentFactory(agreement=agreement)
    client.force_login(anact_coordinator)
    url = reverse("document_replace", args=[document.pk])

    missing = client.post(url, {"version": document.version})
    renamed = client.post(
        url, {"file": upload("accord.pdf", EXE_BYTES), "version": document.version}
    )

    assert missing.context["form"].has_error("file", "required")
    assert renamed.context["form"].has_error("file", "file_type_refused")
    assert document.history.count() == 1


def test_reader_cannot_replace_nor_delete(client, agreement, anact_reader):
    document = DocumentFactory(agreement=agreement)
    client.force_login(anact_reader)

    page = client.get(document.get_absolute_url())
    assert page.context["can_change"] is False
    assert reverse("document_delete", args=[document.pk]) not in page.text
    assert 'name="file"' not in page.text
    assert client.post(reverse("document_replace", args=[document.pk])).status_code == 403
    assert client.post(reverse("document_delete", args=[document.pk])).status_code == 403


def test_deleting_a_document_keeps_its_file_for_a_restore(
    client, agreement, anact_coordinator, media_root
):
    document = DocumentFactory(agreement=agreement)
    client.force_login(anact_coordinator)

    response = client.post(reverse("document_delete", args=[document.pk]))

    assert response.status_code == 302
    assert response["Location"] == agreement.get_absolute_url()
    assert not Document.objects.exists()
    assert (Path(media_root) / document.file.name).exists()
    deleted = Document.history.filter(id=document.pk, history_type="-").get()
    assert deleted.file == document.file.name
    assert deleted.history_user == anact_coordinator


# Query counts ----------------------------------------------------------------------------------


def _replace_n_times(document, n):
    for index in range(n):
        document.file = SimpleUploadedFile(f"v{index}.pdf", PDF_BYTES)
        document.save()


@pytest.mark.parametrize("versions", [1, 50])
def test_document_page_queries_do_not_grow_with_versions(
    client, agreement, anact_reader, django_assert_num_queries, versions
):
    document = DocumentFactory(agreement=agreement)
    _replace_n_times(document, versions - 1)
    client.force_login(anact_reader)
    url = document.get_absolute_url()
    client.get(url)
    # session, user, profile with organisation, the document with its records joined,
    # the deliverable's action partners (prefetch: none here, so no query), the agreement's
    # parties (permission), the versions with their authors, the history partial (entries).
    # ... and the bell's unread count.
    with django_assert_num_queries(8):
        response = client.get(url)
    assert response.status_code == 200
    assert len(response.context["versions"]) == versions


# The admin uses the same checks --------------------------------------------------------------


def test_the_admin_refuses_a_renamed_program_too(admin_client, agreement, administrator):
    response = admin_client.post(
        reverse("admin:partnership_document_add"),
        {
            "title": "Accord",
            "kind": "signed_text",
            "file": upload("accord.pdf", EXE_BYTES),
            "uploaded_at_0": "2026-01-05",
            "uploaded_at_1": "10:00:00",
            "agreement": agreement.pk,
        },
    )

    assert response.status_code == 200
    assert "file" in response.context["adminform"].form.errors
    assert not Document.objects.exists()


def test_the_admin_records_an_accepted_file_and_links_it_to_the_download_view(
    admin_client, agreement
):
    response = admin_client.post(
        reverse("admin:partnership_document_add"),
        {
            "title": "Accord",
            "kind": "signed_text",
            "file": upload("C:\\Scans\\Accord signé.pdf", PDF_BYTES),
            "uploaded_at_0": "2026-01-05",
            "uploaded_at_1": "10:00:00",
            "agreement": agreement.pk,
        },
    )

    assert response.status_code == 302
    document = Document.objects.get()
    assert (document.original_name, document.content_type) == (
        "Accord signé.pdf",
        "application/pdf",
    )
    change = admin_client.get(reverse("admin:partnership_document_change", args=[document.pk]))
    assert f'href="{reverse("document_download", args=[document.pk])}"' in change.text
