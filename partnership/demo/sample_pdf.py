"""Small PDF files for the demonstration's documents, written without any PDF library.

A one-page PDF 1.4 in Helvetica (WinAnsi encoding, so French accents show), the kind of
scanned signed text or slide handout people attach; the documents' upload checks accept it
as they would any PDF.
"""

WIDTH, HEIGHT = 595, 842  # A4, in points
MARGIN, LEADING = 56, 16


def _text(value: str) -> bytes:
    """A PDF string literal: WinAnsi bytes, with its delimiters escaped."""
    data = value.replace("’", "'").encode("cp1252", errors="replace")
    return b"(" + data.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def sample_pdf(title: str, lines: list[str]) -> bytes:
    """A one-page PDF with a title and lines of text (each kept under about 90 characters)."""
    content = [b"BT", b"/F2 16 Tf", b"%d %d Td" % (MARGIN, HEIGHT - MARGIN), _text(title) + b" Tj"]
    content += [b"/F1 11 Tf", b"0 -%d Td" % (2 * LEADING)]
    for line in lines:
        content += [_text(line) + b" Tj", b"0 -%d Td" % LEADING]
    content.append(b"ET")
    stream = b"\n".join(content)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R /F2 6 0 R >> >> >>" % (WIDTH, HEIGHT),
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)
