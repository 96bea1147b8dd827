"""What an uploaded document must be: its type read from its content, its size, its name.

The staff pages and the admin validate uploads through ``validate_upload``: the type is
recognised from the first bytes of the file (and, for the office formats, from the entries
of the ZIP container), never from the name alone, and the name must say the same thing as
the content. A PDF renamed ``.docx``, or a program renamed ``.pdf``, is refused; so is an
office file with macros or a PDF with scripts or actions run at opening, found by content
(``active_content``).

Files are stored through Django's storage API (``Document.file``) under an unguessable name,
and served only by ``partnership.documents.views``, never through a media URL.
"""

import re
import unicodedata
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from partnership.documents.active_content import MACROS, PDF_ACTIVE, UNCHECKABLE, active_content


@dataclass(frozen=True)
class FileType:
    label: str
    content_type: str
    extensions: tuple[str, ...]


PDF = FileType("PDF", "application/pdf", ("pdf",))
PNG = FileType("PNG", "image/png", ("png",))
JPEG = FileType("JPEG", "image/jpeg", ("jpg", "jpeg", "jpe"))
ODT = FileType("ODT", "application/vnd.oasis.opendocument.text", ("odt",))
ODS = FileType("ODS", "application/vnd.oasis.opendocument.spreadsheet", ("ods",))
DOCX = FileType(
    "DOCX",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ("docx",),
)
XLSX = FileType(
    "XLSX",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ("xlsx",),
)
ALLOWED_TYPES = (PDF, ODT, ODS, DOCX, XLSX, PNG, JPEG)
ODF_TYPES = {file_type.content_type: file_type for file_type in (ODT, ODS)}
OOXML_TYPES = (DOCX, XLSX)
# Types that a browser may display in the page rather than save (see the download view).
INLINE_TYPES = {PDF.content_type, PNG.content_type, JPEG.content_type}

HEADER_SIZE = 8
MAX_NAME_LENGTH = 150
# Characters no file name should carry on any system, nor in a Content-Disposition header.
FORBIDDEN_IN_NAMES = re.compile(r'[\\/:*?"<>|;\x00-\x1f\x7f]')


def allowed_extensions_text() -> str:
    return ", ".join(file_type.label for file_type in ALLOWED_TYPES)


def clean_filename(name: str) -> str:
    """A readable file name without any path, control characters or reserved characters."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = re.split(r"[\\/]", name)[-1]  # no folder, whatever the browser's separator
    name = "".join(
        char for char in name if unicodedata.category(char)[0] != "C"
    )  # no control, format or private-use characters (this includes NUL)
    name = FORBIDDEN_IN_NAMES.sub("_", name)
    name = re.sub(r"\s+", " ", name).strip()
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    extension = extension.strip().lower()[:8]
    stem = stem.strip(" .")[: MAX_NAME_LENGTH - len(extension) - 1] or "document"
    return f"{stem}.{extension}" if extension else stem


def extension_of(name: str) -> str:
    return name.rpartition(".")[2].lower() if "." in name else ""


def _zip_type(upload):
    """The office type of a ZIP container, or None: ODF by its ``mimetype`` entry, OOXML by
    its ``[Content_Types].xml`` and its main folder."""
    try:
        with zipfile.ZipFile(upload) as archive:
            names = archive.namelist()
            if "mimetype" in names:
                info = archive.getinfo("mimetype")
                if info.file_size > 100:
                    return None
                declared = archive.read(info).decode("ascii", errors="replace").strip()
                return ODF_TYPES.get(declared)
            if "[Content_Types].xml" in names:
                if any(name.startswith("word/") for name in names):
                    return DOCX
                if any(name.startswith("xl/") for name in names):
                    return XLSX
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, KeyError, ValueError):
        return None
    return None


def sniff(upload) -> FileType | None:
    """The allowed type the content of the file is, or None."""
    upload.seek(0)
    header = upload.read(HEADER_SIZE)
    try:
        if header.startswith(b"%PDF-"):
            return PDF
        if header.startswith(b"\x89PNG\r\n\x1a\n"):
            return PNG
        if header.startswith(b"\xff\xd8\xff"):
            return JPEG
        if header.startswith(b"PK\x03\x04"):
            upload.seek(0)
            return _zip_type(upload)
        return None
    finally:
        upload.seek(0)


# Why a file carrying a program is refused: (message, code).
ACTIVE_CONTENT_ERRORS = {
    MACROS: (
        _(
            "This document contains macros, a program that would run on the computers of "
            "the people who open it, whatever its name says. Save it without macros (as "
            ".docx, .xlsx, .odt or .ods) and upload it again."
        ),
        "macros_refused",
    ),
    PDF_ACTIVE: (
        _(
            "This PDF contains JavaScript or an action that runs when it is opened "
            "(OpenAction, Launch): such PDFs are refused. Print it again to PDF, or export "
            "it without scripts or actions, and upload it again."
        ),
        "active_content_refused",
    ),
    UNCHECKABLE: (
        _(
            "This file's content cannot be checked for macros or scripts (part of it is "
            "encrypted, compressed in an unusual way or too large once uncompressed): save "
            "it again as a plain file (for a PDF, “Print to PDF”) and upload it again."
        ),
        "uncheckable_content",
    ),
}


@dataclass(frozen=True)
class CheckedUpload:
    name: str  # cleaned, readable: kept as the document's original name
    file_type: FileType
    size: int


def validate_upload(upload) -> CheckedUpload:
    """Check an uploaded file's size, content type and name; raise ValidationError if refused.

    On success the upload's ``name`` is replaced by the cleaned name (the storage then makes
    up its own unguessable name from it, keeping only the extension).
    """
    limit = settings.DOCUMENT_MAX_SIZE
    if upload.size > limit:
        raise ValidationError(
            _("The file is too large (%(size)s); the limit is %(limit)s."),
            code="file_too_large",
            params={"size": filesizeformat(upload.size), "limit": filesizeformat(limit)},
        )
    if upload.size == 0:
        raise ValidationError(_("The file is empty."), code="empty_file")
    name = clean_filename(upload.name)
    file_type = sniff(upload)
    if file_type is None:
        raise ValidationError(
            _(
                "This file is not one of the accepted types (%(types)s), whatever its name "
                "says. Save it as one of them and upload it again."
            ),
            code="file_type_refused",
            params={"types": allowed_extensions_text()},
        )
    if extension_of(name) not in file_type.extensions:
        raise ValidationError(
            _(
                "The file's name (“%(name)s”) does not match its content, which is %(type)s. "
                "Rename it with the extension .%(extension)s and upload it again."
            ),
            code="file_name_mismatch",
            params={"name": name, "type": file_type.label, "extension": file_type.extensions[0]},
        )
    refusal = active_content(upload, file_type.content_type)
    if refusal is not None:
        message, code = ACTIVE_CONTENT_ERRORS[refusal]
        raise ValidationError(message, code=code)
    upload.name = name
    return CheckedUpload(name=name, file_type=file_type, size=upload.size)


def record_upload(document, checked: CheckedUpload):
    """Copy what was learnt about the upload into the document's fields."""
    document.original_name = checked.name
    document.content_type = checked.file_type.content_type
    document.size = checked.size
