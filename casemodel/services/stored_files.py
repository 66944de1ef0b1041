"""Uploads into the file store, and removing stored files that nothing refers to any more (see
casemodel/filestore.py)."""

from __future__ import annotations

import datetime as dt
from itertools import islice
from typing import BinaryIO

from sqlalchemy import select, union_all
from sqlalchemy.orm import Session

from casemodel.filestore import FileRejected, FileStore, StoredFile
from casemodel.models import (
    ApprovalRequest,
    ArchivedFile,
    DocumentVersion,
    Office,
    QuestionnaireFile,
    StagedFile,
    User,
)
from casemodel.services.audit import record_event
from casemodel.services.quotas import check_room

#: Every column that names a stored file. A new one must be added here, or the sweep removes
#: its files (tests/integration/test_file_sweep.py checks the models for sha256 columns).
FILE_REFERENCES = (
    DocumentVersion.sha256, StagedFile.sha256, ArchivedFile.sha256, QuestionnaireFile.sha256,
    ApprovalRequest.document_sha256, ApprovalRequest.certificate_sha256, Office.logo_sha256,
)  # fmt: skip

#: How long a file nothing refers to is kept. Longer than any upload or flow task takes from
#: storing the bytes to committing the row that refers to them.
UNREFERENCED_GRACE = dt.timedelta(hours=1)

BATCH = 500


def store_upload(
    session: Session, store: FileStore, stream: BinaryIO, *, max_bytes: int, actor: User,
    filename: str,
) -> StoredFile:  # fmt: skip
    """Put a person's upload into the store (FileStore.put). Malware found in it, or a scanner
    that could not be reached, is recorded in the audit trail (who, the name given, what was
    found), so that the office sees it; the refusal is raised on to the caller.

    Before a byte is read, the actor's upload limit must have room left (quotas.check_room):
    a script that went over it is refused at once instead of after streaming its file.

    Raises:
        FileRejected: as FileStore.put. QuotaExceeded: no room left in the upload limit.
    """
    check_room(session, "uploads", actor=actor)
    try:
        return store.put(stream, max_bytes=max_bytes)
    except FileRejected as refused:
        detail = {"filename": filename[:200]}
        if refused.reason == "malware":
            record_event(session, action="file.malware_refused", actor=actor,
                         detail=detail | {"signature": refused.signature,
                                          "sha256": refused.sha256})  # fmt: skip
        elif refused.reason == "scanner_unavailable":
            record_event(session, action="file.scan_unavailable", actor=actor, detail=detail)
        raise


def sweep_unreferenced_files(
    session: Session, store: FileStore, grace: dt.timedelta = UNREFERENCED_GRACE
) -> int:
    """Remove every stored file no row refers to that has been left alone for `grace`; returns
    how many. Recorded in the audit trail when any were."""
    seconds = grace.total_seconds()
    untouched = store.untouched_since(seconds)
    removed = 0
    while batch := set(islice(untouched, BATCH)):
        # One statement, so one snapshot: with a query per table, a message sent in between
        # (its staged file becoming a document version) would be seen in neither table.
        referenced = set(
            session.scalars(
                union_all(*(select(column).where(column.in_(batch)) for column in FILE_REFERENCES))
            )
        )
        for sha256 in batch - referenced:
            removed += store.remove_if_untouched(sha256, seconds)
    if removed:
        record_event(session, action="files.swept", actor=None, detail={"removed": removed})
    return removed
