"""Publishing documents in a dossier, new versions, and downloads (notary manual §2.1.1.2-3)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from casemodel.db import utcnow
from casemodel.filestore import StoredFile, safe_filename
from casemodel.models import Document, DocumentRead, DocumentVersion, Dossier, User
from casemodel.services.audit import record_event
from casemodel.services.errors import InvalidState, NotAllowed
from casemodel.services.notifications import client_users, notify

#: What the office publishes into; "supplied" is filled by the client (messages, uploads).
OFFICE_FOLDERS = ("correspondence", "documents")


def may_publish(user: User, dossier: Dossier) -> bool:
    """Whether the user places documents and new versions in the dossier: staff of its office
    (a client supplies files instead, with a message or for an upload request)."""
    return user.works_for(dossier.office_id)


def check_may_publish(user: User, dossier: Dossier) -> None:
    """Raises NotAllowed unless may_publish: for the services below, and for a view that checks
    before it stores the bytes."""
    if not may_publish(user, dossier):
        raise NotAllowed("only the office publishes documents")


def publish_document(
    session: Session,
    *,
    dossier: Dossier,
    folder: str,
    title: str,
    stored: StoredFile,
    filename: str,
    actor: User | None,
    draft: bool = False,
    step_key: str | None = None,
    kind_id: int | None = None,
) -> Document:
    """Publish a stored file as a new document of the dossier, visible to its client at once
    (who are told by mail, batched), or keep it as a draft for a later `publish` step.

    Args:
        actor: the staff member, or None when a flow step publishes.
        step_key: the template step that made or published it.
        kind_id: what kind of document it is, one of the office's kinds (DocumentKind).
    Raises:
        NotAllowed: the actor is not staff of the dossier's office (may_publish).
        NotFound: a document kind of another office.
        InvalidState: unknown folder or empty title.
    """
    from casemodel.services.office_settings import kind_of_office

    if actor is not None:
        check_may_publish(actor, dossier)
    if folder not in OFFICE_FOLDERS:
        raise InvalidState(f"unknown folder {folder!r}")
    title = " ".join(title.split())[:200]
    if not title:
        raise InvalidState("a document needs a title")
    kind_of_office(session, kind_id, dossier.office_id)
    now = utcnow()
    document = Document(
        dossier_id=dossier.id, folder=folder, title=title, latest_version=1,
        created_at=now, updated_at=now, created_by_id=actor.id if actor else None,
        published_at=None if draft else now, step_key=step_key, kind_id=kind_id,
    )  # fmt: skip
    session.add(document)
    session.flush()
    _add_version(session, document, 1, stored, filename, actor)
    record_event(
        session, action="document.drafted" if draft else "document.published", actor=actor,
        dossier_id=dossier.id,
        detail={"document_id": document.id, "folder": folder, "sha256": stored.sha256},
    )  # fmt: skip
    if not draft:
        notify(session, users=client_users(session, dossier), kind="document",
               dossier_id=dossier.id)  # fmt: skip
    return document


def publish_draft(session: Session, *, document: Document, actor: User | None) -> Document:
    """Make a draft visible to the client (a `publish` step, or staff). Idempotent."""
    if document.published_at is not None:
        return document
    document.published_at = document.updated_at = utcnow()
    record_event(
        session, action="document.published", actor=actor, dossier_id=document.dossier_id,
        detail={"document_id": document.id, "folder": document.folder,
                "version": document.latest_version},
    )  # fmt: skip
    notify(session, users=client_users(session, document.dossier), kind="document",
           dossier_id=document.dossier_id)  # fmt: skip
    session.flush()
    return document


def supply_document(
    session: Session,
    *,
    dossier: Dossier,
    title: str,
    stored: StoredFile,
    filename: str,
    actor: User,
    step_key: str | None = None,
    request_item: str | None = None,
) -> Document:
    """A file the client supplies (with a message, or for an upload request): a document under
    "Door mij aangeleverd", which the office sees at once. The caller has authorised the actor
    for the dossier."""
    now = utcnow()
    document = Document(
        dossier_id=dossier.id, folder="supplied", title=" ".join(title.split())[:200] or "-",
        latest_version=1, created_at=now, updated_at=now, published_at=now,
        created_by_id=actor.id, step_key=step_key, request_item=request_item,
    )  # fmt: skip
    session.add(document)
    session.flush()
    version = _add_version(session, document, 1, stored, filename, actor)
    # The one who supplied it has seen it: it is not unread under their own tab.
    session.add(DocumentRead(user_id=actor.id, document_id=document.id, version=1,
                             read_at=now))  # fmt: skip
    record_event(
        session, action="document.supplied", actor=actor, dossier_id=dossier.id,
        detail={"document_id": document.id, "sha256": stored.sha256, "size": stored.size,
                "filename": version.filename, "step": step_key},
    )  # fmt: skip
    return document


def add_version(
    session: Session, *, document: Document, stored: StoredFile, filename: str, actor: User
) -> DocumentVersion:
    """A new version of a published document: the old ones stay, the document shows as unread
    again to everyone who had read it, and an open approval request of it is withdrawn and put
    up again for this version.

    Raises:
        NotAllowed: the actor is not staff of the dossier's office (may_publish).
    """
    check_may_publish(actor, document.dossier)
    document.latest_version += 1
    document.updated_at = utcnow()
    version = _add_version(session, document, document.latest_version, stored, filename, actor)
    record_event(
        session, action="document.new_version", actor=actor, dossier_id=document.dossier_id,
        detail={"document_id": document.id, "version": version.version,
                "sha256": stored.sha256},
    )  # fmt: skip
    if document.published_at is not None:
        notify(session, users=client_users(session, document.dossier), kind="document",
               dossier_id=document.dossier_id)  # fmt: skip
    # Nobody approves a version they no longer see: an open approval request moves on to this
    # one (imported here: approvals builds on this module).
    from casemodel.services.approvals.decisions import replace_on_new_version

    replace_on_new_version(session, document=document, actor=actor)
    return version


def supply_version(
    session: Session, *, document: Document, stored: StoredFile, filename: str, actor: User
) -> DocumentVersion:
    """A new version of a document the client supplied (a questionnaire's PDF after a rework):
    the old versions stay, the office sees the new one as unread, the one who supplied it has
    read it. The caller has authorised the actor for the document's dossier."""
    if document.folder != "supplied":
        raise NotAllowed("a client adds versions only to what the client supplied")
    document.latest_version += 1
    document.updated_at = now = utcnow()
    version = _add_version(session, document, document.latest_version, stored, filename, actor)
    read = session.scalar(
        select(DocumentRead).where(
            DocumentRead.user_id == actor.id, DocumentRead.document_id == document.id
        )
    )
    if read is None:
        session.add(DocumentRead(user_id=actor.id, document_id=document.id,
                                 version=version.version, read_at=now))  # fmt: skip
    else:
        read.version, read.read_at = version.version, now
    record_event(
        session, action="document.new_version", actor=actor, dossier_id=document.dossier_id,
        detail={"document_id": document.id, "version": version.version,
                "sha256": stored.sha256},
    )  # fmt: skip
    session.flush()
    return version


def _add_version(session, document, number, stored, filename, actor) -> DocumentVersion:
    version = DocumentVersion(
        document_id=document.id, version=number, sha256=stored.sha256, size=stored.size,
        content_type=stored.content_type, filename=safe_filename(filename, stored.content_type),
        created_at=utcnow(), created_by_id=actor.id if actor else None,
    )  # fmt: skip
    session.add(version)
    session.flush()
    return version


def record_download(
    session: Session, *, document: Document, version: DocumentVersion, user: User, ip: str | None
) -> None:
    """Audit a download and mark the document read up to this version."""
    query = select(DocumentRead).where(
        DocumentRead.user_id == user.id, DocumentRead.document_id == document.id
    )
    read = session.scalar(query)
    if read is None:
        try:
            # The first download twice at once (two tabs, a download manager's parallel
            # ranges): the second mark loses the race on the unique constraint, and goes on
            # with the first one's.
            with session.begin_nested():
                session.add(DocumentRead(user_id=user.id, document_id=document.id,
                                         version=version.version, read_at=utcnow()))  # fmt: skip
        except IntegrityError:
            read = session.scalar(query)
    if read is not None and read.version < version.version:
        read.version, read.read_at = version.version, utcnow()
    record_event(
        session, action="document.downloaded", actor=user, dossier_id=document.dossier_id,
        detail={"document_id": document.id, "version": version.version,
                "sha256": version.sha256, "ip": ip},
    )  # fmt: skip
    session.flush()
