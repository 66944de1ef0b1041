"""The office's task lists."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session, joinedload

from casemodel.models import Dossier, HumanTask, User
from casemodel.queries.offices import office_ids_of


def open_staff_tasks(user: User, *, mine_only: bool = True) -> Select:
    """Open staff tasks of the user's offices (none without an office): assigned to them (and
    unassigned ones) by default, every one with mine_only=False. Oldest first: they have waited
    longest."""
    query = (
        select(HumanTask)
        .join(HumanTask.dossier)
        .where(HumanTask.audience == "staff", HumanTask.state == "open")
        .options(joinedload(HumanTask.dossier), joinedload(HumanTask.step))
        .order_by(HumanTask.created_at, HumanTask.id)
    )
    query = query.where(Dossier.office_id.in_(office_ids_of(user)))
    if mine_only:
        query = query.where(or_(HumanTask.assignee_id == user.id, HumanTask.assignee_id.is_(None)))
    return query


def open_client_tasks(session: Session, dossier_ids: Iterable[int]) -> dict[int, list[HumanTask]]:
    """The open tasks waiting for the client, per dossier (oldest first): what makes a page say
    "Uw actie" rather than "Kantoor is bezig". One query for a whole list of dossiers."""
    ids = list(dossier_ids)
    if not ids:
        return {}
    found: dict[int, list[HumanTask]] = {}
    for task in session.scalars(
        select(HumanTask)
        .where(HumanTask.dossier_id.in_(ids), HumanTask.audience == "client",
               HumanTask.state == "open")
        .order_by(HumanTask.created_at, HumanTask.id)
    ):  # fmt: skip
        found.setdefault(task.dossier_id, []).append(task)
    return found
