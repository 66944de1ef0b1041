"""Questionnaires sent to a client organisation: by a dossier step of kind `questionnaire`, or
ad hoc from the office's dossier page. The definition (forms/definitions/) says what is asked;
these rows keep which version was sent and what the client answered, page by page."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casemodel.db import Base, intpk, utc_timestamp
from casemodel.models.documents import Document
from casemodel.models.dossiers import Dossier, Step
from casemodel.models.organisations import Organisation
from casemodel.models.tasks import HumanTask
from casemodel.models.users import User

QUESTIONNAIRE_STATES = ("open", "completed", "cancelled")


class Questionnaire(Base):
    __tablename__ = "questionnaires"
    __table_args__ = (
        UniqueConstraint("step_id"),
        CheckConstraint(f"state IN {QUESTIONNAIRE_STATES}", name="state"),
        Index("ix_questionnaires_organisation_state", "organisation_id", "state"),
        Index("ix_questionnaires_dossier_id", "dossier_id"),
    )

    id: Mapped[intpk]
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"))
    #: Who fills it in: the dossier's client organisation (any of its people may).
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    #: The `questionnaire` step that sent it; None for one sent ad hoc by staff.
    step_id: Mapped[int | None] = mapped_column(ForeignKey("steps.id", ondelete="CASCADE"))
    #: The step's client task (None ad hoc): done and reopened together with the questionnaire.
    task_id: Mapped[int | None] = mapped_column(ForeignKey("human_tasks.id", ondelete="SET NULL"))
    definition_key: Mapped[str] = mapped_column(String(60))
    #: The version it was sent with; kept when the definition gets a newer one.
    definition_version: Mapped[int]
    state: Mapped[str] = mapped_column(String(20), default="open")
    #: Raised by every save and change of state: completing claims the questionnaire only if
    #: nothing was saved after the answers it checked (one conditional UPDATE).
    revision: Mapped[int] = mapped_column(default=0)
    #: Where "Invullen" resumes: a page key, services.questionnaires.SUMMARY, or None (start).
    current_page: Mapped[str | None] = mapped_column(String(60))
    due_date: Mapped[dt.date | None]
    #: The staff member who sent it; None when a step did.
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    sent_at: Mapped[utc_timestamp]
    completed_at: Mapped[dt.datetime | None]
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: The language it was completed in, which the PDF is written in.
    language: Mapped[str | None] = mapped_column(String(5))
    #: The PDF under "Door mij aangeleverd"; a rework adds a version to the same document.
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id", ondelete="SET NULL"))
    #: The office's remark when it sent the questionnaire back for rework (shown to the client).
    rework_remark: Mapped[str | None] = mapped_column(Text)
    rework_requested_at: Mapped[dt.datetime | None]
    rework_requested_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )

    dossier: Mapped[Dossier] = relationship()
    organisation: Mapped[Organisation] = relationship()
    step: Mapped[Step | None] = relationship()
    task: Mapped[HumanTask | None] = relationship()
    document: Mapped[Document | None] = relationship()
    sent_by: Mapped[User | None] = relationship(foreign_keys=[sent_by_id])
    completed_by: Mapped[User | None] = relationship(foreign_keys=[completed_by_id])
    pages: Mapped[list[QuestionnairePage]] = relationship(
        back_populates="questionnaire", cascade="all, delete-orphan"
    )


class QuestionnairePage(Base):
    """The saved answers of one page. Each page has its own version, so two people of the
    organisation may fill different pages at once, while a save based on an older version of
    the same page is refused instead of silently overwriting the other's."""

    __tablename__ = "questionnaire_pages"
    __table_args__ = (UniqueConstraint("questionnaire_id", "page_key"),)

    id: Mapped[intpk]
    questionnaire_id: Mapped[int] = mapped_column(
        ForeignKey("questionnaires.id", ondelete="CASCADE")
    )
    page_key: Mapped[str] = mapped_column(String(60))
    #: The page's answers as stored (forms' JSON form), hidden questions left out.
    answers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    version: Mapped[int] = mapped_column(default=0)
    #: What was typed on the page when the client went back ("Vorige") with a mistake on it:
    #: the posted fields, shown (and checked) again when the page is opened.
    draft: Mapped[dict[str, Any] | None]
    saved_at: Mapped[dt.datetime | None]
    saved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    questionnaire: Mapped[Questionnaire] = relationship(back_populates="pages")
    saved_by: Mapped[User | None] = relationship()


class QuestionnaireFile(Base):
    """A file uploaded for a file question, known to this questionnaire: only these may be an
    answer (a SHA-256 posted by someone else never is), and the file store's sweep leaves them
    alone. At completion each answered file becomes a document under "Door mij aangeleverd"."""

    __tablename__ = "questionnaire_files"
    __table_args__ = (UniqueConstraint("questionnaire_id", "sha256"),)

    id: Mapped[intpk]
    questionnaire_id: Mapped[int] = mapped_column(
        ForeignKey("questionnaires.id", ondelete="CASCADE")
    )
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    content_type: Mapped[str] = mapped_column(String(100))
    filename: Mapped[str] = mapped_column(String(160))
    created_at: Mapped[utc_timestamp]
    #: The document it became at completion.
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id", ondelete="SET NULL"))
