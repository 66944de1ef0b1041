"""What an uploaded file really is, judged by parsing it, within budgets.

A file is accepted only as a type it really is: a PDF whose structure pypdf can read (trailer,
cross-references, catalogue, every page), a PNG or JPEG that Pillow can verify (a JPEG also
decoded, at an eighth of its size), a Word or Excel file whose package is complete (content
types, the package relations, and the main part they name, of the content type that makes it
that kind of file), an OpenDocument text or spreadsheet with its manifest and content. A file
that merely starts like one of these (a PDF header followed by HTML, a JPEG marker followed by
script) is none of them.

Every decompression on the way is bounded, because a few kilobytes can ask for gigabytes: an
archive is judged first by its directory (the number of members, what they say they unpack to,
and how much they say they shrink), and then only the parts the judgement needs are read, in
chunks, counted against the same budget, never in one piece; an image by its pixel count before
a pixel is decoded; a PDF with pypdf's own limits set lower (pypdf.apply_configuration). Over
any budget the file is refused as too complex, with a reason of its own.
"""

from __future__ import annotations

import struct
import xml.parsers.expat
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pypdf
from PIL import Image
from pypdf.errors import LimitReachedError

from casemodel.services.errors import DomainError

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODT = "application/vnd.oasis.opendocument.text"
ODS = "application/vnd.oasis.opendocument.spreadsheet"

#: What the portal accepts: documents and scans people really send to a notary or accountant.
ALLOWED_TYPES = {
    PDF: ".pdf",
    PNG: ".png",
    JPEG: ".jpg",
    DOCX: ".docx",
    XLSX: ".xlsx",
    ODT: ".odt",
    ODS: ".ods",
}

#: The content type of an Office Open XML package's main part, for each type we accept. Macro
#: files (.docm, .xlsm) have other ones and are refused.
OOXML_MAIN_PARTS = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": DOCX,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": XLSX,
}
OFFICE_DOCUMENT_RELATION = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
)


