"""Small real files of every accepted type, for tests that upload or store them: the store
judges a file by parsing it (casemodel/filetypes.py), so a header alone no longer passes."""

from __future__ import annotations

import io
import zipfile

from PIL import Image


def pdf_bytes(text: str = "Akte", padding: bytes = b"") -> bytes:
    """A one-page PDF in plain ASCII (so a browser test can hand it over as a string), with
    its cross-reference table right; `padding` goes into a stream object of its own."""
    prefix, suffix = pdf_parts(len(padding), text)
    return prefix + padding + suffix


def pdf_parts(padding_size: int, text: str = "Akte") -> tuple[bytes, bytes]:
    """What comes before and after `padding_size` bytes of padding in pdf_bytes: for a PDF of
    any size streamed without holding it."""
    stream = f"BT /F1 24 Tf 72 720 Td ({text}) Tj ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = "%PDF-1.4\n", []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n"
    offsets.append(len(out))
    prefix = out + f"6 0 obj\n<< /Length {padding_size} >>\nstream\n"
    after = "\nendstream\nendobj\n"
    xref = len(prefix) + padding_size + len(after)
    after += f"xref\n0 {len(offsets) + 1}\n0000000000 65535 f \n"
    after += "".join(f"{offset:010d} 00000 n \n" for offset in offsets)
    after += f"trailer\n<< /Size {len(offsets) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    return prefix.encode("ascii"), after.encode("ascii")


def image_bytes(kind: str = "PNG", size: tuple[int, int] = (40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, kind)
    return buffer.getvalue()


CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/{part}" ContentType="{content_type}"/></Types>'
)
RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="{part}"/></Relationships>'
)
WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
EXCEL_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"


def docx_bytes(body: str = "<w:p><w:r><w:t>Akte</w:t></w:r></w:p>") -> bytes:
    document = (
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        f"<w:body>{body}</w:body></w:document>"
    )
    return ooxml_bytes("word/document.xml", WORD_MAIN, document)


def xlsx_bytes() -> bytes:
    workbook = (
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheets><sheet name="Blad1" sheetId="1"/></sheets></workbook>'
    )
    return ooxml_bytes("xl/workbook.xml", EXCEL_MAIN, workbook)


def ooxml_bytes(part: str, content_type: str, main: str, extra: dict | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml",
                         CONTENT_TYPES.format(part=part, content_type=content_type))  # fmt: skip
        archive.writestr("_rels/.rels", RELS.format(part=part))
        archive.writestr(part, main)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def odt_bytes(media_type: str = "application/vnd.oasis.opendocument.text") -> bytes:
    manifest = (
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
        f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{media_type}"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    content = (
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        "><office:body/></office:document-content>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", media_type)  # first and stored, as ODF asks
        archive.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
        archive.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


#: A one-page PDF, the same bytes every time.
PDF = pdf_bytes()
PDF_TEXT = PDF.decode("ascii")
PNG = image_bytes("PNG")
JPEG = image_bytes("JPEG")

#: The EICAR anti-virus test file: harmless, and every scanner's signature set knows it.
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
