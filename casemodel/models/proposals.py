"""Changes a client proposes to personal or organisation data, waiting for the office's review
(accountancy manual, "Beheer": "worden deze voorgelegd aan uw contactpersoon")."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casemodel.db import Base, intpk, utc_timestamp
from casemodel.models.organisations import Office, Organisation
from casemodel.models.users import User

#: pending: waits for the office; accepted / rejected: reviewed; withdrawn: by the client;
#: replaced: a newer proposal for the same person or organisation took its changes along.
PROPOSAL_STATES = ("pending", "accepted", "rejected", "withdrawn", "replaced")


class ChangeProposal(Base):
    """New values for fields of a person (user_id) or of an organisation (user_id None). The
    old values stay in force until the office accepts; `previous` keeps them as they were when
    proposed, so the reviewer sees what changes (and whether something changed meanwhile)."""

    __tablename__ = "change_proposals"
    __table_args__ = (
        CheckConstraint(f"state IN {PROPOSAL_STATES}", name="state"),
        # The office's queue: its pending proposals, oldest first.
        Index("ix_change_proposals_office_state", "office_id", "state", "proposed_at"),
    )

    id: Mapped[intpk]
    #: The office that reviews: the organisation's.
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"))
    #: The organisation whose data changes, or for a person's data the organisation the
    #: proposer acted for (whose contact person reviews).
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    #: The person whose data changes; None for the organisation's own data.
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    #: {field: new value}, checked when proposed (services.details).
    changes: Mapped[dict[str, Any]]
    #: {field: value when proposed}.
    previous: Mapped[dict[str, Any]]
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    proposed_at: Mapped[utc_timestamp]
    state: Mapped[str] = mapped_column(String(10), default="pending")
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[dt.datetime | None]
    #: The reviewer's remark, which the client sees (required when rejecting).
    remark: Mapped[str | None] = mapped_column(String(1000))

    office: Mapped[Office] = relationship()
    organisation: Mapped[Organisation] = relationship()
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    proposed_by: Mapped[User] = relationship(foreign_keys=[proposed_by_id])
    reviewed_by: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_id])
