"""Dossiers and the mirror of their steps."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casemodel.db import Base, intpk, utc_timestamp
from casemodel.models.organisations import Office, Organisation
from casemodel.models.users import User

#: "failed": a step failed and the run stopped; staff see the error and retry (the client sees
#: the dossier as delayed).
DOSSIER_STATUSES = ("open", "failed", "completed", "cancelled")
STEP_STATES = ("pending", "running", "waiting", "done", "failed", "skipped")


class Dossier(Base):
    """A case the office handles for a client organisation, run by one Prefect flow run."""

    __tablename__ = "dossiers"
    __table_args__ = (
        CheckConstraint(f"status IN {DOSSIER_STATUSES}", name="status"),
        Index("ix_dossiers_organisation_status", "organisation_id", "status"),
        UniqueConstraint("office_id", "number"),
    )

    id: Mapped[intpk]
    #: The office's dossier number, e.g. "2026-00042": unique within the office (a sequence per
    #: office and year, DossierNumberSequence), shown everywhere, searchable.
    number: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20), default="open")
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    #: The staff member who handles the dossier ("behandelaar").
    handler_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    template_key: Mapped[str] = mapped_column(String(80))
    template_version: Mapped[int]
    #: Set once the outbox relay has created the Prefect flow run.
    flow_run_id: Mapped[str | None] = mapped_column(String(40))
    #: Dates the steps refer to by name (e.g. "signing" for a wait_until step), as ISO strings.
    key_dates: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[utc_timestamp]
    completed_at: Mapped[dt.datetime | None]

    office: Mapped[Office] = relationship()
    organisation: Mapped[Organisation] = relationship()
    handler: Mapped[User | None] = relationship()
    steps: Mapped[list[Step]] = relationship(
        back_populates="dossier", order_by="Step.position", cascade="all, delete-orphan"
    )


class Step(Base):
    """The portal's mirror of one step of a dossier's flow: pages read it instead of asking
    Prefect per row. Created from the template when the dossier opens, so the dossier keeps the
    steps of the template version it was opened with."""

    __tablename__ = "steps"
    __table_args__ = (
        UniqueConstraint("dossier_id", "key"),
        CheckConstraint(f"state IN {STEP_STATES}", name="state"),
    )

    id: Mapped[intpk]
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(80))
    title_nl: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    position: Mapped[int]
    kind: Mapped[str] = mapped_column(String(30))
    #: Whether the step is one of the client's progress counter's "(done/total)".
    counts_toward_progress: Mapped[bool] = mapped_column(default=True)
    #: The kind's settings, copied from the template.
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: The template's `when:`: the step runs only if the answers of an earlier questionnaire
    #: step satisfy it ({step, condition}); otherwise it is skipped. None: it always runs.
    condition: Mapped[dict[str, Any] | None]
    state: Mapped[str] = mapped_column(String(20), default="pending")
    #: 1, and one more each time a rejected approval sends the dossier back over this step
    #: (`on_reject`): the flow's cache and suspension keys of a new attempt are new.
    attempt: Mapped[int] = mapped_column(default=1)
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]
    #: Why the step failed (state "failed"): for staff, never shown to the client.
    error: Mapped[str | None] = mapped_column(Text)

    dossier: Mapped[Dossier] = relationship(back_populates="steps")

    def title(self, locale: str) -> str:
        return self.title_en if locale == "en" else self.title_nl


class DossierNumberSequence(Base):
    """The last dossier number an office gave out in a year: numbers are taken by incrementing
    this row in one statement, so openings at the same moment never get the same number."""

    __tablename__ = "dossier_number_sequences"

    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last_value: Mapped[int] = mapped_column(default=0)
