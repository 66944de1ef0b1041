"""Human tasks: the steps a person has to do before the flow run can go on."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casemodel.db import Base, intpk, utc_timestamp
from casemodel.models.dossiers import Dossier, Step
from casemodel.models.users import User

TASK_STATES = ("open", "done", "cancelled")
#: Who is expected to act: the office's staff, or the client organisation.
AUDIENCES = ("staff", "client")


class HumanTask(Base):
    """One thing a person must do for a step (a staff task, a publish or approval step's
    document to place, a questionnaire, an upload request). The flow run is suspended while it
    is open."""

    __tablename__ = "human_tasks"
    __table_args__ = (
        UniqueConstraint("step_id"),
        CheckConstraint(f"state IN {TASK_STATES}", name="state"),
        CheckConstraint(f"audience IN {AUDIENCES}", name="audience"),
        Index("ix_human_tasks_open", "audience", "state"),
    )

    id: Mapped[intpk]
    dossier_id: Mapped[int] = mapped_column(
        ForeignKey("dossiers.id", ondelete="CASCADE"), index=True
    )
    step_id: Mapped[int] = mapped_column(ForeignKey("steps.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))
    audience: Mapped[str] = mapped_column(String(10))
    #: The staff member it is assigned to; None means any staff member of the office.
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    state: Mapped[str] = mapped_column(String(20), default="open")
    #: The step's attempt it was opened (or opened again) for.
    attempt: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[utc_timestamp]
    completed_at: Mapped[dt.datetime | None]
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    dossier: Mapped[Dossier] = relationship()
    step: Mapped[Step] = relationship()
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    completed_by: Mapped[User | None] = relationship(foreign_keys=[completed_by_id])
