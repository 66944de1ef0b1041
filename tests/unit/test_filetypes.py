"""The type check parses what it accepts, and every decompression on the way is bounded.

Each bomb below is refused as too complex, and the portal's memory growth while the store
judges it (traced Python allocations, and the process's resident size sampled as it runs) is
measured and kept under 50 MB. Before the budgets, the first of them inflated the portal by
gigabytes: the type check read a member in full, in memory."""

from __future__ import annotations

import io
import struct
import threading
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import pytest

from casemodel.filestore import FileRejected, FileStore
from casemodel.filetypes import DOCX, JPEG, ODS, ODT, PDF, PNG, XLSX, judge_type
from tests.files import (
    CONTENT_TYPES,
    RELS,
    WORD_MAIN,
    docx_bytes,
    image_bytes,
    odt_bytes,
    ooxml_bytes,
    pdf_bytes,
    xlsx_bytes,
)

MB = 1024 * 1024
UPLOAD_LIMIT = 50 * MB
MEMORY_LIMIT = 50 * MB


def judged(tmp_path: Path, content: bytes) -> str:
    path = tmp_path / "upload"
    path.write_bytes(content)
    return judge_type(path)


def refusal(tmp_path: Path, content: bytes) -> str:
    with pytest.raises(FileRejected) as refused:
        judged(tmp_path, content)
    return refused.value.reason


# --- real files pass -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (pdf_bytes, PDF),
        (lambda: image_bytes("PNG"), PNG),
        (lambda: image_bytes("JPEG", (2400, 1600)), JPEG),
        (docx_bytes, DOCX),
        (xlsx_bytes, XLSX),
        (odt_bytes, ODT),
        (lambda: odt_bytes(ODS), ODS),
    ],
)
def test_real_files_are_what_they_are(tmp_path, make, expected):
    assert judged(tmp_path, make()) == expected


def test_a_pdf_made_by_reportlab_passes(tmp_path):
    from devtools.seed import demo_pdf

    assert judged(tmp_path, demo_pdf("Akte", ["regel 1", "regel 2"])) == PDF


# --- what only starts like one is refused --------------------------------------------------------

SCRIPT = b"<html><body><script>alert(document.cookie)</script></body></html>"


@pytest.mark.parametrize(
    "content",
    [
        b"%PDF-1.7\n" + SCRIPT,
        b"%PDF-1.7\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n",  # a header, no document
        b"\xff\xd8\xff\xe0" + SCRIPT,
        image_bytes("JPEG")[:300] + SCRIPT,  # a JPEG's header, then script instead of the scan
        b"\x89PNG\r\n\x1a\n" + SCRIPT,
        image_bytes("PNG")[:-20] + SCRIPT,  # a PNG whose chunks end in script
        b"PK\x03\x04" + SCRIPT,
    ],
    ids=["pdf-html", "pdf-header-only", "jpeg-html", "jpeg-cut", "png-html", "png-cut", "zip-html"],
)
def test_a_file_that_only_starts_like_an_allowed_type_is_refused(tmp_path, content):
    assert refusal(tmp_path, content) == "type_not_allowed"


def test_an_office_package_must_be_complete_and_of_an_allowed_kind(tmp_path):
    incomplete = io.BytesIO()
    with zipfile.ZipFile(incomplete, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    assert refusal(tmp_path, incomplete.getvalue()) == "type_not_allowed"
    # The relations name a main part that is not there.
    missing = io.BytesIO()
    with zipfile.ZipFile(missing, "w") as archive:
        archive.writestr("[Content_Types].xml",
                         CONTENT_TYPES.format(part="word/document.xml", content_type=WORD_MAIN))
        archive.writestr("_rels/.rels", RELS.format(part="word/document.xml"))
    assert refusal(tmp_path, missing.getvalue()) == "type_not_allowed"
    # A Word file with macros (.docm) is another kind.
    macros = ooxml_bytes("word/document.xml",
                         "application/vnd.ms-word.document.macroEnabled.main+xml",
                         "<w:document xmlns:w='x'/>")  # fmt: skip
    assert refusal(tmp_path, macros) == "type_not_allowed"
    # The main part must be whole XML.
    assert refusal(tmp_path, docx_bytes(body="<w:p>cut off")) == "type_not_allowed"
    # An OpenDocument file whose manifest says otherwise than its mimetype.
    lying = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(odt_bytes())) as source, zipfile.ZipFile(lying, "w") as out:
        for info in source.infolist():
            data = source.read(info)
            out.writestr(info, ODS.encode() if info.filename == "mimetype" else data)
    assert refusal(tmp_path, lying.getvalue()) == "type_not_allowed"


def test_an_entity_bomb_in_an_office_file_is_refused(tmp_path):
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
        + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9))
        + ']><w:document xmlns:w="x">&j;</w:document>'
    )
    bomb = ooxml_bytes("word/document.xml", WORD_MAIN, laughs)
    assert refusal(tmp_path, bomb) == "type_not_allowed"


# --- bombs: refused, and the memory the check takes is measured ----------------------------------


