"""Who may approve: the one place that decides it, for pages, counts and the approval itself.

The right is the membership's approve right (`Membership.can_approve`) for the organisation the
document is put up to, limited to kinds of document where the membership says so: the rule
itself is `casemodel.services.rights.approving_membership`, shared with the organisation's
administration; this module names it the way the approval's evidence records it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from casemodel.models import Document, Membership, User
from casemodel.services.rights import approves_kind_of, approving_membership


@dataclass(frozen=True)
class ApprovalRight:
    """The right a user approves with: the membership that holds it, and its name (what the
    evidence and the certificate record as "right used")."""

    membership_id: int
    name: str


def approval_right(
    session: Session, user: User, organisation_id: int, document: Document | None
) -> ApprovalRight | None:
    """The right by which the user approves the document for the organisation, or None.

    Read from the database on every call (never from what a page was drawn with), so a right
    revoked takes effect on the next request. Staff never approve for a client.
    """
    if not user.is_active:
        return None
    membership = approving_membership(session, user, organisation_id, document)
    if membership is None:
        return None
    return ApprovalRight(membership.id, "can_approve")

def may_approve(
    session: Session, user: User, organisation_id: int, document: Document | None = None
) -> bool:
    """Whether the user may approve (and so also reject) the document for the organisation."""
    return approval_right(session, user, organisation_id, document) is not None


def may_approve_each(session: Session, user: User) -> Callable[[int, int | None], bool]:
    """may_approve for a list of documents (the waiting ones, their count), each given by its
    organisation and its kind (Document.kind_id): the approving membership is read once per
    organisation instead of once per document."""
    approving: dict[int, Membership | None] = {}

    def may(organisation_id: int, kind_id: int | None) -> bool:
        if organisation_id not in approving:
            approving[organisation_id] = (
                approving_membership(session, user, organisation_id) if user.is_active else None
            )
        membership = approving[organisation_id]
        return membership is not None and approves_kind_of(membership, kind_id)

    return may
