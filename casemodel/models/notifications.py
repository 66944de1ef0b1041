"""Things a user is to be told about by e-mail, collected so that many at once make one mail."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from casemodel.db import Base, intpk, utc_timestamp

#: document: the office published documents; message: the office sent a message; questionnaire:
#: a questionnaire is ready; upload: a client uploaded files (to staff, their contact person);
#: client_message: a client wrote (to the staff member who is to answer); request: the office
#: asks the client for files (an upload_request step); questionnaire_done: a client completed a
#: questionnaire (to staff, as for uploads); approval: a document waits for the client's
#: approval (to its approvers); approval_done: a client approved or rejected one (to staff);
#: proposal: a client proposed a change to personal or organisation data (to the
#: organisation's contact person); proposal_reviewed: the office accepted or rejected it (to
#: the client who proposed it).
NOTIFICATION_KINDS = (
    "document", "message", "questionnaire", "upload", "client_message", "request",
    "questionnaire_done", "approval", "approval_done", "proposal", "proposal_reviewed",
)  # fmt: skip


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (
        CheckConstraint(f"kind IN {NOTIFICATION_KINDS}", name="kind"),
        Index("ix_notifications_pending", "user_id", "sent_at"),
    )

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"))
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE")
    )
    created_at: Mapped[utc_timestamp]
    #: When the digest mail that told of it was queued; None while it waits to be batched.
    sent_at: Mapped[dt.datetime | None]
