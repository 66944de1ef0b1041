"""Messages between the office and a client in a dossier (notary manual §2.1.1.5 "Berichten"),
their attachments, and who has read which."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from casemodel.db import Base, intpk, utc_timestamp
from casemodel.models.documents import Document
from casemodel.models.dossiers import Dossier
from casemodel.models.users import User

#: The manual's limit, counted in user-perceived characters (grapheme clusters: an emoji with
#: its skin tone, a flag, a letter with its accent are one each), as the browser's counter shows
#: them (casemodel.text.perceived_length; Intl.Segmenter in the page).
MAX_BODY_CHARS = 4000
#: The form token's length: one per message form, so a double click sends once.
FORM_TOKEN_CHARS = 64
MAX_SUBJECT_CHARS = 200


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_dossier_created", "dossier_id", "created_at"),
        # The office's inbox: client messages across dossiers, newest first.
        Index("ix_messages_inbox", "from_office", "created_at"),
        # A message form posted twice (a double click on "Versturen") sends one message.
        UniqueConstraint("author_id", "form_token"),
    )

    id: Mapped[intpk]
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"))
    #: True: from the office to the client ("incoming" for the client); False: from the client.
    from_office: Mapped[bool]
    subject: Mapped[str] = mapped_column(String(MAX_SUBJECT_CHARS))
    body: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: The message this one answers; its text is shown under the reply.
    reply_to_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    #: For a client's message: the colleague who is to answer it (None: the dossier's handler).
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    #: The token of the form it was sent from (random per form shown); None for messages
    #: not sent from a form (the demo's seed).
    form_token: Mapped[str | None] = mapped_column(String(FORM_TOKEN_CHARS))
    created_at: Mapped[utc_timestamp]

    dossier: Mapped[Dossier] = relationship()
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    reply_to: Mapped[Message | None] = relationship(remote_side="Message.id")
    attachments: Mapped[list[MessageAttachment]] = relationship(
        back_populates="message", order_by="MessageAttachment.id"
    )


class MessageAttachment(Base):
    """A file sent with a message. It is a document of the dossier (the client's under "Door mij
    aangeleverd", the office's under "Correspondentie"), so it is downloaded, audited and marked
    read like any document."""

    __tablename__ = "message_attachments"
    __table_args__ = (UniqueConstraint("message_id", "document_id"),)

    id: Mapped[intpk]
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )

    message: Mapped[Message] = relationship(back_populates="attachments")
    document: Mapped[Document] = relationship()


class MessageRead(Base):
    __tablename__ = "message_reads"
    __table_args__ = (UniqueConstraint("user_id", "message_id"),)

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), index=True
    )
    read_at: Mapped[dt.datetime]
