"""Which offices a staff member works for: the ground of every office-side query."""

from __future__ import annotations

from sqlalchemy import Select, false, select

from casemodel.models import Membership, OfficeMembership, Organisation, User


def office_ids_of(user: User) -> Select:
    """The ids of the offices the user works for, for an IN clause. Nothing for a client, and
    nothing for staff without an office membership: an office-side query built on this is
    closed unless a membership opens it."""
    query = select(OfficeMembership.office_id).where(OfficeMembership.user_id == user.id)
    return query if user.is_staff else query.where(false())


def organisations_of(user: User) -> Select:
    """The client organisations of the staff member's offices, by name."""
    return (
        select(Organisation)
        .where(Organisation.office_id.in_(office_ids_of(user)))
        .order_by(Organisation.name)
    )


def colleagues_in(office_id: int) -> Select:
    """The active staff and managers of an office, by name: whom its work can be given to."""
    return (
        select(User)
        .join(OfficeMembership, OfficeMembership.user_id == User.id)
        .where(
            OfficeMembership.office_id == office_id,
            User.role.in_(("staff", "manager")),
            User.is_active.is_(True),
        )
        .order_by(User.name)
    )


def related_office_ids(user: User) -> Select:
    """The offices a person deals with: a staff member's own, a client's the offices of the
    organisations they belong to (whose logo and name their pages show)."""
    if user.is_staff:
        return office_ids_of(user)
    return (
        select(Organisation.office_id)
        .join(Membership, Membership.organisation_id == Organisation.id)
        .where(Membership.user_id == user.id)
    )
