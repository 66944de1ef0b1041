"""Documents the office publishes in a dossier (and, later, what clients supply), with every
version kept, and who has read which version."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casemodel.db import Base, intpk, utc_timestamp
from casemodel.models.dossiers import Dossier
from casemodel.models.users import User

#: The dossier's tabs (notary manual §2.1): letters and e-mails, other documents, and what the
#: client supplied.
FOLDERS = ("correspondence", "documents", "supplied")


class DocumentKind(Base):
    """A kind of document an office names ("Jaarrekening", "Aangifte inkomstenbelasting"), in
    Dutch and English. Kinds are never removed: memberships and documents refer to them."""

    __tablename__ = "document_kinds"
    __table_args__ = (UniqueConstraint("office_id", "name_nl"),)

    id: Mapped[intpk]
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"))
    name_nl: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[utc_timestamp]

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" else self.name_nl


class Document(Base):
    __tablename__ = "documents"
    __table_args__ = (
        CheckConstraint(f"folder IN {FOLDERS}", name="folder"),
        Index("ix_documents_dossier_folder", "dossier_id", "folder"),
    )

    id: Mapped[intpk]
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"))
    folder: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    #: The newest version's number; a new version makes the document unread again.
    latest_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[utc_timestamp]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[utc_timestamp]
    #: None while the document is a draft the client does not see (made by a step for a later
    #: `publish` step, or prepared by staff).
    published_at: Mapped[dt.datetime | None]
    #: The template step that made, published or asked for it (e.g. an `upload_request`).
    step_key: Mapped[str | None] = mapped_column(String(80))
    #: For a file answering an upload request: which of the requested files it is.
    request_item: Mapped[str | None] = mapped_column(String(80))
    #: The version the client approved, and when (the approvals issue fills these; the
    #: accountancy manual's "Accordering" folder lists them).
    approved_version: Mapped[int | None]
    approved_at: Mapped[dt.datetime | None]
    #: What kind of document it is, as the office names its kinds (e.g. annual accounts): an
    #: approval right may be limited to kinds (Membership.approve_kind_ids).
    kind_id: Mapped[int | None] = mapped_column(ForeignKey("document_kinds.id"))

    dossier: Mapped[Dossier] = relationship()
    kind: Mapped[DocumentKind | None] = relationship()
    versions: Mapped[list[DocumentVersion]] = relationship(
        back_populates="document", order_by="DocumentVersion.version"
    )


class DocumentVersion(Base):
    """One upload of a document: the bytes are in the file store under their SHA-256."""

    __tablename__ = "document_versions"
    __table_args__ = (UniqueConstraint("document_id", "version"),)

    id: Mapped[intpk]
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    version: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    content_type: Mapped[str] = mapped_column(String(100))
    #: The sanitised display name, with the extension of the real type.
    filename: Mapped[str] = mapped_column(String(160))
    created_at: Mapped[utc_timestamp]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    document: Mapped[Document] = relationship(back_populates="versions")
    created_by: Mapped[User | None] = relationship()


class DocumentRead(Base):
    """The newest version of a document a user has opened (downloaded)."""

    __tablename__ = "document_reads"
    __table_args__ = (UniqueConstraint("user_id", "document_id"),)

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int]
    read_at: Mapped[dt.datetime]
