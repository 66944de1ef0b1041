"""An organisation's people: their rights, their notification mails, and taking someone out
(accountancy manual, "Mijn gebruikers"; notary manual §2.2, extra accounts for a company).

Who may: the organisation's administrators (a membership with the right to administer) and
the staff of its office. An administrator cannot grant a right they lack, cannot raise their
own rights, and cannot demote or remove the last administrator (themselves included); the
office can do all of it. Each change first locks the organisation's row (`revision`), so two
administrators demoting each other at the same moment leave one of them in place.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casemodel import links
from casemodel.db import increment
from casemodel.models import Membership, Organisation, User
from casemodel.services.audit import record_event
from casemodel.services.errors import NotAllowed, NotFound
from casemodel.services.rights import RIGHTS, Rights, membership_of, require_right

#: The notification modules of a membership (column notify_<module>), in the order pages show
#: them.
MODULES = ("documents", "messages", "questionnaires", "approvals", "uploads", "news")


class RightsRefused(NotAllowed):
    """An administrator's change the rules refuse; `reason` is "raise_own" (one's own rights
    only go down), "grant_lacking" (a right the administrator lacks, or approving wider than
    theirs) or "last_administrator" (the organisation would have none)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Manager:
    """Who acts on an organisation's people: its administrator's membership, or None for the
    office's staff."""

    actor: User
    membership: Membership | None

    @property
    def is_office(self) -> bool:
        return self.membership is None


def check_manages(session: Session, actor: User, organisation: Organisation) -> Manager:
    """That the actor manages the organisation's people: staff of its office, or a member with
    the right to administer it.

    Raises:
        NotFound: neither staff of its office nor a member of it. NotAllowed: a member who is
            not an administrator.
    """
    if actor.is_staff:
        if not actor.works_for(organisation.office_id):
            raise NotFound(f"organisation {organisation.id}")
        return Manager(actor, None)
    return Manager(actor, require_right(session, actor, organisation.id, "administer"))


def get_member_for(
    session: Session, *, organisation_id: int, user_id: int, actor: User
) -> tuple[Membership, Manager]:
    """A membership of the organisation by its person's id, for one who manages its people; a
    person of another organisation (or none) answers NotFound, like one that does not exist."""
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound(f"organisation {organisation_id}")
    manager = check_manages(session, actor, organisation)
    membership = session.scalar(
        select(Membership).where(
            Membership.organisation_id == organisation_id, Membership.user_id == user_id
        )
    )
    if membership is None:
        raise NotFound(f"user {user_id} of organisation {organisation_id}")
    return membership, manager


def set_rights(session: Session, *, membership: Membership, rights: Rights, actor: User) -> None:
    """Give the member exactly these rights. Takes effect on their next request.

    Raises:
        NotFound, NotAllowed: the actor does not manage the organisation's people.
        RightsRefused: an administrator's change the rules refuse (nothing is changed).
    """
    organisation = membership.organisation
    manager = check_manages(session, actor, organisation)
    _lock(session, organisation)
    session.refresh(membership)
    before = Rights.of(membership)
    if before == rights:
        return
    if not manager.is_office:
        own = manager.membership
        if membership.id == own.id and not before.covers(rights):
            raise RightsRefused("raise_own")
        if not _within_grant(Rights.of(own), before, rights):
            raise RightsRefused("grant_lacking")
        if before.administer and not rights.administer:
            _keep_an_administrator(session, organisation, leaving=membership)
    rights.put_on(membership)
    session.flush()
    record_event(
        session, action="membership.rights_changed", actor=actor,
        detail={"user_id": membership.user_id, "organisation_id": organisation.id,
                "before": _described(before), "after": _described(rights)},
    )  # fmt: skip


def set_notifications(
    session: Session, *, membership: Membership, modules: Mapping[str, bool], actor: User
) -> None:
    """Which modules' mails the member gets: set by the member (Mijn gegevens), an
    administrator of the organisation, or its office.

    Raises:
        NotFound, NotAllowed: anyone else.
    """
    if actor.id != membership.user_id:
        check_manages(session, actor, membership.organisation)
    unknown = set(modules) - set(MODULES)
    if unknown:
        raise ValueError(f"unknown notification modules {sorted(unknown)}")
    chosen = {module: bool(modules.get(module)) for module in MODULES}
    for module, wanted in chosen.items():
        setattr(membership, f"notify_{module}", wanted)
    session.flush()
    record_event(
        session, action="membership.notifications_changed", actor=actor,
        detail={"user_id": membership.user_id, "organisation_id": membership.organisation_id,
                **chosen},
    )  # fmt: skip


def notification_modules(membership: Membership) -> dict[str, bool]:
    return {module: getattr(membership, f"notify_{module}") for module in MODULES}


