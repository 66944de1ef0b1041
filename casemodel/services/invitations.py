"""The office, or an organisation's administrator, gives a person access to a client
organisation (notary manual §1.1 and its extra accounts for a company; the office's Accounts
page, "Mijn gebruikers" and `flask user invite`).

- A new address gets an account and the membership at once, and the first activation mail:
  activating it is the person's acceptance.
- An existing client account (of this office or another) gets an invitation it accepts or
  declines after logging in (a mail tells it): nothing is granted before, so an address typed on
  the Accounts page cannot attach someone to an organisation without them knowing.
- A staff address gets nothing but a mail saying so; an existing member, a mail that they have
  access already.

The office's page answers all of these alike: what an address belongs to (no account, a
client of another office, staff) is not the office's to learn from it.
"""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from casemodel import links
from casemodel.db import claim_row, utcnow
from casemodel.models import Membership, MembershipInvitation, Organisation, User
from casemodel.services.account_links import invite, queue_mail
from casemodel.services.account_status import reopen_account
from casemodel.services.accounts import add_membership, create_user, normalise_email
from casemodel.services.audit import record_event
from casemodel.services.errors import NotFound
from casemodel.services.memberships import (
    RightsRefused,
    check_manages,
    close_if_belongs_nowhere,
)
from casemodel.services.quotas import charge
from casemodel.services.rights import Rights

#: How long an invitation to another organisation can be accepted.
INVITATION_LIFETIME = dt.timedelta(days=14)


def give_access(
    session: Session,
    *,
    organisation_id: int,
    email: str,
    name: str,
    actor: User,
    start_link: str,
    locale: str = "nl",
    rights: Rights | None = None,
) -> None:
    """Give the person with this address access to the organisation with these rights (by
    default: see, upload, fill in), as the module says; the outcome is not returned, only
    mailed to the person and kept in the audit trail. The office's staff give access, and the
    organisation's administrators ("Mijn gebruikers": a colleague), who cannot offer a right
    they lack.

    Args:
        start_link: where a new account starts its activation (the web layer knows the URL).
    Raises:
        NotFound: the organisation is not of the staff member's office, or not the client's.
        NotAllowed: a member who is not an administrator.
        RightsRefused: an administrator offering a right they lack ("grant_lacking").
        QuotaExceeded: the actor (or the organisation) had as many invitations as an hour
            allows.
    """
    rights = rights or Rights()
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound(f"organisation {organisation_id}")
    manager = check_manages(session, actor, organisation)
    if not manager.is_office and not Rights.of(manager.membership).covers(rights):
        raise RightsRefused("grant_lacking")
    charge(session, "invitations", actor=actor, organisation_id=organisation.id)
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        user = create_user(session, email=email, name=name, locale=locale, actor=actor)
        add_membership(session, user=user, organisation=organisation, rights=rights)
        invite(session, user=user, start_link=start_link, actor=actor)
        outcome = "new_account"
    elif not user.is_active and user.closed_reason != "no_organisation":
        outcome = "inactive_account"  # the office closed it: nothing until the office opens it
    elif user.is_staff:
        _mail(session, user, organisation, kind="staff")
        outcome = "staff_address"
    elif _is_member(session, user, organisation):
        if user.password_hash is None:  # not activated yet: the first mail once more
            invite(session, user=user, start_link=start_link, actor=actor)
        else:
            _mail(session, user, organisation, kind="already")
        outcome = "already_member"
    else:
        if not user.is_active:  # closed when it belonged nowhere: access given reopens it
            reopen_account(user)
            record_event(session, action="account.reopened", actor=actor,
                         detail={"user_id": user.id, "organisation_id": organisation.id})
        _offer(session, user, organisation, actor, rights)
        if user.password_hash is None:  # to accept it, the account is activated first
            invite(session, user=user, start_link=start_link, actor=actor)
        _mail(session, user, organisation, kind="offer")
        outcome = "invited"
    record_event(
        session, action="membership.access_given", actor=actor,
        detail={"user_id": user.id, "organisation_id": organisation.id, "outcome": outcome},
    )  # fmt: skip


