"""The service's side of forms.UploadStore: the files posted with a page go into the portal's
file store, which judges their type from the content."""

from __future__ import annotations

from collections.abc import Mapping
from typing import BinaryIO

from sqlalchemy.orm import Session

from casemodel.db import insert_for, utcnow
from casemodel.filestore import FileRejected, FileStore, safe_filename
from casemodel.models import Questionnaire, QuestionnaireFile
from forms import FileAnswer, UploadRefused


class PostedFiles:
    """The files posted with one page, by field name: (stream, the name the browser gave)."""

    def __init__(self, store: FileStore, posted: Mapping[str, tuple[BinaryIO, str]]):
        self._store = store
        self._posted = {name: file for name, file in posted.items() if file[1]}

    def posted(self, field: str) -> bool:
        return field in self._posted

    def store(self, field: str, *, max_bytes: int) -> FileAnswer | None:
        if field not in self._posted:
            return None
        stream, name = self._posted[field]
        try:
            stored = self._store.put(stream, max_bytes=max_bytes)
        except FileRejected as refused:
            raise UploadRefused(refused.reason) from None
        return FileAnswer(
            sha256=stored.sha256,
            filename=safe_filename(name, stored.content_type),
            content_type=stored.content_type,
            size=stored.size,
        )


def remember_files(session: Session, questionnaire: Questionnaire, files: list[FileAnswer]) -> None:
    """Make stored files known to the questionnaire (forms' PageResult.new_files), also those
    of a page that was refused for another field: the client need not choose them again. Two
    posts of the same file at once add it once."""
    for file in files:
        session.execute(
            insert_for(session, QuestionnaireFile)
            .values(
                questionnaire_id=questionnaire.id,
                sha256=file["sha256"],
                size=file["size"],
                content_type=file["content_type"],
                filename=file["filename"],
                created_at=utcnow(),
            )  # fmt: skip
            .on_conflict_do_nothing(index_elements=["questionnaire_id", "sha256"])
        )
