"""Which dossiers a user may see, and what the pages show of them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from casemodel.models import Dossier, Step, User
from casemodel.queries.offices import office_ids_of
from casemodel.services.errors import NotFound
from casemodel.services.rights import organisations_where


@dataclass(frozen=True)
class Progress:
    done: int
    total: int

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


def visible_dossiers(user: User, organisation_id: int | None = None) -> Select:
    """The dossiers the user may see: staff those of the offices they work for (none without an
    office membership), a client those of the organisation they act for, if their membership of
    it holds the right to see dossiers (services.rights, read at every call)."""
    query = select(Dossier)
    if user.is_staff:
        query = query.where(Dossier.office_id.in_(office_ids_of(user)))
        if organisation_id is not None:
            query = query.where(Dossier.organisation_id == organisation_id)
        return query
    query = query.where(Dossier.organisation_id.in_(organisations_where(user, "view")))
    if organisation_id is not None:
        query = query.where(Dossier.organisation_id == organisation_id)
    return query


def dossiers_for(
    user: User,
    *,
    organisation_id: int | None = None,
    search: str = "",
    statuses: Iterable[str] = (),
) -> Select:
    """The dossier list: search on description or number, filter on status, newest first."""
    query = visible_dossiers(user, organisation_id)
    search = search.strip()
    if search:
        pattern = f"%{_escape_like(search)}%"
        query = query.where(
            or_(
                Dossier.description.ilike(pattern, escape="\\"),
                Dossier.number.ilike(pattern, escape="\\"),
            )
        )
    statuses = list(statuses)
    if statuses:
        query = query.where(Dossier.status.in_(statuses))
    return query.order_by(Dossier.created_at.desc(), Dossier.id.desc())


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def get_dossier_for(
    session: Session, dossier_id: int, user: User, *, with_steps: bool = False
) -> Dossier:
    """Load a dossier the user may see, or raise NotFound: a foreign id looks like a missing one.
    `with_steps`: its handler and steps come with it, for a page that draws its progress
    (progress_in) and names its handler."""
    query = visible_dossiers(user).where(Dossier.id == dossier_id)
    if with_steps:
        query = query.options(joinedload(Dossier.handler), selectinload(Dossier.steps))
    dossier = session.scalar(query)
    if dossier is None:
        raise NotFound(f"dossier {dossier_id}")
    return dossier


def counts_in_progress(step: Step) -> bool:
    """Whether a step is in the "(done/total)": it counts toward progress and was not skipped
    (a step skipped because its `when:` does not hold is not for this client)."""
    return step.counts_toward_progress and step.state != "skipped"


def progress_in(dossier: Dossier) -> Progress:
    """progress_of for one dossier from its steps, for a page that has them loaded anyway."""
    counted = [step for step in dossier.steps if counts_in_progress(step)]
    return Progress(sum(step.state == "done" for step in counted), len(counted))


def progress_of(session: Session, dossier_ids: Iterable[int]) -> dict[int, Progress]:
    """The "(done/total)" of each dossier, over the steps that count toward progress. A step
    skipped because its `when:` does not hold is not for this client: it is in neither. (The
    same rule as counts_in_progress, in SQL for lists of dossiers.)"""
    ids = list(dossier_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(
            Step.dossier_id,
            func.count(),
            func.sum(case((Step.state == "done", 1), else_=0)),
        )
        .where(
            Step.dossier_id.in_(ids),
            Step.counts_toward_progress.is_(True),
            Step.state != "skipped",
        )
        .group_by(Step.dossier_id)
    )
    progress = {dossier_id: Progress(0, 0) for dossier_id in ids}
    for dossier_id, total, done in rows:
        progress[dossier_id] = Progress(int(done or 0), int(total))
    return progress


def current_steps(session: Session, dossier_ids: Iterable[int]) -> dict[int, Step]:
    """The first unfinished step of each dossier (absent when every step is finished)."""
    ids = list(dossier_ids)
    if not ids:
        return {}
    first_open = (
        select(Step.dossier_id, func.min(Step.position).label("position"))
        .where(Step.dossier_id.in_(ids), Step.state.not_in(("done", "skipped")))
        .group_by(Step.dossier_id)
        .subquery()
    )
    steps = session.scalars(
        select(Step).join(
            first_open,
            (Step.dossier_id == first_open.c.dossier_id) & (Step.position == first_open.c.position),
        )
    )
    return {step.dossier_id: step for step in steps}


@dataclass(frozen=True)
class DossierCounts:
    in_progress: int
    total: int


def dossier_counts(session: Session, user: User, organisation_id: int | None) -> DossierCounts:
    """The Home tile: dossiers in progress (a failed one, delayed, too), and all of them."""
    visible = visible_dossiers(user, organisation_id).subquery()
    going = visible.c.status.in_(("open", "failed"))
    in_progress, total = session.execute(
        select(
            func.coalesce(func.sum(case((going, 1), else_=0)), 0),
            func.count(),
        ).select_from(visible)
    ).one()
    return DossierCounts(int(in_progress), int(total))


def statuses_in(session: Session, user: User, organisation_id: int | None) -> list[str]:
    """The statuses the user's dossiers have, for the filter (offered only with two or more)."""
    visible = visible_dossiers(user, organisation_id).subquery()
    return sorted(session.scalars(select(visible.c.status).distinct()))


def step_plan(dossier_id: int) -> Select:
    """The dossier's steps in order as (key, kind, state, attempt): what the flow walks."""
    return (
        select(Step.key, Step.kind, Step.state, Step.attempt)
        .where(Step.dossier_id == dossier_id)
        .order_by(Step.position)
    )
