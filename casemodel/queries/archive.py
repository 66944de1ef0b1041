"""The organisation's folders (accountancy manual, "Dossier"): everything the office published
across its dossiers ("Online Dossier <client number>") and the files the client uploaded; and
the office's archive of those uploads. The folder "Accordering" is queries.approvals.approved_in."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session, contains_eager, joinedload

from casemodel.models import (
    ArchivedFile,
    Document,
    DocumentRead,
    Dossier,
    Organisation,
    User,
)
from casemodel.queries.offices import office_ids_of
from casemodel.services.errors import NotFound
from casemodel.services.rights import has_right

#: The folders the office publishes into; what the client supplied is not in "Online Dossier".
PUBLISHED_FOLDERS = ("correspondence", "documents")


@dataclass(frozen=True)
class DossierDocuments:
    """One dossier's part of the "Online Dossier" folder."""

    dossier: Dossier
    #: (document, read) newest first; read: the user has opened its newest version.
    documents: list[tuple[Document, bool]]

    @property
    def unread(self) -> int:
        return sum(1 for _document, read in self.documents if not read)


def _may_view(session: Session, user: User, organisation_id: int) -> bool:
    """A member of the organisation with the right to see its dossiers and folders."""
    return has_right(session, user, organisation_id, "view")


def _documents_of(user: User, organisation_id: int) -> Select:
    """The organisation's published documents with the user's read mark, newest first."""
    return (
        select(Document, DocumentRead.version)
        .join(Document.dossier)
        .outerjoin(
            DocumentRead,
            and_(DocumentRead.document_id == Document.id, DocumentRead.user_id == user.id),
        )
        .options(contains_eager(Document.dossier))
        .where(Dossier.organisation_id == organisation_id, Document.published_at.is_not(None))
        .order_by(Document.updated_at.desc(), Document.id.desc())
    )


def online_dossier(session: Session, user: User, organisation_id: int) -> list[DossierDocuments]:
    """The "Online Dossier" folder: what the office published in the organisation's dossiers,
    grouped by dossier (the dossier with the newest document first), each newest first."""
    if not _may_view(session, user, organisation_id):
        return []
    rows = session.execute(
        _documents_of(user, organisation_id).where(Document.folder.in_(PUBLISHED_FOLDERS))
    )
    groups: dict[int, DossierDocuments] = {}
    for document, read in rows:
        group = groups.setdefault(
            document.dossier_id, DossierDocuments(document.dossier, documents=[])
        )
        group.documents.append((document, read is not None and read >= document.latest_version))
    return list(groups.values())


def uploads_of(session: Session, user: User, organisation_id: int) -> list[ArchivedFile]:
    """The "Upload" folder's list: what the organisation uploaded, newest first."""
    if not _may_view(session, user, organisation_id):
        return []
    return list(
        session.scalars(
            select(ArchivedFile)
            .options(joinedload(ArchivedFile.uploaded_by))
            .where(ArchivedFile.organisation_id == organisation_id)
            .order_by(ArchivedFile.created_at.desc(), ArchivedFile.id.desc())
        )
    )


def office_archive(user: User, search: str = "") -> Select:
    """Staff: the client uploads of the organisations of their offices (none without an
    office), newest first; search on client number or organisation name. Raises NotFound for
    a client, whose uploads are in their organisation's folder (uploads_of)."""
    if not user.is_staff:
        raise NotFound("the office's archive")
    query = (
        select(ArchivedFile)
        .join(ArchivedFile.organisation)
        .options(contains_eager(ArchivedFile.organisation), joinedload(ArchivedFile.uploaded_by))
    )
    query = query.where(Organisation.office_id.in_(office_ids_of(user)))
    search = search.strip()
    if search:
        pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            or_(
                Organisation.client_number.ilike(pattern, escape="\\"),
                Organisation.name.ilike(pattern, escape="\\"),
            )
        )
    return query.order_by(ArchivedFile.created_at.desc(), ArchivedFile.id.desc())


def get_archived_file_for(session: Session, archived_id: int, user: User) -> ArchivedFile:
    """Load and authorise an uploaded file: staff of the organisation's office, or a member of
    the organisation with the right to see it. Anything else raises NotFound, like a missing
    id."""
    archived = session.get(ArchivedFile, archived_id)
    if archived is None:
        raise NotFound(f"archived file {archived_id}")
    if user.is_staff:
        allowed = user.works_for(archived.organisation.office_id)
    else:
        allowed = _may_view(session, user, archived.organisation_id)
    if not allowed:
        raise NotFound(f"archived file {archived_id}")
    return archived
