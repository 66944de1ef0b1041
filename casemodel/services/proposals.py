"""Changes to personal and organisation data (accountancy manual, "Beheer": "Indien u hier
wijzigingen aanbrengt, worden deze voorgelegd aan uw contactpersoon"): a client's change is a
proposal the organisation's contact person at the office accepts, or rejects with a remark the
client sees; until then the old values stay in force and the client sees the new ones as "in
behandeling". An office that does not want that (`Office.changes_need_review` off, a small
notary office) has changes apply at once; the office's own changes always do.

Every change, proposed or direct, is a ChangeProposal row: the history of a person's or an
organisation's details, with proposer and reviewer, which the audit events refer to.

Who may change what:
- a person's name, phone number and address: the person themselves, an administrator of every
  organisation they belong to, or staff of the offices of all of those;
- a person's e-mail address and mobile number: only such an administrator (themselves
  included) or such staff (the manual's rule; the web layer asks them to re-authenticate);
- an organisation's address, KvK, VAT number and IBAN: its administrators, and its office.

Applying a new e-mail address tells the old one; a new mobile number is not used until the
person has confirmed it with an SMS code sent to it (services.second_factor), and the old
number and the address are told.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from casemodel.db import claim_row, increment, utcnow
from casemodel.models import ChangeProposal, Organisation, User
from casemodel.services.accounts import normalise_email
from casemodel.services.audit import record_event
from casemodel.services.details import (
    CONTACT_FIELDS,
    DEFAULT_COUNTRY,
    ORGANISATION_FIELDS,
    PERSON_FIELDS,
    InvalidDetails,
    clean_details,
)
from casemodel.services.errors import DomainError, InvalidState, NotAllowed, NotFound
from casemodel.services.memberships import administers_all_of, check_manages
from casemodel.services.notifications import notify
from casemodel.services.rights import membership_of

MAX_REMARK = 1000


class NoChanges(DomainError):
    """What was sent is what is there: nothing to propose."""


class EmailTaken(DomainError):
    """Another account has the e-mail address."""


class RemarkRequired(DomainError):
    """A rejection without a remark: the client is to know why."""


def propose_person_changes(
    session: Session, *, person: User, organisation_id: int, values: Mapping[str, str | None],
    actor: User, fields: tuple[str, ...] = PERSON_FIELDS,
) -> ChangeProposal:  # fmt: skip
    """Change the person's details in `fields` to `values` (as typed), as a proposal or at once.

    Args:
        organisation_id: the organisation the actor acts for (a client: one of the person's and
            their own; its contact person reviews), or for staff the organisation they opened
            the person from.
    Returns:
        The proposal: "pending", or "accepted" when applied at once.
    Raises:
        InvalidDetails: what does not check out, by field (nothing is proposed).
        NotFound: the person or organisation is not the actor's to change.
        NotAllowed: the e-mail address or mobile number by someone not allowed to.
        NoChanges: nothing differs. EmailTaken: applied at once, the address is in use.
    """
    organisation = _organisation_of_person(session, person, organisation_id, actor)
    own = person.id == actor.id
    manages_person = administers_all_of(session, actor, person)
    if not (manages_person or own):
        raise NotFound(f"user {person.id}")
    cleaned = clean_details(values, fields)
    # An account keeps an address to log in with, and a number its codes go to.
    emptied = {field: "required" for field in CONTACT_FIELDS
               if field in cleaned and cleaned[field] is None
               and (field == "email" or person.code_number)}  # fmt: skip
    if emptied:
        raise InvalidDetails(emptied)
    changes = _changed(person, cleaned)
    if set(changes) & set(CONTACT_FIELDS) and not manages_person:
        raise NotAllowed("only an administrator changes an e-mail address or mobile number")
    if changes.get("email") and _email_taken(session, changes["email"], person):
        raise EmailTaken(changes["email"])
    return _propose(session, organisation=organisation, person=person, changes=changes,
                    actor=actor)  # fmt: skip


def propose_organisation_changes(
    session: Session, *, organisation: Organisation, values: Mapping[str, str | None],
    actor: User,
) -> ChangeProposal:  # fmt: skip
    """Change the organisation's details (ORGANISATION_FIELDS), as a proposal or at once.

    Raises:
        InvalidDetails, NoChanges: as propose_person_changes.
        NotFound, NotAllowed: the actor does not manage the organisation (services.memberships).
    """
    check_manages(session, actor, organisation)
    changes = _changed(organisation, clean_details(values, ORGANISATION_FIELDS))
    return _propose(session, organisation=organisation, person=None, changes=changes,
                    actor=actor)  # fmt: skip


def review_proposal(
    session: Session, *, proposal_id: int, accept: bool, remark: str, actor: User
) -> ChangeProposal:
    """The office accepts a pending proposal (it takes effect now) or rejects it with a remark
    the client sees. The proposer is told by mail.

    Raises:
        NotFound: not a proposal of the actor's offices. InvalidState: reviewed (or withdrawn)
            already, also by a colleague a moment ago. RemarkRequired: a rejection without a
            remark. EmailTaken: accepting an address another account took since.
    """
    proposal = get_proposal_for(session, proposal_id, actor)
    remark = " ".join(remark.split())[:MAX_REMARK] or None
    if not accept and not remark:
        raise RemarkRequired()
    if proposal.state != "pending":
        raise InvalidState(f"proposal {proposal.id} is {proposal.state}")
    if (
        accept
        and proposal.changes.get("email")
        and _email_taken(session, proposal.changes["email"], proposal.user)
    ):
        raise EmailTaken(proposal.changes["email"])
    state = "accepted" if accept else "rejected"
    if not claim_row(session, proposal, ChangeProposal.state == "pending", state=state,
                     reviewed_by_id=actor.id, reviewed_at=utcnow(), remark=remark):  # fmt: skip
        raise InvalidState(f"proposal {proposal.id} was reviewed a moment ago")
    if accept:
        _apply(session, proposal, actor)
    record_event(
        session, action=f"proposal.{state}", actor=actor,
        detail={"proposal_id": proposal.id, "proposed_by_id": proposal.proposed_by_id,
                "fields": sorted(proposal.changes)},
    )  # fmt: skip
    notify(session, users=[proposal.proposed_by], kind="proposal_reviewed",
           organisation_id=proposal.organisation_id)  # fmt: skip
    return proposal


def withdraw_proposal(session: Session, *, proposal_id: int, actor: User) -> None:
    """The one who proposed it takes a pending proposal back.

    Raises:
        NotFound: not a pending proposal of the actor's.
    """
    proposal = session.get(ChangeProposal, proposal_id)
    if proposal is None or proposal.proposed_by_id != actor.id:
        raise NotFound(f"proposal {proposal_id}")
    if not claim_row(session, proposal, ChangeProposal.state == "pending", state="withdrawn"):
        raise NotFound(f"pending proposal {proposal_id}")
    record_event(session, action="proposal.withdrawn", actor=actor,
                 detail={"proposal_id": proposal.id})  # fmt: skip


def get_proposal_for(session: Session, proposal_id: int, actor: User) -> ChangeProposal:
    """A proposal to the actor's offices (staff only); anything else answers NotFound."""
    proposal = session.get(ChangeProposal, proposal_id)
    if proposal is None or not actor.works_for(proposal.office_id):
        raise NotFound(f"proposal {proposal_id}")
    return proposal


