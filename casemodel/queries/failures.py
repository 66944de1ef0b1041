"""What stopped and needs the office: failed dossiers and outbox messages given up."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, joinedload

from casemodel.models import Dossier, OutboxMessage, Step, User
from casemodel.queries.dossiers import visible_dossiers


def failed_dossiers(user: User) -> Select:
    """The failed dossiers the user may see, with their failed step, longest failed first."""
    visible = visible_dossiers(user).with_only_columns(Dossier.id)
    return (
        select(Dossier, Step)
        .join(Step, (Step.dossier_id == Dossier.id) & (Step.state == "failed"))
        .where(Dossier.status == "failed", Dossier.id.in_(visible))
        .options(joinedload(Dossier.organisation))
        .order_by(Dossier.id)
    )


@dataclass(frozen=True)
class DeadMessage:
    """An outbox message given up, as staff may see it: what it was for, never its content (a
    mail may hold a single-use link or code)."""

    id: int
    kind: str
    dossier: Dossier | None
    recipient: str | None
    subject: str | None
    attempts: int
    last_error: str | None
    dead_at: dt.datetime


def dead_messages(session: Session, user: User, *, limit: int = 200) -> list[DeadMessage]:
    """Messages given up that the user may see: those of a dossier they may see; those of no
    dossier (mails, SMS, digests) for managers."""
    messages = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.dead_at.is_not(None))
        .order_by(OutboxMessage.dead_at.desc())
        .limit(limit)
    ).all()
    dossier_ids = {m.payload.get("dossier_id") for m in messages} - {None}
    dossiers = {
        d.id: d for d in session.scalars(visible_dossiers(user).where(Dossier.id.in_(dossier_ids)))
    }
    sees_all = user.is_manager
    shown = []
    for message in messages:
        dossier_id = message.payload.get("dossier_id")
        visible = dossier_id in dossiers if dossier_id is not None else sees_all
        if not visible:
            continue
        shown.append(
            DeadMessage(
                id=message.id,
                kind=message.kind,
                dossier=dossiers.get(dossier_id),
                recipient=message.payload.get("to"),
                subject=message.payload.get("subject"),
                attempts=message.attempts,
                last_error=message.last_error,
                dead_at=message.dead_at,
            )  # fmt: skip
        )
    return shown
