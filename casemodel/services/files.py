"""Removing stored files that nothing refers to any more (see casemodel/filestore.py)."""

from __future__ import annotations

import datetime as dt
from itertools import islice

from sqlalchemy import select, union_all
from sqlalchemy.orm import Session

from casemodel.filestore import FileStore
from casemodel.models import ArchivedFile, DocumentVersion, QuestionnaireFile, StagedFile
from casemodel.services.audit import record_event

#: Every column that names a stored file. A new one must be added here, or the sweep removes
#: its files (tests/integration/test_file_sweep.py checks the models for sha256 columns).
FILE_REFERENCES = (
    DocumentVersion.sha256, StagedFile.sha256, ArchivedFile.sha256, QuestionnaireFile.sha256,
)  # fmt: skip

#: How long a file nothing refers to is kept. Longer than any upload or flow task takes from
#: storing the bytes to committing the row that refers to them.
UNREFERENCED_GRACE = dt.timedelta(hours=1)

BATCH = 500


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
