"""Messages between the office and the client in a dossier (notary manual §2.1.1.5), with
attachments, read marks and the office's assignment of a client's message to a colleague."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from casemodel.db import insert_for, utcnow
from casemodel.filestore import StoredFile
from casemodel.models import Dossier, Message, MessageAttachment, MessageRead, StagedFile, User
from casemodel.models.messages import FORM_TOKEN_CHARS, MAX_BODY_CHARS, MAX_SUBJECT_CHARS
from casemodel.services.audit import record_event
from casemodel.services.documents import publish_document, supply_document
from casemodel.services.errors import InvalidMessage, NotFound
from casemodel.services.notifications import client_users, notify
from casemodel.services.quotas import charge
from casemodel.services.rights import has_right, require_right
from casemodel.services.uploads import staged_files_of
from casemodel.text import longer_than


def check_may_write(session: Session, user: User, dossier: Dossier) -> None:
    """That the user may send messages in the dossier (and upload their attachments): staff of
    its office; a client whose membership holds the right to upload and send messages. The
    caller has authorised the user to see the dossier (get_dossier_for).

    Raises:
        NotAllowed: a client without the right. NotFound: neither.
    """
    if user.is_staff:
        if not user.works_for(dossier.office_id):
            raise NotFound(f"dossier {dossier.id}")
        return
    require_right(session, user, dossier.organisation_id, "upload")


def clean_body(text: str) -> str:
    """Line ends as the browser's counter sees them (a textarea posts CRLF, counts LF), and
    no trailing blanks: the count the client saw is the count the server checks."""
    return text.replace("\r\n", "\n").replace("\r", "\n").rstrip()


def _sent_with(session: Session, author: User, form_token: str) -> Message | None:
    return session.scalar(
        select(Message).where(Message.author_id == author.id, Message.form_token == form_token)
    )


def check_message(subject: str, body: str) -> tuple[str, str]:
    """The subject and body as they will be stored, or InvalidMessage. The body's limit is
    counted in user-perceived characters (casemodel.text), so an emoji with its skin tone is
    one, as the portal's counter shows it. Nothing is ever cut off silently."""
    subject = " ".join(subject.split())
    body = clean_body(body)
    if not subject:
        raise InvalidMessage("subject_required")
    if len(subject) > MAX_SUBJECT_CHARS:
        raise InvalidMessage("subject_too_long")
    if not body.strip():
        raise InvalidMessage("body_required")
    if longer_than(body, MAX_BODY_CHARS):
        raise InvalidMessage("body_too_long")
    return subject, body


def send_message(
    session: Session,
    *,
    dossier: Dossier,
    author: User,
    subject: str,
    body: str,
    reply_to_id: int | None = None,
    staged_ids: list[int] = (),
    form_token: str | None = None,
) -> Message:
    """Send a message in a dossier the author may see (the caller loaded it with
    get_dossier_for). Staged attachments become documents of the dossier: the client's under
    "Door mij aangeleverd", the office's under "Correspondentie". The other side is told by mail,
    batched.

    `form_token` (one per form shown) makes sending idempotent: the same form posted again (a
    double click on "Versturen", a page sent twice) returns the message it sent, and nothing
    else happens. Decided by the one INSERT that claims the token (unique per author).

    Raises:
        InvalidMessage: empty or too long; an attachment that is not the author's staged file.
        NotFound: reply_to_id is not a message of this dossier.
        NotAllowed: a client without the right to upload and send messages (services.rights).
        QuotaExceeded: the author (or their organisation) sent as many as an hour allows.
    """
    check_may_write(session, author, dossier)
    if form_token is not None:
        form_token = form_token[:FORM_TOKEN_CHARS]
        sent = _sent_with(session, author, form_token)
        if sent is not None:
            return sent
    subject, body = check_message(subject, body)
    reply_to = None
    if reply_to_id is not None:
        reply_to = session.get(Message, reply_to_id)
        if reply_to is None or reply_to.dossier_id != dossier.id:
            raise NotFound(f"message {reply_to_id}")
    staged_ids = list(dict.fromkeys(staged_ids))
    staged = staged_files_of(session, user=author, dossier_id=dossier.id, ids=staged_ids)
    if len(staged) != len(staged_ids):
        raise InvalidMessage("unknown_attachment")
    # Counted once it would be sent; its attachments were counted as uploads when staged.
    charge(session, "messages", actor=author, organisation_id=dossier.organisation_id)
    from_office = author.is_staff
    values = dict(
        dossier_id=dossier.id, from_office=from_office, subject=subject, body=body,
        author_id=author.id, reply_to_id=reply_to.id if reply_to else None,
        form_token=form_token, created_at=utcnow(),
    )  # fmt: skip
    if form_token is None:
        message = Message(**values)
        session.add(message)
        session.flush()
    else:
        claimed = session.scalar(
            insert_for(session, Message).values(**values)
            .on_conflict_do_nothing(index_elements=["author_id", "form_token"])
            .returning(Message.id)
        )  # fmt: skip
        if claimed is None:  # the same form, sent a moment ago by a request that committed
            return _sent_with(session, author, form_token)
        message = session.get(Message, claimed)
    for file in staged:
        document = _attachment_document(session, dossier, author, file, subject)
        session.add(MessageAttachment(message_id=message.id, document_id=document.id))
        session.delete(file)
    session.add(MessageRead(user_id=author.id, message_id=message.id, read_at=utcnow()))
    record_event(
        session, action="message.sent", actor=author, dossier_id=dossier.id,
        detail={"message_id": message.id, "from_office": from_office,
                "attachments": [f.sha256 for f in staged]},
    )  # fmt: skip
    if from_office:
        notify(session, users=client_users(session, dossier), kind="message",
               dossier_id=dossier.id)  # fmt: skip
    else:
        # Whoever wrote the message answered, else the dossier's handler.
        answered = reply_to.author if reply_to and reply_to.from_office else None
        answerer = answered or dossier.handler
        if answerer is not None:
            notify(session, users=[answerer], kind="client_message", dossier_id=dossier.id)
    session.flush()
    return message


