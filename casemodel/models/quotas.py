"""How much one account and one organisation created lately, per named limit
(casemodel/services/quotas.py): the counts behind "at most 30 messages an hour"."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from casemodel.db import Base, intpk


class QuotaUsage(Base):
    """One subject's use of one limit, as a sliding window of an hour: what it created in the
    current clock hour and in the one before (the estimate weighs the previous hour by how much
    of it still lies within the last sixty minutes). One row per limit and subject, locked by
    every charge until its transaction ends, so that parallel requests, from however many
    portal processes, take turns and all count."""

    __tablename__ = "quota_usage"
    __table_args__ = (UniqueConstraint("name", "subject"),)

    id: Mapped[intpk]
    #: The limit, e.g. "messages", "uploads", "invitations".
    name: Mapped[str] = mapped_column(String(40))
    #: Whose use this is: "user:<id>" or "organisation:<id>".
    subject: Mapped[str] = mapped_column(String(40))
    #: The account or the organisation the subject names, for the office's overview.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE")
    )
    #: The start of the current clock hour (UTC) that `count` and `bytes` are of.
    window_start: Mapped[dt.datetime]
    count: Mapped[int] = mapped_column(default=0)
    bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    #: What the hour before window_start held.
    previous_count: Mapped[int] = mapped_column(default=0)
    previous_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    #: When the office was last told (an audit event) that the limit refused the subject: it is
    #: told once an hour at most.
    refused_at: Mapped[dt.datetime | None]
