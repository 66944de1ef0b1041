"""Messages as a user sees them: a dossier's, the office's inbox, and what is unread."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Select, and_, exists, func, or_, select
from sqlalchemy.orm import Session, selectinload

from casemodel.models import Dossier, Message, MessageAttachment, MessageRead, User
from casemodel.queries.documents import FolderCount
from casemodel.queries.dossiers import get_dossier_for, visible_dossiers
from casemodel.services.errors import NotFound


def _read_by(user: User):
    return exists().where(MessageRead.message_id == Message.id, MessageRead.user_id == user.id)


def _from_other_side(user: User):
    """What the user receives: the office's messages for a client, the clients' for staff."""
    return Message.from_office.is_(not user.is_staff)


def message_count(session: Session, dossier_id: int, user: User) -> FolderCount:
    """The Berichten tab's count: all messages, and those from the other side not yet read."""
    total, unread = session.execute(
        select(
            func.count(),
            func.count().filter(and_(_from_other_side(user), ~_read_by(user))),
        ).where(Message.dossier_id == dossier_id)
    ).one()
    return FolderCount(int(total), int(unread or 0))


def messages_of(dossier_id: int) -> Select:
    """The dossier's messages, newest first, with their authors and attachment links (enough
    for a list, which shows how many; a message's page loads the documents)."""
    return (
        select(Message)
        .where(Message.dossier_id == dossier_id)
        .options(selectinload(Message.attachments), selectinload(Message.author))
        .order_by(Message.created_at.desc(), Message.id.desc())
    )


def read_ids(session: Session, user: User, message_ids: Iterable[int]) -> set[int]:
    """Which of these messages the user has read (one query for a whole page)."""
    ids = list(message_ids)
    if not ids:
        return set()
    return set(
        session.scalars(
            select(MessageRead.message_id).where(
                MessageRead.user_id == user.id, MessageRead.message_id.in_(ids)
            )
        )
    )


def get_message_for(session: Session, *, dossier_id: int, message_id: int, user: User) -> Message:
    """A message of a dossier the user may see; anything else is NotFound."""
    dossier = get_dossier_for(session, dossier_id, user)
    message = session.get(Message, message_id)
    if message is None or message.dossier_id != dossier.id:
        raise NotFound(f"message {message_id}")
    return message


def inbox(user: User, *, assigned_to_me: bool = False, unread_only: bool = False) -> Select:
    """The office's inbox: clients' messages in the dossiers the staff member may see, unread
    (by them) first, then newest first. Raises NotFound for a client, whose messages are in
    their dossiers: the inbox is the office's."""
    if not user.is_staff:
        raise NotFound("the office's inbox")
    visible = visible_dossiers(user).with_only_columns(Dossier.id)
    unread = ~_read_by(user)
    query = (
        select(Message)
        .where(Message.from_office.is_(False), Message.dossier_id.in_(visible))
        .options(
            selectinload(Message.dossier).selectinload(Dossier.organisation),
            selectinload(Message.author),
            selectinload(Message.assignee),
            selectinload(Message.attachments).selectinload(MessageAttachment.document),
        )  # fmt: skip
        .order_by(unread.desc(), Message.created_at.desc(), Message.id.desc())
    )
    if assigned_to_me:
        # Unassigned means the dossier's handler answers it (Message.assignee_id).
        handled = select(Dossier.id).where(Dossier.handler_id == user.id)
        query = query.where(
            or_(
                Message.assignee_id == user.id,
                and_(Message.assignee_id.is_(None), Message.dossier_id.in_(handled)),
            )
        )
    if unread_only:
        query = query.where(unread)
    return query


def unread_inbox_count(session: Session, user: User) -> int:
    """The inbox's unread count, for the office's menu."""
    visible = visible_dossiers(user).with_only_columns(Dossier.id)
    return session.scalar(
        select(func.count()).where(
            Message.from_office.is_(False), Message.dossier_id.in_(visible), ~_read_by(user)
        )
    )
