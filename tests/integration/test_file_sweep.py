"""The sweep of the file store: bytes nothing refers to go after an hour left alone; what a
document, an archived upload or a staged attachment refers to stays. Both backends."""

from __future__ import annotations

import io
import os
import time

import pytest
from sqlalchemy import select

from casemodel.db import Base
from casemodel.filestore import FileStore
from casemodel.models import AuditEvent
from casemodel.services.documents import publish_document
from casemodel.services.dossiers import open_dossier
from casemodel.services.stored_files import FILE_REFERENCES, sweep_unreferenced_files
from casemodel.services.uploads import archive_upload, stage_file
from tests.files import PDF


@pytest.fixture
def store(tmp_path):
    return FileStore(tmp_path / "files")


def stored_long_ago(store: FileStore, content: bytes):
    stored = store.put(io.BytesIO(content), max_bytes=10_000)
    past = time.time() - 2 * 3600
    os.utime(store.path(stored.sha256), (past, past))
    return stored


def test_only_bytes_nothing_refers_to_are_removed(session, firm, transfer_template, store):
    dossier = open_dossier(
        session, template=transfer_template, organisation_id=firm.organisation.id,
        description="Dorpsstraat 1", actor=firm.staff,
    )  # fmt: skip
    document, archived, staged, orphan = (
        stored_long_ago(store, PDF + label) for label in (b"%1", b"%2", b"%3", b"%4")
    )
    fresh_orphan = store.put(io.BytesIO(PDF + b"%5"), max_bytes=10_000)
    publish_document(session, dossier=dossier, folder="documents", title="Akte", stored=document,
                     filename="akte.pdf", actor=firm.staff)  # fmt: skip
    archive_upload(session, organisation=firm.organisation, user=firm.client, stored=archived,
                   filename="bon.pdf")  # fmt: skip
    stage_file(session, dossier=dossier, user=firm.client, stored=staged, filename="paspoort.pdf")

    assert sweep_unreferenced_files(session, store) == 1
    assert not store.path(orphan.sha256).exists()
    for kept in (document, archived, staged, fresh_orphan):
        assert store.path(kept.sha256).exists()
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "files.swept"))
    assert event.detail == {"removed": 1}
    assert sweep_unreferenced_files(session, store) == 0


def test_every_column_that_names_a_stored_file_is_known_to_the_sweep():
    named = {
        f"{table.name}.{column.name}"
        for table in Base.metadata.tables.values()
        for column in table.columns
        if "sha256" in column.name
    }
    known = {f"{column.table.name}.{column.name}" for column in FILE_REFERENCES}
    assert named == known