def pending_changes(
    session: Session, *, person: User | None = None, organisation: Organisation | None = None
) -> dict[str, Any]:
    """The values waiting for review, by field, for a person's or an organisation's details
    (what the client sees as "in behandeling")."""
    query = select(ChangeProposal).where(ChangeProposal.state == "pending")
    if person is not None:
        query = query.where(ChangeProposal.user_id == person.id)
    else:
        query = query.where(ChangeProposal.user_id.is_(None),
                            ChangeProposal.organisation_id == organisation.id)  # fmt: skip
    waiting: dict[str, Any] = {}
    for proposal in session.scalars(query.order_by(ChangeProposal.id)):
        waiting.update(proposal.changes)
    return waiting


def _propose(session, *, organisation: Organisation, person: User | None, changes: dict,
             actor: User) -> ChangeProposal:  # fmt: skip
    if not changes:
        raise NoChanges()
    subject = person if person is not None else organisation
    # Proposals for one organisation take turns: the one still pending is found and replaced.
    increment(session, organisation, "revision")
    now = utcnow()
    review = organisation.office.changes_need_review and not actor.is_staff
    previous = {field: getattr(subject, field) for field in changes}
    if review:
        replaced = _pending(session, organisation, person)
        if replaced is not None:
            claim_row(session, replaced, ChangeProposal.state == "pending", state="replaced")
            changes = {**replaced.changes, **changes}
            previous = {**replaced.previous, **previous}
    proposal = ChangeProposal(
        office_id=organisation.office_id, organisation_id=organisation.id,
        user_id=person.id if person else None, changes=changes, previous=previous,
        proposed_by_id=actor.id, proposed_at=now, state="pending" if review else "accepted",
        reviewed_by_id=None if review else (actor.id if actor.is_staff else None),
        reviewed_at=None if review else now,
    )  # fmt: skip
    session.add(proposal)
    session.flush()
    if review:
        record_event(
            session, action="proposal.made", actor=actor,
            detail={"proposal_id": proposal.id, "organisation_id": organisation.id,
                    "user_id": proposal.user_id, "fields": sorted(changes)},
        )  # fmt: skip
        if organisation.contact_person is not None:
            notify(session, users=[organisation.contact_person], kind="proposal",
                   organisation_id=organisation.id)  # fmt: skip
    else:
        _apply(session, proposal, actor)
    return proposal