def memory_growth_while(action) -> int:
    """The most the process grew while `action` ran: the larger of the traced Python
    allocations' peak and the resident size sampled every millisecond (C libraries allocate
    outside tracemalloc's sight)."""

    def resident() -> int:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * 4096

    baseline, peak, done = resident(), [0], threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], resident() - baseline)
            done.wait(0.001)

    sampler = threading.Thread(target=sample)
    tracemalloc.start()
    sampler.start()
    try:
        action()
    finally:
        done.set()
        sampler.join()
        traced = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return max(traced, peak[0], resident() - baseline)


def assert_refused_within_memory(tmp_path: Path, path: Path, reason: str = "too_complex") -> int:
    store = FileStore(tmp_path / "store")
    refused: list[FileRejected] = []

    def upload():
        with path.open("rb") as stream:
            try:
                store.put(stream, max_bytes=UPLOAD_LIMIT)
            except FileRejected as error:
                refused.append(error)

    growth = memory_growth_while(upload)
    assert [error.reason for error in refused] == [reason]
    assert growth < MEMORY_LIMIT, f"the check took {growth / MB:.0f} MB"
    assert not any(store.incoming.iterdir())  # nothing kept
    return growth


def zeros(total: int, chunk: int = 16 * MB):
    while total > 0:
        yield bytes(min(chunk, total))
        total -= chunk


@pytest.mark.parametrize("member", ["mimetype", "word/document.xml"])
def test_a_zip_whose_member_inflates_to_gigabytes(tmp_path, member):
    """`mimetype`: the attack as found, an OpenDocument-looking file whose type the old check
    read in full, in memory (1 MB became 2 GB in the portal's process)."""
    path = tmp_path / "bomb.docx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml",
                         CONTENT_TYPES.format(part="word/document.xml", content_type=WORD_MAIN))
        archive.writestr("_rels/.rels", RELS.format(part="word/document.xml"))
        with archive.open(member, "w", force_zip64=True) as member:
            for chunk in zeros(3 * 1024 * MB):
                member.write(chunk)
    assert path.stat().st_size < UPLOAD_LIMIT
    assert_refused_within_memory(tmp_path, path)


def test_a_zip_with_a_hundred_thousand_members(tmp_path):
    path = tmp_path / "members.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml",
                         CONTENT_TYPES.format(part="xl/workbook.xml",
                                              content_type="application/vnd.openxmlformats-"
                                              "officedocument.spreadsheetml.sheet.main+xml"))
        archive.writestr("_rels/.rels", RELS.format(part="xl/workbook.xml"))
        archive.writestr("xl/workbook.xml", "<workbook/>")
        for number in range(100_000):
            archive.writestr(f"xl/m{number}", b"")
    assert path.stat().st_size < UPLOAD_LIMIT
    assert_refused_within_memory(tmp_path, path)


def test_a_word_file_that_shrank_hundreds_of_times(tmp_path):
    """Within the total (200 MB unpacked), but its document shrank hundreds of times: only a
    bomb does that."""
    path = tmp_path / "ratio.docx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml",
                         CONTENT_TYPES.format(part="word/document.xml", content_type=WORD_MAIN))
        archive.writestr("_rels/.rels", RELS.format(part="word/document.xml"))
        with archive.open("word/document.xml", "w") as member:
            member.write(b'<w:document xmlns:w="x"><w:body>')
            paragraph = b"<w:p/>" * (MB // 6)
            for _ in range(200):
                member.write(paragraph)
            member.write(b"</w:body></w:document>")
    info = zipfile.ZipFile(path).getinfo("word/document.xml")
    assert info.file_size > 500 * info.compress_size
    assert_refused_within_memory(tmp_path, path)


def png(width: int, height: int, idat: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat)
            + chunk(b"IEND", b""))  # fmt: skip


@pytest.mark.parametrize(
    ("width", "height"),
    [(100_000, 100_000), (12_000, 11_200)],
    ids=["ten-gigapixels", "above-the-pixel-budget"],
)
def test_a_decompression_bomb_png(tmp_path, width, height):
    # Rows of zeros shrink to almost nothing: a few hundred kB would inflate to gigabytes.
    compressor = zlib.compressobj(9)
    row = bytes(width + 1)
    idat = b"".join(compressor.compress(row) for _ in range(min(height, 2_000)))
    idat += compressor.flush()
    path = tmp_path / "bomb.png"
    path.write_bytes(png(width, height, idat))
    assert path.stat().st_size < UPLOAD_LIMIT
    assert_refused_within_memory(tmp_path, path)


def test_a_large_real_photo_still_passes_within_memory(tmp_path):
    path = tmp_path / "photo.jpg"
    path.write_bytes(image_bytes("JPEG", (6000, 4000)))
    store = FileStore(tmp_path / "store")
    stored = []

    def upload():
        with path.open("rb") as stream:
            stored.append(store.put(stream, max_bytes=UPLOAD_LIMIT))

    growth = memory_growth_while(upload)
    assert stored[0].content_type == JPEG
    assert growth < MEMORY_LIMIT, f"the check took {growth / MB:.0f} MB"
