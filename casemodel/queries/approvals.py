"""Approvals as the pages show them: what waits for an approver ("Accorderen"), everything of
the organisation ("Overzicht", by year and status), the folder "Accordering", a dossier's
requests for the office; and loading one request for a user."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Select, and_, extract, or_, select
from sqlalchemy.orm import Session, joinedload

from casemodel.models import (
    ApprovalDelivery,
    ApprovalRequest,
    Document,
    Dossier,
    Membership,
    User,
)
from casemodel.queries.dossiers import visible_dossiers
from casemodel.services.approvals.rights import may_approve_each
from casemodel.services.errors import NotFound
from casemodel.services.rights import has_right

#: The statuses of the overview, as its filter offers them: open (to approve), approved (and
#: being sent on), processed (approved and with its recipient), rejected, withdrawn.
OVERVIEW_STATUSES = ("open", "approved", "processed", "rejected", "withdrawn")


def get_request_for(session: Session, request_id: int, user: User) -> ApprovalRequest:
    """A request the user may see: staff of the dossier's office, or a member of the
    organisation it is put up to. Anything else answers NotFound, like one that does not
    exist. (Whether they may approve it is services.approvals.may_approve's.)"""
    visible = visible_dossiers(user).with_only_columns(Dossier.id)
    query = (
        select(ApprovalRequest)
        .options(joinedload(ApprovalRequest.document), joinedload(ApprovalRequest.dossier))
        .where(ApprovalRequest.id == request_id, ApprovalRequest.dossier_id.in_(visible))
    )
    if not user.is_staff:
        member_of = select(Membership.organisation_id).where(Membership.user_id == user.id)
        query = query.where(ApprovalRequest.organisation_id.in_(member_of))
    request = session.scalar(query)
    if request is None:
        raise NotFound(f"approval request {request_id}")
    return request


def _in_organisation(user: User, organisation_id: int | None):
    """The requests of the organisation's dossiers the user may see."""
    visible = visible_dossiers(user, organisation_id).with_only_columns(Dossier.id)
    return ApprovalRequest.dossier_id.in_(visible)


def _of_organisation(user: User, organisation_id: int | None) -> Select:
    return (
        select(ApprovalRequest)
        .options(joinedload(ApprovalRequest.document), joinedload(ApprovalRequest.dossier),
                 joinedload(ApprovalRequest.delivery))
        .where(_in_organisation(user, organisation_id))
    )  # fmt: skip


def waiting_for(session: Session, user: User, organisation_id: int | None) -> list[ApprovalRequest]:
    """"Accorderen": the open requests of the organisation the client acts for that they may
    approve, the first due first (then the oldest)."""
    requests = session.scalars(
        _of_organisation(user, organisation_id).where(*waiting_in(user, organisation_id))
    ).unique()
    may_approve = may_approve_each(session, user)
    mine = [r for r in requests if may_approve(r.organisation_id, r.document.kind_id)]
    return sorted(mine, key=lambda r: (r.due_date is None, r.due_date or dt.date.min,
                                       r.created_at, r.id))  # fmt: skip


def waiting_in(user: User, organisation_id: int | None) -> list:
    """The conditions of the open requests of the organisation (waiting_for's, before each is
    checked with may_approve_each), for queries that list them with other things."""
    return [_in_organisation(user, organisation_id), ApprovalRequest.state == "open"]


def status_of(request: ApprovalRequest) -> str:
    """The request's status as the overview names it (one of OVERVIEW_STATUSES)."""
    if request.state != "approved":
        return request.state
    delivery = request.delivery
    return "approved" if delivery is not None and delivery.state != "sent" else "processed"


def overview(
    session: Session,
    user: User,
    organisation_id: int | None,
    *,
    year: int | None = None,
    status: str | None = None,
) -> list[ApprovalRequest]:
    """"Overzicht": every request of the organisation, newest first, of a year (when it was
    put up) and a status, if given."""
    query = _of_organisation(user, organisation_id)
    if year is not None:
        query = query.where(extract("year", ApprovalRequest.created_at) == year)
    if status in ("open", "rejected", "withdrawn"):
        query = query.where(ApprovalRequest.state == status)
    elif status in ("approved", "processed"):
        sent_or_none = or_(ApprovalDelivery.id.is_(None), ApprovalDelivery.state == "sent")
        query = query.outerjoin(ApprovalDelivery).where(
            ApprovalRequest.state == "approved",
            sent_or_none if status == "processed" else ApprovalDelivery.state != "sent",
        )
    query = query.order_by(ApprovalRequest.created_at.desc(), ApprovalRequest.id.desc())
    return list(session.scalars(query).unique())


def years_of(session: Session, user: User, organisation_id: int | None) -> list[int]:
    """The years the organisation's requests were put up in, newest first, for the filter."""
    visible = visible_dossiers(user, organisation_id).with_only_columns(Dossier.id)
    years = session.scalars(
        select(extract("year", ApprovalRequest.created_at))
        .where(ApprovalRequest.dossier_id.in_(visible))
        .distinct()
    )
    return sorted({int(year) for year in years}, reverse=True)


def approved_in(session: Session, user: User, organisation_id: int) -> list[ApprovalRequest]:
    """The folder "Accordering": the organisation's approved requests (each approved version
    with its certificate), most recently approved first. Empty for a user who is not a member
    with the right to see the organisation's dossiers and folders."""
    if not has_right(session, user, organisation_id, "view"):
        return []
    return list(
        session.scalars(
            select(ApprovalRequest)
            .join(Document, and_(Document.id == ApprovalRequest.document_id))
            .options(joinedload(ApprovalRequest.document), joinedload(ApprovalRequest.dossier),
                     joinedload(ApprovalRequest.delivery))
            .where(ApprovalRequest.organisation_id == organisation_id,
                   ApprovalRequest.state == "approved")
            .order_by(ApprovalRequest.decided_at.desc(), ApprovalRequest.id.desc())
        ).unique()
    )  # fmt: skip


def requests_in(session: Session, dossier_id: int) -> list[ApprovalRequest]:
    """A dossier's requests, newest first (the caller has authorised the dossier)."""
    return list(
        session.scalars(
            select(ApprovalRequest)
            .options(joinedload(ApprovalRequest.document), joinedload(ApprovalRequest.delivery),
                     joinedload(ApprovalRequest.decided_by))
            .where(ApprovalRequest.dossier_id == dossier_id)
            .order_by(ApprovalRequest.created_at.desc(), ApprovalRequest.id.desc())
        ).unique()
    )  # fmt: skip
