"""The file store: content-addressed, outside the web root, written by streaming.

A file is stored under its SHA-256 (`<root>/ab/cd/abcd…`), so the same bytes are kept once and a
stored file never changes. `put` reads the upload in chunks (memory stays constant whatever the
size), counts and hashes as it goes, refuses more than `max_bytes`, judges the type from the
content against an allow-list (never from the name), and only then moves the file into place.
Whatever goes wrong on the way, nothing half-written is left behind.

The database row that refers to a stored file is the caller's business. A file no row refers to
(its transaction failed, a later file of the same form was refused, its document was removed) is
removed by `services.file_sweep.sweep_unreferenced_files` once it has been left alone for a while:
these are clients' passports and tax returns, kept no longer than something needs them.

The sweep and a `put` of the same bytes must not cross: `put` finds the bytes already stored
and refreshes the file's time (or stores them again if the sweep just took them), and the sweep
moves a file aside before it looks at that time again, so a file `put` has just handed out is
put back, never removed under the row about to refer to it.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import time
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from casemodel.services.errors import DomainError

CHUNK = 1024 * 1024

#: What the portal accepts: documents and scans people really send to a notary or accountant.
ALLOWED_TYPES = {
    "application/pdf": ".pdf",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.oasis.opendocument.text": ".odt",
    "application/vnd.oasis.opendocument.spreadsheet": ".ods",
}


OPENDOCUMENT_TYPES = {name for name in ALLOWED_TYPES if ".opendocument." in name}


class FileRejected(DomainError):
    """An upload the store refuses; `reason` is "too_large", "empty" or "type_not_allowed"."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size: int
    content_type: str


class FileStore:
    def __init__(self, root: Path | str):
        self.root = Path(root)
        self.incoming = self.root / ".incoming"

    def put(self, stream: BinaryIO, *, max_bytes: int) -> StoredFile:
        """Store what the stream holds. Raises FileRejected; leaves nothing behind on any error."""
        self.incoming.mkdir(parents=True, exist_ok=True)
        digest, size, head = hashlib.sha256(), 0, b""
        descriptor, temporary = tempfile.mkstemp(dir=self.incoming)
        try:
            with os.fdopen(descriptor, "wb") as file:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if size > max_bytes:
                        raise FileRejected("too_large")
                    if len(head) < 8:
                        head += chunk[:8]
                    digest.update(chunk)
                    file.write(chunk)
                file.flush()
                os.fsync(file.fileno())
            if size == 0:
                raise FileRejected("empty")
            content_type = sniff_type(head, Path(temporary))
            if content_type not in ALLOWED_TYPES:
                raise FileRejected("type_not_allowed")
            sha256 = digest.hexdigest()
            final = self.path(sha256)
            try:
                os.utime(final)  # already stored: fresh again for the sweep (module docstring)
                os.unlink(temporary)
            except FileNotFoundError:
                final.parent.mkdir(parents=True, exist_ok=True)
                os.chmod(temporary, 0o640)
                os.replace(temporary, final)
                # The rename is durable only once the directories holding it are.
                for directory in (final.parent, final.parent.parent, self.root):
                    _fsync_directory(directory)
            return StoredFile(sha256, size, content_type)
        except BaseException:
            if os.path.exists(temporary):
                os.unlink(temporary)
            raise

    def path(self, sha256: str) -> Path:
        if not re.fullmatch(r"[0-9a-f]{64}", sha256):
            raise ValueError("not a SHA-256")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def open(self, sha256: str) -> BinaryIO:
        return self.path(sha256).open("rb")

    # --- the sweep (services.file_sweep) ---------------------------------------------------------

    def untouched_since(self, seconds: float) -> Iterator[str]:
        """The SHA-256 of every stored file neither written nor handed out by `put` for that
        long; also removes half-written uploads that old (a process killed mid-upload)."""
        cutoff = time.time() - seconds
        self._put_back_what_a_sweep_left_aside()
        for directory, subdirectories, names in os.walk(self.root):
            here = Path(directory)
            if here == self.root:
                subdirectories[:] = [name for name in subdirectories if len(name) == 2]
                if self.incoming.exists():
                    for leftover in self.incoming.iterdir():
                        if _modified(leftover) < cutoff:
                            leftover.unlink(missing_ok=True)
                continue
            for name in names:
                if re.fullmatch(r"[0-9a-f]{64}", name) and _modified(here / name) < cutoff:
                    yield name

    def remove_if_untouched(self, sha256: str, seconds: float) -> bool:
        """Remove the file unless `put` handed it out within that time, even just now."""
        path = self.path(sha256)
        aside = self.root / ".sweeping" / sha256
        aside.parent.mkdir(exist_ok=True)
        try:
            os.replace(path, aside)  # from here on a `put` of these bytes stores them anew
        except FileNotFoundError:
            return False
        if _modified(aside) < time.time() - seconds:
            aside.unlink()
            return True
        os.replace(aside, path)  # `put` refreshed it before it was moved: it stays
        return False

    def _put_back_what_a_sweep_left_aside(self) -> None:
        """A sweep that stopped between moving a file aside and deciding on it: back in place,
        for this sweep to judge again."""
        aside = self.root / ".sweeping"
        if aside.exists():
            for left in aside.iterdir():
                if re.fullmatch(r"[0-9a-f]{64}", left.name) and not self.path(left.name).exists():
                    os.replace(left, self.path(left.name))
                else:
                    left.unlink()


def _fsync_directory(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _modified(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return float("inf")


def sniff_type(head: bytes, path: Path) -> str | None:
    """The type by the content's signature; ZIP containers by what they contain."""
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"PK\x03\x04"):
        return _office_type(path)
    return None


def _office_type(path: Path) -> str | None:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                # Only an OpenDocument file says what it is this way: a ZIP that declares
                # itself a PDF or an image is none of them.
                declared = archive.read("mimetype").decode("ascii", "replace").strip()
                return declared if declared in OPENDOCUMENT_TYPES else None
    except (zipfile.BadZipFile, OSError, KeyError):
        return None
    if "[Content_Types].xml" in names and "word/document.xml" in names:
        return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    if "[Content_Types].xml" in names and "xl/workbook.xml" in names:
        return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return None


def safe_filename(name: str, content_type: str) -> str:
    """A display name without paths, control characters or leading dots, at most 150 characters,
    ending in the extension of the type the content really has."""
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().lstrip(".")
    stem = name.rsplit(".", 1)[0] if "." in name else name
    stem = re.sub(r"\s+", " ", stem)[:140] or "document"
    return stem + ALLOWED_TYPES.get(content_type, "")
