"""The documents of a dossier as a user sees them: per folder, with what is unread."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from casemodel.models import Document, DocumentRead, DocumentVersion, Dossier, User
from casemodel.queries.dossiers import get_dossier_for
from casemodel.services.errors import NotFound


@dataclass(frozen=True)
class FolderCount:
    total: int
    unread: int


def folder_counts(session: Session, dossier_id: int, user: User) -> dict[str, FolderCount]:
    """For each folder: how many documents, and how many the user has not read in their newest
    version."""
    unread = func.sum(
        case(
            (DocumentRead.version.is_(None), 1),
            (DocumentRead.version < Document.latest_version, 1),
            else_=0,
        )
    )
    rows = session.execute(
        select(Document.folder, func.count(), unread)
        .outerjoin(
            DocumentRead,
            and_(DocumentRead.document_id == Document.id, DocumentRead.user_id == user.id),
        )
        .where(Document.dossier_id == dossier_id, Document.published_at.is_not(None))
        .group_by(Document.folder)
    )
    counts = {folder: FolderCount(0, 0) for folder in ("correspondence", "documents", "supplied")}
    for folder, total, not_read in rows:
        counts[folder] = FolderCount(int(total), int(not_read or 0))
    return counts


def documents_in(
    session: Session,
    dossier_id: int,
    folder: str,
    user: User,
    *,
    drafts: bool = False,
    limit: int | None = None,
    offset: int = 0,
) -> list[tuple[Document, bool]]:
    """The folder's published documents (and, for staff, with drafts=True, the drafts too),
    newest first, each with whether the user has read its newest version; a page of them with
    limit and offset."""
    shown = Document.published_at.is_not(None) if not drafts else Document.id.is_not(None)
    rows = session.execute(
        select(Document, DocumentRead.version)
        .outerjoin(
            DocumentRead,
            and_(DocumentRead.document_id == Document.id, DocumentRead.user_id == user.id),
        )
        .where(Document.dossier_id == dossier_id, Document.folder == folder, shown)
        .order_by(Document.updated_at.desc(), Document.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [(document, read is not None and read >= document.latest_version)
            for document, read in rows]  # fmt: skip


def get_version_for(
    session: Session, *, dossier_id: int, document_id: int, version: int | None, user: User
) -> tuple[Dossier, Document, DocumentVersion]:
    """Load and authorise: the dossier must be visible to the user and the document its own;
    anything else answers NotFound, like a document that does not exist."""
    dossier = get_dossier_for(session, dossier_id, user)
    document = session.get(Document, document_id)
    if (
        document is None
        or document.dossier_id != dossier.id
        or (document.published_at is None and not user.is_staff)
    ):
        raise NotFound(f"document {document_id}")
    number = version or document.latest_version
    found = session.scalar(
        select(DocumentVersion).where(
            DocumentVersion.document_id == document.id, DocumentVersion.version == number
        )
    )
    if found is None:
        raise NotFound(f"version {number} of document {document_id}")
    return dossier, document, found
