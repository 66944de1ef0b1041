"""The audit trail: append-only, hash-chained per dossier so that tampering shows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from casemodel.db import Base, intpk, utc_timestamp


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_dossier", "dossier_id", "id"),)

    id: Mapped[intpk]
    #: None for events that concern no dossier (a sign-in, an account change). Both keys are
    #: part of the hash: deleting a dossier or user the trail names is refused (RESTRICT), as
    #: nulling them would break the chains.
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id", ondelete="RESTRICT"))
    #: None when the system acted (a flow task, the outbox relay).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    action: Mapped[str] = mapped_column(String(60))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[utc_timestamp]
    #: SHA-256 of the previous event of the same chain (dossier, or the global chain), hex.
    prev_hash: Mapped[str] = mapped_column(String(64))
    #: SHA-256 over prev_hash and this event's content, hex.
    hash: Mapped[str] = mapped_column(String(64))


class AuditChainHead(Base):
    """The newest event of each chain. Appending updates this row first, which makes appends to
    one chain take turns (a row lock on PostgreSQL, the write lock on SQLite): without it two
    requests read the same previous hash and the chain forks. Checking the head also shows when
    the newest events of a chain were removed, which the links alone cannot."""

    __tablename__ = "audit_chain_heads"

    #: The dossier's id; 0 for the global chain.
    chain: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_hash: Mapped[str] = mapped_column(String(64))
    events: Mapped[int]
