"""Shared by the forms/ unit tests: the two languages, a definition built from a few questions,
and the portal's real file store behind the library's UploadStore interface (the service's
PostedFiles)."""

from __future__ import annotations

import copy
import datetime as dt
import io
from typing import Any

from casemodel.filestore import FileStore
from casemodel.i18n import translations
from casemodel.services.questionnaires import PostedFiles
from forms import Language, PdfHeader, parse_definition

# The tests take real files from here: the store judges content by parsing it.
from tests.files import PDF, PNG  # noqa: F401

# The tests take real files from here: the store judges content by parsing it.

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


def StoreUploads(store: FileStore, posted: dict[str, tuple[str, bytes]]) -> PostedFiles:  # noqa: N802
    """The service's side of forms.files.UploadStore (casemodel's PostedFiles) on the portal's
    real file store: the posted files of one request, by field name, as (name, bytes)."""
    return PostedFiles(
        store, {field: (io.BytesIO(content), name) for field, (name, content) in posted.items()}
    )