def _apply(session: Session, proposal: ChangeProposal, actor: User) -> None:
    """The proposal's values take effect."""
    from casemodel.services.security_notices import notice_security_change

    if proposal.user_id is None:
        for field, value in proposal.changes.items():
            setattr(proposal.organisation, field, value)
    else:
        person = proposal.user
        for field, value in proposal.changes.items():
            if field == "email":
                # Told at the old address, before it is gone (a mistake or a takeover shows).
                notice_security_change(session, user=person, change="email",
                                       new_email=_masked_email(value))  # fmt: skip
                person.email = normalise_email(value)
            elif field == "mobile_number":
                _new_mobile_number(session, person, value)
            else:
                setattr(person, field, value)
    session.flush()
    record_event(
        session, action="details.applied", actor=actor,
        detail={"proposal_id": proposal.id, "proposed_by_id": proposal.proposed_by_id,
                "reviewed_by_id": proposal.reviewed_by_id, "user_id": proposal.user_id,
                "organisation_id": proposal.organisation_id, "fields": sorted(proposal.changes)},
    )  # fmt: skip


def _new_mobile_number(session: Session, person: User, number: str | None) -> None:
    """A number given by an administrator or the office waits for the person's confirmation
    (an SMS code sent to it, at their next login); the old number and the address are told."""
    from casemodel.services.outbox import enqueue
    from casemodel.services.security_notices import notice_security_change, sms_notice

    old = person.mobile_number
    if number is None:
        person.pending_mobile_number = None
        return
    person.pending_mobile_number = number
    notice_security_change(session, user=person, change="mobile_number_pending",
                           number_end=number[-2:])  # fmt: skip
    if old and old != number:
        enqueue(session, kind="send_sms", dedupe_key=f"sms:number_change:{secrets.token_hex(8)}",
                payload={"to": old, "text": sms_notice(person, "mobile_number_pending"),
                         "reference": f"number-change-{person.id}"})  # fmt: skip


def _changed(subject: User | Organisation, cleaned: dict[str, Any]) -> dict[str, Any]:
    changes = {}
    for field, value in cleaned.items():
        current = getattr(subject, field)
        if field == "mobile_number" and isinstance(subject, User):
            current = subject.pending_mobile_number or current
        if value != current:
            changes[field] = value
    # The country a form shows first is no change to an address that has none at all.
    if changes.get("address_country") == DEFAULT_COUNTRY and subject.address_country is None:
        address = ("address_street", "address_postcode", "address_city")
        if not any(cleaned.get(f) or getattr(subject, f) for f in address):
            del changes["address_country"]
    return changes


def _pending(session, organisation: Organisation, person: User | None) -> ChangeProposal | None:
    query = select(ChangeProposal).where(
        ChangeProposal.state == "pending", ChangeProposal.organisation_id == organisation.id
    )
    if person is None:
        query = query.where(ChangeProposal.user_id.is_(None))
    else:
        query = query.where(ChangeProposal.user_id == person.id)
    return session.scalar(query.order_by(ChangeProposal.id.desc()).limit(1))


def _organisation_of_person(session, person: User, organisation_id: int, actor: User):
    """The organisation the change is made in: the person belongs to it, and the actor is a
    member (a client) or works for its office (staff)."""
    organisation = session.get(Organisation, organisation_id)
    if organisation is None or membership_of(session, person, organisation_id) is None:
        raise NotFound(f"user {person.id} in organisation {organisation_id}")
    if actor.is_staff:
        if not actor.works_for(organisation.office_id):
            raise NotFound(f"organisation {organisation_id}")
    elif membership_of(session, actor, organisation_id) is None:
        raise NotFound(f"organisation {organisation_id}")
    return organisation


def _email_taken(session: Session, email: str, person: User) -> bool:
    return session.scalar(
        select(User.id).where(User.email == normalise_email(email), User.id != person.id)
    ) is not None  # fmt: skip


def _masked_email(email: str) -> str:
    """ "j•••@example.nl": enough for the owner to recognise it, little for anyone else."""
    local, _at, domain = email.partition("@")
    return f"{local[:1]}•••@{domain}"