def remove_member(session: Session, *, membership: Membership, actor: User) -> None:
    """Take the person out of the organisation: from their next request they reach nothing of
    it. What they did keeps their name in the audit trail, and they are told by mail.

    An account that belongs to no other organisation has nothing left to log in to: it is
    closed (inactive, `closed_reason` "no_organisation"), every session and login waiting for
    its code ends and set-password links die, so a portal account with a password and a
    mobile number does not linger unused. The row stays (names on what they did); access
    given again later (services.invitations.give_access) reopens it.

    Raises:
        NotFound, NotAllowed: the actor does not manage the organisation's people.
        RightsRefused: "last_administrator", when an administrator would leave none.
    """
    from casemodel.services.account_links import queue_mail

    organisation = membership.organisation
    manager = check_manages(session, actor, organisation)
    _lock(session, organisation)
    session.refresh(membership)
    if not manager.is_office and membership.is_admin:
        _keep_an_administrator(session, organisation, leaving=membership)
    person = membership.user
    session.delete(membership)
    session.flush()
    session.expire(person, ["memberships"])
    elsewhere = belongs_somewhere(session, person)
    closed = close_if_belongs_nowhere(session, person, reason="removed")
    queue_mail(
        session, template="access_change", user=person, office=organisation.office,
        dedupe=f"access_change:removed:{person.id}:{organisation.id}:{organisation.revision}",
        change="removed", organisation=organisation.name, link=links.login_link(),
        closed=closed,
    )  # fmt: skip
    record_event(
        session, action="membership.removed", actor=actor,
        detail={"user_id": person.id, "organisation_id": organisation.id,
                "signed_out": not elsewhere, "account_closed": closed},
    )  # fmt: skip


def belongs_somewhere(session: Session, person: User) -> bool:
    return bool(session.scalar(
        select(func.count()).select_from(Membership).where(Membership.user_id == person.id)
    ))  # fmt: skip


def close_if_belongs_nowhere(session: Session, person: User, *, reason: str) -> bool:
    """An account that belongs to no organisation has nothing left to log in to: its sessions,
    logins waiting for their code and set-password links end, and an active one is closed
    (`closed_reason` "no_organisation"; access given again reopens it). Nothing happens to an
    account that still belongs somewhere. Returns whether it was closed now."""
    from casemodel.services.account_links import end_open_links
    from casemodel.services.sessions import end_other_sessions

    if belongs_somewhere(session, person):
        return False
    end_other_sessions(session, user=person, keep_token=None, reason=reason)
    end_open_links(session, user=person)
    if not person.is_active:
        return False
    person.is_active, person.closed_reason = False, "no_organisation"
    session.flush()
    return True


def administers_all_of(session: Session, actor: User, person: User) -> bool:
    """Whether the actor manages every organisation the person belongs to (and there is one):
    staff of each one's office, or an administrator of each. What changing a person's contact
    details or account needs, since a person is one account across organisations."""
    organisations = session.scalars(
        select(Organisation).join(Membership).where(Membership.user_id == person.id)
    ).all()
    if not organisations or person.is_staff:
        return False
    if actor.is_staff:
        return all(actor.works_for(o.office_id) for o in organisations)
    for organisation in organisations:
        membership = membership_of(session, actor, organisation.id)
        if membership is None or not membership.is_admin:
            return False
    return True


def _lock(session: Session, organisation: Organisation) -> None:
    """Changes to one organisation's people take turns (the row stays locked until commit)."""
    increment(session, organisation, "revision")


def _within_grant(own: Rights, before: Rights, after: Rights) -> bool:
    """Whether an administrator holding `own` may turn `before` into `after`: every right newly
    given is one of their own, and approving reaches no kind that neither the member could
    approve before nor the administrator can."""
    for right in RIGHTS:
        if getattr(after, right) and not getattr(before, right) and not getattr(own, right):
            return False
    if not after.approve:
        return True
    scopes = [r.approve_kinds for r in (before, own) if r.approve]
    if any(scope is None for scope in scopes):
        return True
    return after.approve_kinds is not None and after.approve_kinds <= frozenset().union(*scopes)


def _keep_an_administrator(session: Session, organisation: Organisation, *, leaving) -> None:
    others = session.scalar(
        select(func.count())
        .select_from(Membership)
        .where(
            Membership.organisation_id == organisation.id,
            Membership.is_admin.is_(True),
            Membership.id != leaving.id,
        )
    )
    if not others:
        raise RightsRefused("last_administrator")


def _described(rights: Rights) -> dict:
    kinds = sorted(rights.approve_kinds) if rights.approve_kinds is not None else None
    return {"rights": rights.granted(), "approve_kinds": kinds}
