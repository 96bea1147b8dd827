"""What a document may not carry: programs that run when it is opened.

Office files: macros are found by what the package says, never by the name of a part. An
OOXML package (DOCX, XLSX) is refused when ``[Content_Types].xml`` gives any part a
macro-enabled or VBA content type (``...macroEnabled...``, ``vnd.ms-office.vbaProject``,
``...macrosheet...``, ``vnd.ms-word.vbaData``), when any relationship part (``*.rels``) has
a VBA or macro-sheet relationship, or when a part is named like a VBA project. An ODF
package (ODT, ODS) is refused when any of its entries lies in a ``Basic/`` or ``Scripts/``
folder, whatever the case and however deep (macros of embedded objects too).

PDF: refused when it has JavaScript (``/JavaScript``, ``/JS``), an action run at opening
(``/OpenAction`` other than a plain destination, which only says where the document
opens) or a ``/Launch`` action. Names are read as a PDF reader reads them (``/J#53`` is
``/JS``), and the object streams, where a modern PDF keeps its dictionaries compressed,
are inflated and read too. A PDF whose object streams cannot be read (encrypted, or
compressed in another way) cannot be checked and is refused.

What the checks read is bounded (``MAX_PART_SIZE``, ``MAX_PARTS_INFLATED``,
``MAX_INFLATED``): a package or a PDF built to inflate is refused rather than read.
"""

import re
import zipfile
import zlib
from xml.parsers import expat

MACROS = "macros"
PDF_ACTIVE = "pdf_active"
UNCHECKABLE = "uncheckable"

MAX_PART_SIZE = 1024 * 1024  # a [Content_Types].xml or a .rels part, inflated
MAX_PARTS_INFLATED = 4 * 1024 * 1024  # all of them (a real document: a few kilobytes)
MAX_INFLATED = 64 * 1024 * 1024  # all the object streams of a PDF, inflated
MAX_ESCAPED_NAMES = 10_000  # PDF names written with #xx escapes (a few in a real file)
MAX_OBJECT_STREAMS = 10_000  # a real PDF of thousands of pages has a few hundred

OFFICE_MARKERS = ("macro", "vba")  # in a content type or a relationship type, lower case
ODF_SCRIPT_FOLDERS = {"basic", "scripts"}


class _Refused(Exception):
    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


# Office packages ------------------------------------------------------------------------


def _attribute_values(data: bytes, element: str, attribute: str) -> list[str]:
    """The values of ``attribute`` on every ``element`` (any namespace prefix) of the XML."""
    values = []

    def start(tag, attributes):
        if tag.rpartition(":")[2] == element and attribute in attributes:
            values.append(attributes[attribute])

    def refuse(*args):
        raise _Refused(UNCHECKABLE)

    parser = expat.ParserCreate()
    parser.StartElementHandler = start
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    try:
        parser.Parse(data, True)
    except expat.ExpatError:
        raise _Refused(UNCHECKABLE) from None
    return values


def _read_part(archive, info, budget: list[int]) -> bytes:
    if info.file_size > MAX_PART_SIZE:
        raise _Refused(UNCHECKABLE)
    budget[0] += info.file_size
    if budget[0] > MAX_PARTS_INFLATED:
        raise _Refused(UNCHECKABLE)
    return archive.read(info)


def _office_macros(upload, odf: bool) -> str | None:
    upload.seek(0)
    budget = [0]
    try:
        with zipfile.ZipFile(upload) as archive:
            for info in archive.infolist():
                name = info.filename.replace("\\", "/")
                lowered = name.lower()
                if "vbaproject" in lowered or "vbadata" in lowered:
                    return MACROS
                if odf and ODF_SCRIPT_FOLDERS & set(lowered.split("/")[:-1]):
                    return MACROS
                if odf:
                    continue
                if lowered == "[content_types].xml":
                    data = _read_part(archive, info, budget)
                    types = _attribute_values(data, "Default", "ContentType")
                    types += _attribute_values(data, "Override", "ContentType")
                elif lowered.endswith(".rels"):
                    data = _read_part(archive, info, budget)
                    types = _attribute_values(data, "Relationship", "Type")
                else:
                    continue
                if any(marker in kind.lower() for kind in types for marker in OFFICE_MARKERS):
                    return MACROS
    except _Refused as refused:
        return refused.reason
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, KeyError, ValueError, EOFError):
        return UNCHECKABLE
    finally:
        upload.seek(0)
    return None


