"""Shared by the forms/ unit tests: the two languages, a definition built from a few questions,
and the portal's real file store behind the library's UploadStore interface."""

from __future__ import annotations

import copy
import datetime as dt
import io
from typing import Any

from casemodel.filestore import FileRejected, FileStore, safe_filename
from casemodel.i18n import translations
from forms import FileAnswer, Language, PdfHeader, UploadRefused, parse_definition

# The tests take real files from here: the store judges content by parsing it.
from tests.files import PDF, PNG  # noqa: F401

NL = Language("nl", translations("nl"))
EN = Language("en", translations("en"))
TODAY = dt.date(2026, 11, 22)
#: A completed questionnaire's header with names beyond Latin-1 (also bench.questionnaire_pdf).
HEADER = PdfHeader(
    office_name="Notariskantoor Lont & Lalmahomed",
    dossier_number="2026-00042",
    dossier_description="Levering Prinsengracht 263-A, Amsterdam",
    filled_by="Zoë Kowalczyk-Yılmaz",
    completed_at=dt.datetime(2026, 11, 22, 13, 5, tzinfo=dt.UTC),
)


def T(nl: str, en: str | None = None) -> dict[str, str]:
    return {"nl": nl, "en": en or nl}


def definition_data(*pages: list[dict[str, Any]], **settings: Any) -> dict[str, Any]:
    """A definition's YAML as data: one page per list of questions."""
    return {
        "key": "proef",
        "version": 1,
        "office_kind": "notary",
        "title": T("Proefvragenlijst", "Test questionnaire"),
        "pages": [
            {
                "key": f"page{number}",
                "title": T(f"Pagina {number}", f"Page {number}"),
                "questions": copy.deepcopy(questions),
            }
            for number, questions in enumerate(pages, start=1)
        ],
        **settings,
    }


def definition(*pages: list[dict[str, Any]]):
    return parse_definition(definition_data(*pages))


def question(key: str, type_: str, **settings: Any) -> dict[str, Any]:
    return {"key": key, "type": type_, "label": T(f"Vraag {key}", f"Question {key}"), **settings}


class StoreUploads:
    """The service's side of forms.files.UploadStore, on the portal's real file store: the
    posted files of one request, by field name."""

    def __init__(self, store: FileStore, posted: dict[str, tuple[str, bytes]]):
        self.store_ = store
        self.posted_ = posted

    def posted(self, field: str) -> bool:
        return field in self.posted_

    def store(self, field: str, *, max_bytes: int) -> FileAnswer | None:
        if field not in self.posted_:
            return None
        name, content = self.posted_[field]
        try:
            stored = self.store_.put(io.BytesIO(content), max_bytes=max_bytes)
        except FileRejected as refused:
            raise UploadRefused(refused.reason) from None
        return FileAnswer(
            sha256=stored.sha256,
            filename=safe_filename(name, stored.content_type),
            content_type=stored.content_type,
            size=stored.size,
        )
