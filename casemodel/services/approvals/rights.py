"""Who may approve: the one place that decides it, for pages, counts and the approval itself.

Today the right is the membership's `can_approve` for the organisation the document is put up
to. Rights per membership limited to kinds of document are coming (issue 17); they belong here,
in `approval_right`, and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from casemodel.models import Document, Membership, User


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
    if user.is_staff or not user.is_active:
        return None
    membership = session.scalar(
        select(Membership).where(
            Membership.user_id == user.id,
            Membership.organisation_id == organisation_id,
            Membership.can_approve.is_(True),
        )
    )
    if membership is None:
        return None
    return ApprovalRight(membership.id, "can_approve")


def may_approve(
    session: Session, user: User, organisation_id: int, document: Document | None = None
) -> bool:
    """Whether the user may approve (and so also reject) the document for the organisation."""
    return approval_right(session, user, organisation_id, document) is not None