# PDF ------------------------------------------------------------------------------------

# A name ends at white space or a delimiter (PDF 32000-1, 7.2.2).
_END = rb"(?![^\x00\t\n\x0c\r \[\]<>(){}/%])"
_ACTIVE_NAMES = re.compile(rb"/(JavaScript|JS|Launch|OpenAction)" + _END)
_ESCAPED_NAME = re.compile(rb"/[^\x00\t\n\x0c\r \[\]<>(){}/%#]*#[^\x00\t\n\x0c\r \[\]<>(){}/%]*")
_HEX_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_OBJECT_STREAM = re.compile(rb"/ObjStm" + _END)
_STREAM = re.compile(rb"stream(?:\r\n|\n|\r)")
_FILTER_NAMES = re.compile(rb"/(\w+Decode|AHx|A85|LZW|Fl|RL|CCF|DCT)" + _END)
_ACTIVE = {b"JavaScript", b"JS", b"Launch", b"OpenAction", b"ObjStm"}


def _scan_pdf_names(data: bytes):
    """Refuse the active names of ``data``, plain or escaped."""
    for match in _ACTIVE_NAMES.finditer(data):
        if match.group(1) == b"OpenAction":
            following = data[match.end() : match.end() + 64].lstrip(b"\x00\t\n\x0c\r ")
            if following.startswith(b"["):
                continue  # a destination: where the document opens, no action
        raise _Refused(PDF_ACTIVE)
    for count, match in enumerate(_ESCAPED_NAME.finditer(data)):
        if count >= MAX_ESCAPED_NAMES:
            raise _Refused(UNCHECKABLE)
        name = _HEX_ESCAPE.sub(lambda escape: bytes([int(escape.group(1), 16)]), match.group())
        if name[1:] in _ACTIVE:
            # An escaped active name, or an object stream that hides from this check.
            raise _Refused(PDF_ACTIVE if name[1:] != b"ObjStm" else UNCHECKABLE)


def _object_streams(data: bytes):
    """The content of every object stream of the PDF, inflated, within ``MAX_INFLATED``.

    Each stream is looked for after the end of the previous one, so that the file is read
    once whatever it repeats.
    """
    inflated, position = 0, 0
    for count in range(MAX_OBJECT_STREAMS + 1):
        match = _OBJECT_STREAM.search(data, position)
        if match is None:
            return
        if count == MAX_OBJECT_STREAMS:
            raise _Refused(UNCHECKABLE)
        stream = _STREAM.search(data, match.end(), match.end() + 4096)
        if stream is None:
            position = match.end()
            continue  # the word without its stream: nothing is hidden there
        dictionary = data[max(0, match.start() - 4096) : stream.start()]
        dictionary = dictionary[dictionary.rfind(b"obj") + 3 :]
        filters = {name.group(1) for name in _FILTER_NAMES.finditer(dictionary)}
        unknown_filter = b"/Filter" in dictionary and not filters
        if unknown_filter or filters - {b"FlateDecode", b"Fl"} or b"/DecodeParms" in dictionary:
            raise _Refused(UNCHECKABLE)
        end = data.find(b"endstream", stream.end())
        if end == -1:
            raise _Refused(UNCHECKABLE)  # a stream without its end hides the rest of the file
        raw = data[stream.end() : end]
        position = end
        if not filters:
            yield raw
            continue
        inflater = zlib.decompressobj()
        try:
            content = inflater.decompress(raw, MAX_INFLATED - inflated + 1)
        except zlib.error:
            raise _Refused(UNCHECKABLE) from None
        inflated += len(content)
        if inflated > MAX_INFLATED:
            raise _Refused(UNCHECKABLE)
        yield content


def _pdf_active(upload) -> str | None:
    upload.seek(0)
    try:
        data = upload.read()
        _scan_pdf_names(data)
        for content in _object_streams(data):
            _scan_pdf_names(content)
    except _Refused as refused:
        return refused.reason
    finally:
        upload.seek(0)
    return None


def active_content(upload, content_type: str) -> str | None:
    """Why the file may not be kept (``MACROS``, ``PDF_ACTIVE``, ``UNCHECKABLE``), or None."""
    if content_type == "application/pdf":
        return _pdf_active(upload)
    if content_type.startswith("application/vnd.oasis.opendocument."):
        return _office_macros(upload, odf=True)
    if content_type.startswith("application/vnd.openxmlformats-officedocument."):
        return _office_macros(upload, odf=False)
    return None