def _attachment_document(session, dossier, author, file: StagedFile, subject: str):
    stored = StoredFile(sha256=file.sha256, size=file.size, content_type=file.content_type)
    if author.is_staff:
        return publish_document(
            session, dossier=dossier, folder="correspondence", title=file.filename,
            stored=stored, filename=file.filename, actor=author,
        )  # fmt: skip
    return supply_document(
        session, dossier=dossier, title=file.filename, stored=stored, filename=file.filename,
        actor=author,
    )  # fmt: skip


def mark_read(session: Session, *, message: Message, user: User) -> bool:
    """Opening a message marks it read for this user. Returns whether it was unread."""
    exists = session.scalar(
        select(MessageRead.id).where(
            MessageRead.user_id == user.id, MessageRead.message_id == message.id
        )
    )
    if exists is not None:
        return False
    try:
        # The same message opened twice at once (two tabs): the second mark loses the race
        # on the unique constraint, and the message is read all the same.
        with session.begin_nested():
            session.add(MessageRead(user_id=user.id, message_id=message.id, read_at=utcnow()))
    except IntegrityError:
        return False
    return True


def may_answer(session: Session, user: User, message: Message) -> bool:
    """Whether the message's page offers the user to answer it: staff answer a client's message
    (not the office's own), a client with the right to send messages any message of their
    dossier. The caller has authorised the user for the dossier
    (queries.messages.get_message_for)."""
    if user.is_staff:
        return not message.from_office
    return has_right(session, user, message.dossier.organisation_id, "upload")


def may_assign(user: User, message: Message) -> bool:
    """Whether the user may give this message to a colleague: staff of the dossier's office,
    and only a client's message (the office's own need no answer from the office)."""
    return not message.from_office and user.works_for(message.dossier.office_id)


def assign_message(session: Session, *, message: Message, assignee: User, actor: User) -> None:
    """The office gives a client's message to a colleague to answer, who is told by mail.

    Raises:
        NotFound: the message or the colleague is not of the actor's office.
    """
    if not may_assign(actor, message):
        raise NotFound(f"message {message.id}")
    if not assignee.is_active or not assignee.works_for(message.dossier.office_id):
        raise NotFound(f"user {assignee.id}")
    message.assignee_id = assignee.id
    record_event(
        session, action="message.assigned", actor=actor, dossier_id=message.dossier_id,
        detail={"message_id": message.id, "assignee_id": assignee.id},
    )  # fmt: skip
    if assignee.id != actor.id:
        notify(session, users=[assignee], kind="client_message", dossier_id=message.dossier_id)
    session.flush()
