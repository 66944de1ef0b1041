"""The transactional outbox: effects outside the database, committed with the change that
causes them and carried out afterwards, at least once, by idempotent handlers."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from casemodel.db import Base, intpk, utc_timestamp, utcnow


class OutboxMessage(Base):
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "done_at", "dead_at", "due_at"),)

    id: Mapped[intpk]
    #: What to do: "start_flow_run", "resume_flow_run", ...
    kind: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: Makes the same effect unqueueable twice (e.g. "resume:<dossier>:<step>").
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[utc_timestamp]
    #: Not before this moment (a wait_until step queues its resume for the date).
    due_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: Failed deliveries so far; at the limit the message is dead (dead_at), for staff to retry.
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    done_at: Mapped[dt.datetime | None]
    #: Given up after too many failed attempts: shown to staff with the last error and a retry.
    dead_at: Mapped[dt.datetime | None]
    #: A relay is delivering it until then (its lease; claim_token says which delivery): no
    #: other relay or portal process takes it meanwhile. An expired lease (a relay that died
    #: mid-delivery) lets another take it.
    claimed_until: Mapped[dt.datetime | None]
    claim_token: Mapped[str | None] = mapped_column(String(32))