def open_invitations(session: Session, user: User) -> list[MembershipInvitation]:
    """The invitations the user can still accept, oldest first."""
    return list(
        session.scalars(
            select(MembershipInvitation)
            .where(
                MembershipInvitation.user_id == user.id,
                MembershipInvitation.accepted_at.is_(None),
                MembershipInvitation.declined_at.is_(None),
                MembershipInvitation.expires_at > utcnow(),
            )
            .order_by(MembershipInvitation.id)
        )
    )


def accept_invitation(session: Session, *, invitation_id: int, user: User) -> Membership:
    """The person accepts: the membership, with the rights offered, from now on.

    Raises:
        NotFound: not an open invitation of this user (someone else's answers the same).
    """
    invitation = _open_invitation_of(session, invitation_id, user)
    if not claim_row(session, invitation, MembershipInvitation.accepted_at.is_(None),
                     MembershipInvitation.declined_at.is_(None), accepted_at=utcnow()):  # fmt: skip
        raise NotFound(f"invitation {invitation_id}")
    membership = add_membership(
        session, user=user, organisation=invitation.organisation, rights=Rights.of(invitation)
    )
    record_event(
        session, action="membership.granted", actor=user,
        detail={"user_id": user.id, "organisation_id": invitation.organisation_id,
                "invitation_id": invitation.id},
    )  # fmt: skip
    return membership


def decline_invitation(session: Session, *, invitation_id: int, user: User) -> bool:
    """The person declines: nothing is granted, and the invitation is gone. An account that
    was reopened for this invitation (it belonged nowhere) and now has no organisation and no
    other invitation is closed again, and its sessions end (memberships
    .close_if_belongs_nowhere).

    Returns:
        Whether the account was closed.
    Raises:
        NotFound: not an open invitation of this user.
    """
    invitation = _open_invitation_of(session, invitation_id, user)
    if not claim_row(session, invitation, MembershipInvitation.accepted_at.is_(None),
                     MembershipInvitation.declined_at.is_(None), declined_at=utcnow()):  # fmt: skip
        raise NotFound(f"invitation {invitation_id}")
    closed = not open_invitations(session, user) and close_if_belongs_nowhere(
        session, user, reason="declined"
    )
    record_event(session, action="membership.invitation_declined", actor=user,
                 detail={"invitation_id": invitation.id, "account_closed": closed,
                         "organisation_id": invitation.organisation_id})  # fmt: skip
    return closed


def _offer(session, user, organisation, actor, rights: Rights) -> MembershipInvitation:
    """An open invitation of the user to the organisation: a repeated one replaces the one
    still open (with the newest rights and a new time limit)."""
    session.execute(
        update(MembershipInvitation)
        .where(MembershipInvitation.user_id == user.id,
               MembershipInvitation.organisation_id == organisation.id,
               MembershipInvitation.accepted_at.is_(None),
               MembershipInvitation.declined_at.is_(None))
        .values(declined_at=utcnow())
    )  # fmt: skip
    now = utcnow()
    invitation = MembershipInvitation(
        user_id=user.id, organisation_id=organisation.id, invited_by_id=actor.id,
        created_at=now, expires_at=now + INVITATION_LIFETIME,
    )  # fmt: skip
    rights.put_on(invitation)
    session.add(invitation)
    session.flush()
    return invitation


def _mail(session, user: User, organisation: Organisation, *, kind: str) -> None:
    queue_mail(
        session,
        template="organisation_invitation",
        user=user,
        office=organisation.office,
        dedupe=f"organisation_invitation:{user.id}:{secrets.token_hex(8)}",
        link=links.login_link(),
        organisation=organisation.name,
        kind=kind,
    )


def _is_member(session: Session, user: User, organisation: Organisation) -> bool:
    return session.scalar(
        select(Membership.id).where(Membership.user_id == user.id,
                                    Membership.organisation_id == organisation.id)
    ) is not None  # fmt: skip


def _open_invitation_of(session, invitation_id: int, user: User) -> MembershipInvitation:
    for invitation in open_invitations(session, user):
        if invitation.id == invitation_id:
            return invitation
    raise NotFound(f"invitation {invitation_id}")

