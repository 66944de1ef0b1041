"""The file store: content-addressed, outside the web root, written by streaming.

A file is stored under its SHA-256 (`<root>/ab/cd/abcd…`), so the same bytes are kept once and a
stored file never changes. `put` reads the upload in chunks (memory stays constant whatever the
size), counts and hashes as it goes, refuses more than `max_bytes`, has the malware scanner look
at it when one is configured (casemodel/malware.py), judges the type by parsing the content
within budgets against an allow-list (casemodel/filetypes.py; never from the name), and only
then moves the file into place. Whatever goes wrong on the way, nothing half-written is left
behind.

The database row that refers to a stored file is the caller's business. A file no row refers to
(its transaction failed, a later file of the same form was refused, its document was removed) is
removed by `services.stored_files.sweep_unreferenced_files` once it has been left alone for a while:
these are clients' passports and tax returns, kept no longer than something needs them.

The sweep and a `put` of the same bytes must not cross: `put` finds the bytes already stored
and refreshes the file's time (or stores them again if the sweep just took them), and the sweep
moves a file aside before it looks at that time again, so a file `put` has just handed out is
put back, never removed under the row about to refer to it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
import time
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from casemodel.filetypes import ALLOWED_TYPES, FileRejected, judge_type
from casemodel.malware import Scanner, ScannerUnavailable

CHUNK = 1024 * 1024

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size: int
    content_type: str


class FileStore:
    def __init__(self, root: Path | str, *, scanner: Scanner | None = None):
        self.root = Path(root)
        self.incoming = self.root / ".incoming"
        #: Looks at every upload before it is accepted; None: not configured.
        self.scanner = scanner

    def put(self, stream: BinaryIO, *, max_bytes: int) -> StoredFile:
        """Store what the stream holds. Raises FileRejected; leaves nothing behind on any error."""
        self.incoming.mkdir(parents=True, exist_ok=True)
        digest, size = hashlib.sha256(), 0
        descriptor, temporary = tempfile.mkstemp(dir=self.incoming)
        try:
            with os.fdopen(descriptor, "wb") as file:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if size > max_bytes:
                        raise FileRejected("too_large")
                    digest.update(chunk)
                    file.write(chunk)
                file.flush()
                os.fsync(file.fileno())
            if size == 0:
                raise FileRejected("empty")
            # The scanner first: malware is worth knowing about whatever it is dressed up as.
            self._scan(Path(temporary), digest.hexdigest())
            content_type = judge_type(Path(temporary))
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

    def _scan(self, path: Path, sha256: str) -> None:
        if self.scanner is None:
            return
        try:
            found = self.scanner.scan(path)
        except ScannerUnavailable as error:
            # Fail closed: an upload nobody could look at is not accepted.
            log.error("upload refused: the malware scanner cannot be reached (%s)", error)
            raise FileRejected("scanner_unavailable") from error
        if found is not None:
            raise FileRejected("malware", signature=found, sha256=sha256)

    def path(self, sha256: str) -> Path:
        if not re.fullmatch(r"[0-9a-f]{64}", sha256):
            raise ValueError("not a SHA-256")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def open(self, sha256: str) -> BinaryIO:
        return self.path(sha256).open("rb")

    # --- the sweep (services.stored_files) ------------------------------------------------

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


def safe_filename(name: str, content_type: str) -> str:
    """A display name without paths, control characters or leading dots, at most 150 characters,
    ending in the extension of the type the content really has."""
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().lstrip(".")
    stem = name.rsplit(".", 1)[0] if "." in name else name
    stem = re.sub(r"\s+", " ", stem)[:140] or "document"
    return stem + ALLOWED_TYPES.get(content_type, "")