class FileRejected(DomainError):
    """An upload the store refuses. `reason`: "too_large", "empty", "type_not_allowed",
    "too_complex" (over a decompression budget), "malware" (then `signature` names what the
    scanner found in the bytes of `sha256`) or "scanner_unavailable"."""

    def __init__(self, reason: str, *, signature: str | None = None, sha256: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.signature = signature
        self.sha256 = sha256


@dataclass(frozen=True)
class Budget:
    """How far the judgement of one file may go."""

    #: Members of an archive (a thick Word file with its pictures has a few hundred).
    max_members: int = 2_000
    #: The archive's directory, read before any member (bounds the members however many it
    #: claims: each entry takes at least 46 bytes).
    max_directory_bytes: int = 2 * 1024 * 1024
    #: What the members of an archive together say they unpack to.
    max_unpacked_bytes: int = 256 * 1024 * 1024
    #: How much one member may say it shrank (unpacked / packed). Text in XML shrinks 5-20
    #: times, rarely 50; a bomb thousands of times.
    max_ratio: int = 100
    #: Members smaller than this are not held to the ratio (tiny parts shrink oddly, and harm
    #: nobody).
    ratio_floor_bytes: int = 1024 * 1024
    #: What the judgement reads out of an archive in all (the parts it parses).
    max_read_bytes: int = 64 * 1024 * 1024
    #: Pixels of an image: Pillow's own threshold for a decompression bomb (about 89 million,
    #: a 600 dpi A3 scan); checked before any pixel is decoded.
    max_image_pixels: int = Image.MAX_IMAGE_PIXELS or 89_478_485
    #: One decoded PDF stream (object and cross-reference streams; page contents are not read).
    max_pdf_stream_bytes: int = 16 * 1024 * 1024


DEFAULT_BUDGET = Budget()


class _OverBudget(Exception):
    pass


class _NotThatType(Exception):
    pass


def judge_type(path: Path, budget: Budget = DEFAULT_BUDGET) -> str:
    """The allowed type the file at `path` really is.

    Raises:
        FileRejected: "type_not_allowed" when it is none of them (or damaged), "too_complex"
            when judging it would take more than the budget allows.
    """
    with path.open("rb") as file:
        head = file.read(8)
    try:
        if head.startswith(b"%PDF-"):
            return _judge_pdf(path, budget)
        if head.startswith(b"\x89PNG\r\n\x1a\n"):
            return _judge_image(path, "PNG", budget)
        if head.startswith(b"\xff\xd8\xff"):
            return _judge_image(path, "JPEG", budget)
        if head.startswith(b"PK\x03\x04"):
            return _judge_package(path, budget)
    except _OverBudget:
        raise FileRejected("too_complex") from None
    except _NotThatType:
        pass
    raise FileRejected("type_not_allowed")


# --- PDF -----------------------------------------------------------------------------------------


def _judge_pdf(path: Path, budget: Budget) -> str:
    limit = budget.max_pdf_stream_bytes
    limits = dict.fromkeys(
        (
            "maximum_declared_stream_length",
            "array_based_stream_maximum_output_length",
            "jbig2_maximum_output_length",
            "lzw_maximum_output_length",
            "run_length_maximum_output_length",
            "zlib_maximum_output_length",
            "brotli_maximum_output_length",
            "stream_decoding_work_maximum_length",
            "image_maximum_buffer_size",
        ),
        limit,
    )
    try:
        with pypdf.apply_configuration(**limits), path.open("rb") as file:
            # An open file, not the path: given a path, pypdf reads the whole file into memory.
            reader = pypdf.PdfReader(file)
            if reader.is_encrypted and not reader.decrypt(""):
                # Protected by a password we do not have (bank statements often are): the
                # trailer and cross-references have been read; the objects cannot be.
                return PDF
            if len(reader.pages) == 0:
                raise _NotThatType
            for page in reader.pages:
                page.mediabox  # noqa: B018 - resolves the page and its inherited attributes
    except LimitReachedError:
        raise _OverBudget from None
    except (_NotThatType, _OverBudget):
        raise
    except Exception:  # noqa: BLE001 - whatever pypdf meets in a damaged or fake file
        raise _NotThatType from None
    return PDF


# --- images --------------------------------------------------------------------------------------


def _judge_image(path: Path, kind: str, budget: Budget) -> str:
    try:
        with Image.open(path, formats=[kind]) as image:
            width, height = image.size
            if width * height > budget.max_image_pixels:
                raise _OverBudget
            image.verify()  # PNG: every chunk and its checksum, without inflating the pixels
        if kind == "JPEG":
            # Pillow's verify() reads nothing of a JPEG's scan data: decode it, at an eighth of
            # the size (the decoder's own scaling, so memory stays small).
            with Image.open(path, formats=[kind]) as image:
                image.draft(image.mode, (max(1, width // 8), max(1, height // 8)))
                image.load()
    except Image.DecompressionBombError:
        raise _OverBudget from None
    except _OverBudget:
        raise
    except Exception:  # noqa: BLE001 - whatever Pillow meets in a damaged or fake file
        raise _NotThatType from None
    return PNG if kind == "PNG" else JPEG


# --- Office Open XML and OpenDocument packages ---------------------------------------------------


def _judge_package(path: Path, budget: Budget) -> str:
    members, directory_bytes = _directory_size(path)
    if members > budget.max_members or directory_bytes > budget.max_directory_bytes:
        raise _OverBudget
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            _check_declared_sizes(infos, budget)
            reader = _BudgetedReader(archive, budget)
            names = {info.filename for info in infos}
            if "mimetype" in names:
                return _judge_opendocument(reader, names)
            return _judge_ooxml(reader, names)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError, EOFError):
        # Damaged, lying about its sizes (the checksum fails once the declared bytes are
        # read), or packed with a method Python does not read.
        raise _NotThatType from None


def _directory_size(path: Path) -> tuple[int, int]:
    """How many members the archive's end record says it has, and how large its directory is,
    read from the end of the file before zipfile builds an object for every entry."""
    with path.open("rb") as file:
        size = file.seek(0, 2)
        tail_length = min(size, 22 + 65535)
        file.seek(size - tail_length)
        tail = file.read(tail_length)
        at = tail.rfind(b"PK\x05\x06")
        if at < 0 or len(tail) - at < 22:
            raise _NotThatType
        _sig, _disk, _cd_disk, _here, members, directory_bytes, _offset, _comment = struct.unpack(
            "<4s4H2LH", tail[at : at + 22]
        )
        if members == 0xFFFF or directory_bytes == 0xFFFFFFFF:
            # ZIP64: the locator just before the end record points at the real counts.
            if at < 20 or tail[at - 20 : at - 16] != b"PK\x06\x07":
                raise _NotThatType
            (record_offset,) = struct.unpack("<Q", tail[at - 12 : at - 4])
            file.seek(record_offset)
            record = file.read(56)
            if len(record) < 56 or record[:4] != b"PK\x06\x06":
                raise _NotThatType
            members, directory_bytes = struct.unpack("<QQ", record[32:48])
    return members, directory_bytes


def _check_declared_sizes(infos: list[zipfile.ZipInfo], budget: Budget) -> None:
    if len(infos) > budget.max_members:
        raise _OverBudget
    if sum(info.file_size for info in infos) > budget.max_unpacked_bytes:
        raise _OverBudget
    for info in infos:
        if (
            info.file_size > budget.ratio_floor_bytes
            and info.file_size > budget.max_ratio * max(info.compress_size, 1)
        ):
            raise _OverBudget


class _BudgetedReader:
    """Reads members in chunks, counting every unpacked byte against the budget; a member is
    never read further than it says it is (zipfile stops there and checks the checksum)."""

    CHUNK = 64 * 1024

    def __init__(self, archive: zipfile.ZipFile, budget: Budget):
        self.archive = archive
        self.left = budget.max_read_bytes

    def chunks(self, name: str) -> Iterator[bytes]:
        with self.archive.open(name) as member:
            while chunk := member.read(self.CHUNK):
                self.left -= len(chunk)
                if self.left < 0:
                    raise _OverBudget
                yield chunk

    def small(self, name: str, limit: int = 1024 * 1024) -> bytes:
        data = b""
        for chunk in self.chunks(name):
            data += chunk
            if len(data) > limit:
                raise _OverBudget
        return data

    def parse_xml(self, name: str, **handlers) -> None:
        """Parse a member as XML as it is read (expat, streaming), refusing a DTD: no part of
        these formats has one, and entity definitions are how XML bombs are made."""
        parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")

        def no_dtd(*_args):
            raise _NotThatType

        parser.StartDoctypeDeclHandler = no_dtd
        parser.EntityDeclHandler = no_dtd
        for event, handler in handlers.items():
            setattr(parser, event, handler)
        try:
            for chunk in self.chunks(name):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
        except xml.parsers.expat.ExpatError:
            raise _NotThatType from None


def _judge_ooxml(reader: _BudgetedReader, names: set[str]) -> str:
    if "[Content_Types].xml" not in names or "_rels/.rels" not in names:
        raise _NotThatType
    overrides: dict[str, str] = {}

    def content_type(name, attributes):
        if name.endswith(" Override") or name == "Override":
            overrides[attributes.get("PartName", "").lstrip("/")] = attributes.get("ContentType")

    reader.parse_xml("[Content_Types].xml", StartElementHandler=content_type)
    main_parts: list[str] = []

    def relation(name, attributes):
        if name.endswith(" Relationship") and attributes.get("Type") == OFFICE_DOCUMENT_RELATION:
            main_parts.append(str(PurePosixPath(attributes.get("Target", "").lstrip("/"))))

    reader.parse_xml("_rels/.rels", StartElementHandler=relation)
    if len(main_parts) != 1 or main_parts[0] not in names:
        raise _NotThatType
    kind = OOXML_MAIN_PARTS.get(overrides.get(main_parts[0], ""))
    if kind is None:
        raise _NotThatType
    reader.parse_xml(main_parts[0])  # the document itself is there and whole
    return kind


def _judge_opendocument(reader: _BudgetedReader, names: set[str]) -> str:
    declared = reader.small("mimetype", limit=100).decode("ascii", "replace").strip()
    # Only an OpenDocument file says what it is this way: a ZIP that declares itself a PDF or
    # an image is none of them.
    if declared not in (ODT, ODS) or not {"META-INF/manifest.xml", "content.xml"} <= names:
        raise _NotThatType
    root_types: list[str] = []

    def manifest_entry(name, attributes):
        if name.endswith(" file-entry"):
            path = next((v for k, v in attributes.items() if k.endswith(" full-path")), None)
            media = next((v for k, v in attributes.items() if k.endswith(" media-type")), None)
            if path == "/":
                root_types.append(media)

    reader.parse_xml("META-INF/manifest.xml", StartElementHandler=manifest_entry)
    if root_types != [declared]:
        raise _NotThatType
    reader.parse_xml("content.xml")
    return declared
