"""Taking an account out of use, and back (issue 17, "Taking access away"): a person who left
the office, or a client's account the office closes, is out in one step.

Deactivating ends at once every session of the account and every login waiting for its second
factor, and every set-password link; the account cannot log in or ask for a link while it is
inactive (services.accounts.authenticate, services.account_links), and the next request of a
session that was open is refused (webapp's user loader reads is_active every request). The
person gets a mail; the audit trail names who did it; the account and its name stay on what it
did. Reactivating lets the person log in again with the password they had.

Who may: a manager, for a staff account all of whose offices they work for (not their own);
staff, for a client account all of whose organisations are their offices' clients (an account
that is also another office's client is not theirs to close: they take it out of their own
organisations instead, services.memberships.remove_member).
"""

from __future__ import annotations

import secrets

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casemodel import links
from casemodel.models import OfficeMembership, User
from casemodel.services.account_links import end_open_links, queue_mail
from casemodel.services.audit import record_event
from casemodel.services.errors import InvalidState, NotAllowed, NotFound
from casemodel.services.memberships import administers_all_of
from casemodel.services.sessions import end_other_sessions


class StatusRefused(NotAllowed):
    """`reason`: "own_account", "other_office" (a client of another office too, or staff of an
    office the manager does not work for), "last_manager" (an office would have no active
    manager left), "not_a_manager" (staff accounts are a manager's to change)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def check_may_change_status(session: Session, *, person: User, actor: User) -> None:
    """That the actor may deactivate or reactivate the person's account.

    Raises:
        NotFound: a person the actor's offices have nothing to do with.
        StatusRefused: why not, for a person the actor does see.
    """
    if not actor.is_staff:
        raise NotFound(f"user {person.id}")
    if person.id == actor.id:
        raise StatusRefused("own_account")
    if person.is_staff:
        offices = {office.id for office in person.offices}
        if not any(actor.works_for(office_id) for office_id in offices):
            raise NotFound(f"user {person.id}")
        if not actor.is_manager:
            raise StatusRefused("not_a_manager")
        if not all(actor.works_for(office_id) for office_id in offices):
            raise StatusRefused("other_office")
        return
    if not administers_all_of(session, actor, person):
        if not _client_of_actors_office(session, person, actor):
            raise NotFound(f"user {person.id}")
        raise StatusRefused("other_office")


def deactivate_account(session: Session, *, person: User, actor: User) -> None:
    """Deactivate the account (see the module).

    Raises:
        NotFound, StatusRefused: check_may_change_status. InvalidState: inactive already.
    """
    check_may_change_status(session, person=person, actor=actor)
    if not person.is_active:
        raise InvalidState(f"user {person.id} is inactive already")
    if person.is_manager:
        _keep_a_manager(session, person)
    person.is_active = False
    ended = end_other_sessions(session, user=person, keep_token=None, reason="deactivated")
    end_open_links(session, user=person)
    _mail(session, person, "deactivated")
    record_event(session, action="account.deactivated", actor=actor,
                 detail={"user_id": person.id, "sessions_ended": ended})  # fmt: skip
    session.flush()


def reactivate_account(session: Session, *, person: User, actor: User) -> None:
    """Let the account log in again (with its password; a forgotten one is reset as usual).

    Raises:
        NotFound, StatusRefused: check_may_change_status. InvalidState: active already.
    """
    check_may_change_status(session, person=person, actor=actor)
    if person.is_active:
        raise InvalidState(f"user {person.id} is active already")
    person.is_active = True
    person.failed_logins, person.locked_until = 0, None
    _mail(session, person, "reactivated")
    record_event(session, action="account.reactivated", actor=actor,
                 detail={"user_id": person.id})  # fmt: skip
    session.flush()


def _mail(session: Session, person: User, change: str) -> None:
    queue_mail(
        session, template="access_change", user=person, change=change, link=links.login_link(),
        dedupe=f"access_change:{change}:{person.id}:{secrets.token_hex(8)}",
    )  # fmt: skip


def _keep_a_manager(session: Session, person: User) -> None:
    """Every office of the manager keeps another active manager."""
    for office in person.offices:
        others = session.scalar(
            select(func.count())
            .select_from(User)
            .join(OfficeMembership, OfficeMembership.user_id == User.id)
            .where(
                OfficeMembership.office_id == office.id,
                User.role == "manager",
                User.is_active.is_(True),
                User.id != person.id,
            )
        )
        if not others:
            raise StatusRefused("last_manager")


def _client_of_actors_office(session: Session, person: User, actor: User) -> bool:
    from casemodel.models import Membership, Organisation
    from casemodel.queries.offices import office_ids_of

    return session.scalar(
        select(Membership.id)
        .join(Organisation, Organisation.id == Membership.organisation_id)
        .where(Membership.user_id == person.id, Organisation.office_id.in_(office_ids_of(actor)))
        .limit(1)
    ) is not None  # fmt: skip
