"""File answers, and what the service provides so that the library can check uploads.

A file answer is stored as ``{"sha256", "filename", "content_type", "size"}``. The bytes are the
service's business (the portal's content-addressed file store, which judges the type from the
content and refuses what it does not allow at all); the library decides, per question, which
types and sizes are allowed and says so in the client's language.

While a page is checked the library asks the service's UploadStore to store the file posted
under a field's name. A file kept from before is posted as `<field>.keep` = its SHA-256 and is
accepted only if it is one of `known_files`: the files the service knows this questionnaire
may refer to (its saved answers, and files stored for it while a page was refused for another
field, which `PageResult.new_files` lists). A SHA-256 typed in by someone else never becomes an
answer.
"""

from __future__ import annotations

import re
from typing import Any, Protocol, TypedDict

#: The types a file question may accept, by the name a definition uses. The portal's file store
#: allows each of these (tests/unit/test_forms_files.py holds them to it).
FILE_TYPES = {
    "pdf": "application/pdf",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
}
#: The extensions a browser's file chooser may offer for each (the `accept` attribute).
FILE_EXTENSIONS = {
    "pdf": (".pdf",),
    "jpeg": (".jpg", ".jpeg"),
    "png": (".png",),
    "docx": (".docx",),
    "xlsx": (".xlsx",),
    "odt": (".odt",),
    "ods": (".ods",),
}

MIB = 1024 * 1024
SHA256 = re.compile(r"[0-9a-f]{64}")


class FileAnswer(TypedDict):
    sha256: str
    filename: str
    content_type: str
    size: int


class UploadRefused(Exception):
    """The store would not keep the posted file. `reason`: "too_large", "empty" or
    "type_not_allowed" (the file store's own reasons)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class UploadStore(Protocol):
    """What the service gives `validate_page` for a page with file questions."""

    def posted(self, field: str) -> bool:
        """Whether a file (with a name) was posted under `field`."""

    def store(self, field: str, *, max_bytes: int) -> FileAnswer | None:
        """Store the file posted under `field` (at most `max_bytes`) and describe it; None when
        no file was posted there. Raises UploadRefused."""


def is_file_answer(value: Any) -> bool:
    """Whether a stored value has the shape of a file answer."""
    return (
        isinstance(value, dict)
        and set(value) == {"sha256", "filename", "content_type", "size"}
        and isinstance(value["sha256"], str)
        and SHA256.fullmatch(value["sha256"]) is not None
        and isinstance(value["filename"], str)
        and 0 < len(value["filename"]) <= 255
        and isinstance(value["content_type"], str)
        and isinstance(value["size"], int)
        and not isinstance(value["size"], bool)
        and value["size"] > 0
    )
