"""The office's task lists."""

from __future__ import annotations

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import joinedload

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
