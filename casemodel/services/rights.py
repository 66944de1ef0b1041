"""What a client may do for an organisation: the rights of their membership (accountancy manual,
"Beheer": "De toegang ... hangt af van de aan u toegekende rechten"; SECURITY.md, "Access").

    view        see the organisation's dossiers, with their documents and messages, and its
                folders (Accordering, Online Dossier, the list of uploads)
    upload      upload files and send messages: attachments, the Upload folder, requested files
    fill        fill in and complete questionnaires
    approve     approve documents ("accorderen"), optionally only some kinds of document
    administer  manage the organisation's people and their rights ("Beheer")

Every service that acts for an organisation asks here, on every call, from the membership as
the database holds it at that moment: a right taken away stops the next request, also in a
session that is already open. A person without any membership of the organisation gets
NotFound (its ids are not theirs to know); a member without the right, NotAllowed. Staff hold
no memberships: what the office may do is decided by `User.works_for` in each service.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Select, and_, false, or_, select
from sqlalchemy.orm import Session

from casemodel.models import Document, Dossier, Membership, User
from casemodel.models.organisations import HasRights
from casemodel.services.errors import NotAllowed, NotFound

#: Each right and the column of a membership (and of an invitation) that holds it.
RIGHT_COLUMNS = {
    "view": "can_view",
    "upload": "can_upload",
    "fill": "can_fill",
    "approve": "can_approve",
    "administer": "is_admin",
}
RIGHTS = tuple(RIGHT_COLUMNS)


@dataclass(frozen=True)
class Rights:
    """A set of rights, as an administrator or the office gives them.

    `approve_kinds`: the document kinds (DocumentKind ids) approving is limited to; None is
    every kind. Meaningless without `approve`."""

    view: bool = True
    upload: bool = True
    fill: bool = True
    approve: bool = False
    administer: bool = False
    approve_kinds: frozenset[int] | None = None

    @classmethod
    def of(cls, holder: HasRights) -> Rights:
        """The rights a membership (or an invitation) holds."""
        kinds = holder.approve_kind_ids
        return cls(
            **{right: bool(getattr(holder, column)) for right, column in RIGHT_COLUMNS.items()},
            approve_kinds=frozenset(kinds) if kinds is not None else None,
        )

    def put_on(self, holder: HasRights) -> None:
        """Give a membership (or an invitation) exactly these rights."""
        for right, column in RIGHT_COLUMNS.items():
            setattr(holder, column, getattr(self, right))
        kinds = self.approve_kinds if self.approve else None
        holder.approve_kind_ids = sorted(kinds) if kinds is not None else None

    def granted(self) -> list[str]:
        """The rights held, in the order of RIGHTS."""
        return [right for right in RIGHTS if getattr(self, right)]

    def covers(self, other: Rights) -> bool:
        """Whether every right of `other` is one of these too, approving no wider."""
        if any(getattr(other, right) and not getattr(self, right) for right in RIGHTS):
            return False
        return not other.approve or kinds_within(other.approve_kinds, self.approve_kinds)


def kinds_within(inner: frozenset[int] | None, outer: frozenset[int] | None) -> bool:
    """Whether approving documents of the kinds `inner` is within `outer` (None: every kind)."""
    if outer is None:
        return True
    return inner is not None and inner <= outer


def membership_of(session: Session, user: User, organisation_id: int) -> Membership | None:
    """The user's membership of the organisation as the database holds it now, or None."""
    if user.is_staff:
        return None
    return session.scalar(
        select(Membership).where(
            Membership.user_id == user.id, Membership.organisation_id == organisation_id
        )
    )


def has_right(session: Session, user: User, organisation_id: int, right: str) -> bool:
    """Whether the client holds the right in the organisation (staff never do: they have no
    memberships)."""
    membership = membership_of(session, user, organisation_id)
    return membership is not None and getattr(membership, RIGHT_COLUMNS[right])


def require_right(session: Session, user: User, organisation_id: int, right: str) -> Membership:
    """The user's membership of the organisation, if it holds the right.

    Raises:
        NotFound: no membership of the organisation (staff, another organisation's client).
        NotAllowed: a member without the right.
    """
    if right not in RIGHT_COLUMNS:
        raise ValueError(f"unknown right {right!r}")
    membership = membership_of(session, user, organisation_id)
    if membership is None:
        raise NotFound(f"organisation {organisation_id}")
    if not getattr(membership, RIGHT_COLUMNS[right]):
        raise NotAllowed(f"user {user.id} lacks the right {right!r} in {organisation_id}")
    return membership


def organisations_where(user: User, *rights: str, every: bool = False) -> Select:
    """The ids of the organisations in which the client holds any of the rights (`every`: all
    of them, as a step kind's client_rights), for an IN clause: what each query of the client's
    side is built on. Nothing for staff."""
    columns = [getattr(Membership, RIGHT_COLUMNS[right]).is_(True) for right in rights]
    held = and_(*columns) if every else or_(*columns)
    query = select(Membership.organisation_id).where(Membership.user_id == user.id, held)
    return query.where(false()) if user.is_staff else query


# --- approving ---------------------------------------------------------------------------------


def may_approve_document(session: Session, user: User, document: Document) -> bool:
    """Whether the user may approve ("accorderen") this document for the organisation of its
    dossier: a member holding the approve right (`Membership.can_approve`), limited to some
    kinds of document only if the membership says so; a document of no kind is then not one
    of them. The one rule for approvals (issue 15) to call."""
    return _approving_membership(session, user, document) is not None


def require_approval_right(session: Session, user: User, document: Document) -> Membership:
    """The membership that approves the document, for the evidence ("the right used").

    Raises:
        NotFound: no membership of the document's organisation.
        NotAllowed: a member who may not approve it (no approve right, or not of its kind).
    """
    dossier = session.get(Dossier, document.dossier_id)
    membership = membership_of(session, user, dossier.organisation_id)
    if membership is None:
        raise NotFound(f"document {document.id}")
    if _approving_membership(session, user, document) is None:
        raise NotAllowed(f"user {user.id} may not approve document {document.id}")
    return membership


def approving_membership(
    session: Session, user: User, organisation_id: int, document: Document | None = None
) -> Membership | None:
    """The membership by which the user approves for the organisation, or None: a member
    holding the approve right (`Membership.can_approve`), limited to some kinds of document only
    if the membership says so (a document of no kind is then not one of them). Without a
    document: whether they approve anything there (lists and counts)."""
    membership = membership_of(session, user, organisation_id)
    if membership is None or not membership.can_approve:
        return None
    if document is not None and not approves_kind_of(membership, document.kind_id):
        return None
    return membership


def approves_kind_of(membership: Membership, kind_id: int | None) -> bool:
    """Whether an approving membership's kinds of document (if it is limited to some) include
    a document's kind (Document.kind_id); a document of no kind is then not one of them."""
    kinds = membership.approve_kind_ids
    return kinds is None or kind_id in kinds


def _approving_membership(session: Session, user: User, document: Document) -> Membership | None:
    dossier = session.get(Dossier, document.dossier_id)
    return approving_membership(session, user, dossier.organisation_id, document)


def members_with(session: Session, organisation_id: int, right: str) -> Iterable[Membership]:
    """The organisation's memberships that hold the right."""
    return session.scalars(
        select(Membership).where(
            Membership.organisation_id == organisation_id,
            getattr(Membership, RIGHT_COLUMNS[right]).is_(True),
        )
    )
