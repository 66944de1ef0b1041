"""Files a user has uploaded but not yet sent (attachments waiting for their message, files
waiting for the upload request they answer), and the organisation's archive of files the client
uploaded outside any dossier (the accountancy manual's "Upload" folder)."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casemodel.db import Base, intpk, utc_timestamp
from casemodel.models.organisations import Organisation
from casemodel.models.users import User


class StagedFile(Base):
    """An upload accepted into the file store and held for its user until it is sent with a
    message (or removed with the bin, or purged when left behind)."""

    __tablename__ = "staged_files"
    __table_args__ = (Index("ix_staged_files_owner", "user_id", "dossier_id"),)

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    content_type: Mapped[str] = mapped_column(String(100))
    filename: Mapped[str] = mapped_column(String(160))
    created_at: Mapped[utc_timestamp]


class ArchivedFile(Base):
    """A file a client uploaded into the organisation's "Upload" folder: stored in the office's
    archive, and its contact person told."""

    __tablename__ = "archived_files"
    __table_args__ = (Index("ix_archived_files_organisation", "organisation_id", "created_at"),)

    id: Mapped[intpk]
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    content_type: Mapped[str] = mapped_column(String(100))
    filename: Mapped[str] = mapped_column(String(160))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[utc_timestamp]

    organisation: Mapped[Organisation] = relationship()
    uploaded_by: Mapped[User | None] = relationship()
