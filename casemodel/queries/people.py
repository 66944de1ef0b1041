"""Organisations, their people and the proposed changes as the "Beheer" pages and the office's
pages show them. The office's side is built on `office_ids_of`: staff see the organisations,
people and proposals of the offices they work for, and nothing of another office's."""

from __future__ import annotations

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import Session, contains_eager, joinedload, selectinload

from casemodel.db import utcnow
from casemodel.models import (
    ChangeProposal,
    DocumentKind,
    Membership,
    MembershipInvitation,
    OfficeMembership,
    Organisation,
    User,
)
from casemodel.queries.offices import office_ids_of
from casemodel.services.errors import NotFound
from casemodel.services.rights import membership_of


def _pattern(search: str) -> str:
    return "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def organisations_for(user: User, search: str = "") -> Select:
    """Staff: the client organisations of their offices, by name; search on name or client
    number."""
    query = (
        select(Organisation)
        .options(joinedload(Organisation.contact_person), joinedload(Organisation.office))
        .where(Organisation.office_id.in_(office_ids_of(user)))
        .order_by(Organisation.name, Organisation.id)
    )
    search = search.strip()
    if search:
        pattern = _pattern(search)
        query = query.where(
            or_(
                Organisation.name.ilike(pattern, escape="\\"),
                Organisation.client_number.ilike(pattern, escape="\\"),
            )
        )
    return query


def get_organisation_for(session: Session, organisation_id: int, user: User) -> Organisation:
    """An organisation the user may see the details of: staff of its office, or a member of
    it. Anything else answers NotFound."""
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound(f"organisation {organisation_id}")
    if user.is_staff:
        allowed = user.works_for(organisation.office_id)
    else:
        allowed = membership_of(session, user, organisation_id) is not None
    if not allowed:
        raise NotFound(f"organisation {organisation_id}")
    return organisation


def members_of(session: Session, organisation_id: int) -> list[Membership]:
    """The organisation's memberships with their people, by name."""
    return list(
        session.scalars(
            select(Membership)
            .join(Membership.user)
            .options(contains_eager(Membership.user))
            .where(Membership.organisation_id == organisation_id)
            .order_by(User.name, User.id)
        )
    )


def open_invitations_of(session: Session, organisation_id: int) -> list[MembershipInvitation]:
    """Invitations to the organisation not yet accepted or declined, and still valid."""
    return list(
        session.scalars(
            select(MembershipInvitation)
            .options(joinedload(MembershipInvitation.user))
            .where(
                MembershipInvitation.organisation_id == organisation_id,
                MembershipInvitation.accepted_at.is_(None),
                MembershipInvitation.declined_at.is_(None),
                MembershipInvitation.expires_at > utcnow(),
            )
            .order_by(MembershipInvitation.id)
        )
    )


def memberships_of(session: Session, user: User) -> list[Membership]:
    """All the person's memberships with their organisations and offices, by name."""
    return list(
        session.scalars(
            select(Membership)
            .join(Membership.organisation)
            .options(contains_eager(Membership.organisation).joinedload(Organisation.office))
            .where(Membership.user_id == user.id)
            .order_by(Organisation.name, Organisation.id)
        )
    )


def _client_of_offices(user: User):
    """The clients with a membership of an organisation of the staff member's offices."""
    return exists().where(
        Membership.user_id == User.id,
        Membership.organisation_id == Organisation.id,
        Organisation.office_id.in_(office_ids_of(user)),
    )


def _staff_of_offices(user: User):
    return exists().where(
        OfficeMembership.user_id == User.id, OfficeMembership.office_id.in_(office_ids_of(user))
    )


def people_for(user: User, search: str = "", *, staff: bool = False) -> Select:
    """Staff: the clients of their offices' organisations (or, with staff=True, their offices'
    staff and managers), by name; search on name or e-mail address."""
    query = select(User).options(selectinload(User.memberships)).order_by(User.name, User.id)
    if staff:
        query = query.where(User.role.in_(("staff", "manager")), _staff_of_offices(user))
    else:
        query = query.where(User.role == "client", _client_of_offices(user))
    search = search.strip()
    if search:
        pattern = _pattern(search)
        query = query.where(
            or_(User.name.ilike(pattern, escape="\\"), User.email.ilike(pattern, escape="\\"))
        )
    return query


def get_person_for(session: Session, user_id: int, actor: User) -> User:
    """A person the staff member may open: a client of one of their offices' organisations, or
    a colleague in one of their offices. Anything else answers NotFound."""
    if not actor.is_staff:
        raise NotFound(f"user {user_id}")
    person = session.scalar(
        select(User).where(
            User.id == user_id, or_(_client_of_offices(actor), _staff_of_offices(actor))
        )
    )
    if person is None:
        raise NotFound(f"user {user_id}")
    return person


def memberships_seen_by(session: Session, person: User, actor: User) -> list[Membership]:
    """The person's memberships of the staff member's offices' organisations (never those of
    another office: that the person is its client too is not theirs to know)."""
    return [
        membership
        for membership in memberships_of(session, person)
        if actor.works_for(membership.organisation.office_id)
    ]


def proposal_queue(user: User, *, mine_only: bool = False) -> Select:
    """The pending proposals to the staff member's offices, oldest first; mine_only: those of
    organisations whose contact person they are."""
    query = (
        select(ChangeProposal)
        .join(ChangeProposal.organisation)
        .options(
            contains_eager(ChangeProposal.organisation),
            joinedload(ChangeProposal.user),
            joinedload(ChangeProposal.proposed_by),
        )
        .where(
            ChangeProposal.state == "pending",
            ChangeProposal.office_id.in_(office_ids_of(user)),
        )
        .order_by(ChangeProposal.proposed_at, ChangeProposal.id)
    )
    if mine_only:
        query = query.where(Organisation.contact_person_id == user.id)
    return query


def pending_proposal_count(session: Session, user: User) -> int:
    """The count in the office's menu: pending proposals to the staff member's offices."""
    return session.scalar(
        select(func.count()).where(
            ChangeProposal.state == "pending",
            ChangeProposal.office_id.in_(office_ids_of(user)),
        )
    )


def proposals_about(
    session: Session, *, person: User | None = None, organisation: Organisation | None = None,
    limit: int = 10,
) -> list[ChangeProposal]:  # fmt: skip
    """The latest proposals about a person's or an organisation's details, newest first (the
    client sees what waits, and what the office said)."""
    query = select(ChangeProposal).options(joinedload(ChangeProposal.reviewed_by))
    if person is not None:
        query = query.where(ChangeProposal.user_id == person.id)
    else:
        query = query.where(
            ChangeProposal.user_id.is_(None), ChangeProposal.organisation_id == organisation.id
        )
    query = query.where(ChangeProposal.state.in_(("pending", "accepted", "rejected")))
    return list(session.scalars(query.order_by(ChangeProposal.id.desc()).limit(limit)))


def document_kinds_of(session: Session, office_id: int) -> list[DocumentKind]:
    """The office's document kinds, by Dutch name."""
    return list(
        session.scalars(
            select(DocumentKind)
            .where(DocumentKind.office_id == office_id)
            .order_by(DocumentKind.name_nl)
        )
    )
