"""Actions that `automatic` steps run, by name.

An action takes the session, the dossier and its step, does its work inside the caller's
transaction and returns a small dict that is kept in the audit trail. They run inside a flow
task, so they must be idempotent per (dossier, step): the task's cache prevents a second run
after a resume, but a crash between the action and the commit of its task may repeat it.

Integrations with outside registers (the land registry, the tax authority) plug in here; this
module holds the actions whose work lies within the portal.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from casemodel import config, letters
from casemodel.filestore import FileStore
from casemodel.models import Document, Dossier, Step
from casemodel.services.documents import publish_document
from casemodel.services.office_settings import office_logo_bytes

Action = Callable[[Session, Dossier, Step], dict[str, Any]]

ACTIONS: dict[str, Action] = {}


def action(name: str) -> Callable[[Action], Action]:
    def register(fn: Action) -> Action:
        ACTIONS[name] = fn
        return fn

    return register


@action("record_milestone")
def record_milestone(session: Session, dossier: Dossier, step: Step) -> dict[str, Any]:
    """Marks a point in the dossier that needs no work of its own (e.g. "deed registered" once
    the registration step before it is done): the audit trail keeps when it was reached."""
    return {"milestone": step.key}


@action("check_key_dates")
def check_key_dates(session: Session, dossier: Dossier, step: Step) -> dict[str, Any]:
    """Lists the dossier dates that later wait_until steps need and that are still missing, so
    the handler sees in the audit trail what has to be planned."""
    needed = {s.settings["date"] for s in dossier.steps if s.kind == "wait_until"}
    missing = sorted(needed - set(dossier.key_dates))
    return {"needed": sorted(needed), "missing": missing}


@action("engagement_letter")
def engagement_letter(session: Session, dossier: Dossier, step: Step) -> dict[str, Any]:
    """Writes the engagement letter ("opdrachtbevestiging", in the client's language) as a PDF
    and keeps it as a draft of this step, for a later `publish` step to send to the client."""
    existing = session.scalar(
        select(Document.id).where(Document.dossier_id == dossier.id, Document.step_key == step.key)
    )
    if existing is not None:  # a repeat after a crash before the task's commit
        return {"document_id": existing}
    locale = letters.client_locale(session, dossier)
    store = FileStore(config.files_path())
    pdf = letters.engagement_letter_pdf(
        dossier, locale, logo=office_logo_bytes(dossier.office, store)
    )
    stored = store.put(io.BytesIO(pdf), max_bytes=len(pdf))
    document = publish_document(
        session, dossier=dossier, folder="correspondence",
        title=letters.engagement_letter_title(locale), stored=stored,
        filename=f"{letters.engagement_letter_title(locale)} {dossier.number}.pdf",
        actor=None, draft=True, step_key=step.key,
    )  # fmt: skip
    return {"document_id": document.id, "sha256": stored.sha256, "locale": locale}
