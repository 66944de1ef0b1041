"""The dossier workspace's domain rules, on SQLite and PostgreSQL alike: messages and their
limits, attachments staged and sent, the organisation archive, and batched notification mails."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from casemodel.filestore import StoredFile
from casemodel.models import (
    AuditEvent,
    Document,
    Message,
    Notification,
    OutboxMessage,
    StagedFile,
)
from casemodel.queries.documents import folder_counts
from casemodel.queries.messages import inbox, message_count
from casemodel.services import notifications
from casemodel.services.documents import publish_document
from casemodel.services.dossiers import open_dossier
from casemodel.services.errors import InvalidMessage, NotFound
from casemodel.services.messages import assign_message, mark_read, send_message
from casemodel.services.uploads import archive_upload, purge_staged_files, stage_file

PDF = StoredFile(sha256="a" * 64, size=1234, content_type="application/pdf")


@pytest.fixture
def dossier(session, firm, transfer_template):
    return open_dossier(
        session, template=transfer_template, organisation_id=firm.organisation.id,
        description="Dorpsstraat 1", actor=firm.staff,
    )  # fmt: skip


def digests_for(session, user) -> list[OutboxMessage]:
    return list(
        session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.kind == "send_digest",
                OutboxMessage.payload["user_id"].as_integer() == user.id,
            )
        )
    )


def deliver_digests(session) -> None:
    """What the relay does once the batch window has passed."""
    for message in session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.kind == "send_digest", OutboxMessage.done_at.is_(None)
        )
    ):
        notifications.send_digest(session, message.payload["user_id"])
        message.done_at = message.due_at


def mails_to(session, user) -> list[dict]:
    return [
        m.payload
        for m in session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "send_mail"))
        if m.payload["to"] == user.email
    ]


def test_the_4000_character_limit_counts_characters_and_never_cuts(session, firm, dossier):
    exactly = "😀" * 10 + "a" * 3990
    message = send_message(
        session, dossier=dossier, author=firm.client, subject="Kopie stukken", body=exactly
    )
    assert message.body == exactly and len(message.body) == 4000
    with pytest.raises(InvalidMessage) as refused:
        send_message(session, dossier=dossier, author=firm.client, subject="x", body=exactly + "b")
    assert refused.value.reason == "body_too_long"
    # A textarea posts CRLF; the counter the client saw counted one character per line end.
    crlf = "a\r\n" * 1333 + "a"  # 1333 * 2 + 1 = 2667 characters as counted, 4000 bytes posted
    assert send_message(session, dossier=dossier, author=firm.client, subject="x", body=crlf).body
    for subject, body, reason in (
        ("  ", "tekst", "subject_required"),
        ("Onderwerp", " \n ", "body_required"),
        ("x" * 201, "tekst", "subject_too_long"),
    ):
        with pytest.raises(InvalidMessage) as refused:
            send_message(session, dossier=dossier, author=firm.client, subject=subject, body=body)
        assert refused.value.reason == reason


def test_a_client_message_with_attachments_reaches_the_office(session, firm, dossier):
    staged = [
        stage_file(session, dossier=dossier, user=firm.client, stored=PDF, filename="paspoort.pdf"),
        stage_file(session, dossier=dossier, user=firm.client,
                   stored=StoredFile("b" * 64, 99, "image/png"), filename="../../etc/x.png"),
    ]  # fmt: skip
    message = send_message(
        session, dossier=dossier, author=firm.client, subject="Legitimatie",
        body="Hierbij mijn paspoort.", staged_ids=[s.id for s in staged],
    )  # fmt: skip

    assert not message.from_office
    assert [a.document.folder for a in message.attachments] == ["supplied", "supplied"]
    assert [a.document.versions[0].filename for a in message.attachments] == [
        "paspoort.pdf", "x.png",
    ]  # fmt: skip
    assert session.scalars(select(StagedFile)).all() == []
    # The client supplied them: counted under "Door mij aangeleverd", not unread for them.
    assert folder_counts(session, dossier.id, firm.client)["supplied"].total == 2
    assert folder_counts(session, dossier.id, firm.client)["supplied"].unread == 0
    assert message_count(session, dossier.id, firm.client).unread == 0
    assert message_count(session, dossier.id, firm.staff).unread == 1
    assert session.scalars(inbox(firm.staff)).all() == [message]
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "message.sent")).one()
    assert event.detail["attachments"] == ["a" * 64, "b" * 64]
    # The dossier's handler is told (batched).
    assert len(digests_for(session, firm.staff)) == 1


def test_attachments_are_the_authors_own_staged_files(session, firm, other_firm, dossier):
    theirs = stage_file(session, dossier=dossier, user=firm.staff, stored=PDF, filename="a.pdf")
    with pytest.raises(InvalidMessage):
        send_message(session, dossier=dossier, author=firm.client, subject="x", body="y",
                     staged_ids=[theirs.id])  # fmt: skip
    assert session.scalar(select(Message.id)) is None
    assert session.get(StagedFile, theirs.id) is not None


def test_reading_replying_and_the_inbox_order(session, firm, dossier):
    first = send_message(session, dossier=dossier, author=firm.client, subject="Eerste", body="1")
    second = send_message(session, dossier=dossier, author=firm.client, subject="Tweede", body="2")
    assert session.scalars(inbox(firm.staff)).all() == [second, first]
    assert mark_read(session, message=second, user=firm.staff) is True
    assert mark_read(session, message=second, user=firm.staff) is False
    # Unread first, then newest first.
    assert session.scalars(inbox(firm.staff)).all() == [first, second]
    assert session.scalars(inbox(firm.staff, unread_only=True)).all() == [first]

    reply = send_message(session, dossier=dossier, author=firm.staff, subject="Re: Eerste",
                         body="Dank u.", reply_to_id=first.id)  # fmt: skip
    assert reply.from_office and reply.reply_to == first
    count = message_count(session, dossier.id, firm.client)
    assert (count.total, count.unread) == (3, 1)


def test_a_reply_to_another_dossiers_message_is_not_found(session, firm, transfer_template):
    one, two = (
        open_dossier(session, template=transfer_template, organisation_id=firm.organisation.id,
                     description=d, actor=firm.staff)
        for d in ("A", "B")
    )  # fmt: skip
    message = send_message(session, dossier=one, author=firm.client, subject="x", body="y")
    with pytest.raises(NotFound):
        send_message(session, dossier=two, author=firm.client, subject="x", body="y",
                     reply_to_id=message.id)  # fmt: skip


def test_assigning_stays_within_the_office(session, firm, other_firm, dossier):
    message = send_message(session, dossier=dossier, author=firm.client, subject="x", body="y")
    assign_message(session, message=message, assignee=firm.manager, actor=firm.staff)
    assert message.assignee == firm.manager
    assert session.scalars(inbox(firm.manager, assigned_to_me=True)).all() == [message]
    with pytest.raises(NotFound):
        assign_message(session, message=message, assignee=other_firm.staff, actor=firm.staff)
    with pytest.raises(NotFound):
        assign_message(session, message=message, assignee=firm.staff, actor=other_firm.staff)


def test_twenty_documents_published_at_once_make_one_mail_without_content(session, firm, dossier):
    for n in range(20):
        publish_document(
            session, dossier=dossier, folder="documents", title=f"Geheim stuk {n}",
            stored=PDF, filename="stuk.pdf", actor=firm.staff,
        )  # fmt: skip
    send_message(session, dossier=dossier, author=firm.staff, subject="Geheim onderwerp",
                 body="Geheime inhoud")  # fmt: skip
    assert len(digests_for(session, firm.client)) == 1

    deliver_digests(session)
    deliver_digests(session)  # a second delivery finds nothing waiting

    [mail] = mails_to(session, firm.client)
    assert dossier.number in mail["text"] and f"/dossiers/{dossier.id}" in mail["text"]
    assert "20 nieuwe documenten" in mail["text"] and "1 nieuw bericht" in mail["text"]
    for secret in ("Geheim", "stuk.pdf"):
        assert secret not in mail["text"] and secret not in mail["html"]
    assert session.scalar(select(Notification.id).where(Notification.sent_at.is_(None))) is None


def test_preferences_and_language_are_respected(session, firm, dossier):
    firm.client.memberships[0].notify_documents = False  # per organisation and module
    firm.client.locale = "en"
    publish_document(session, dossier=dossier, folder="documents", title="Akte", stored=PDF,
                     filename="akte.pdf", actor=firm.staff)  # fmt: skip
    assert digests_for(session, firm.client) == []
    send_message(session, dossier=dossier, author=firm.staff, subject="x", body="y")
    deliver_digests(session)
    [mail] = mails_to(session, firm.client)
    assert "1 new message in dossier" in mail["text"]


def test_a_later_batch_makes_a_second_mail(session, firm, dossier):
    send_message(session, dossier=dossier, author=firm.staff, subject="x", body="y")
    deliver_digests(session)
    # The next window: the notification is made later.
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)
    import casemodel.services.notifications as module

    original = module.utcnow
    module.utcnow = lambda: later
    try:
        send_message(session, dossier=dossier, author=firm.staff, subject="x", body="z")
    finally:
        module.utcnow = original
    assert len(digests_for(session, firm.client)) == 2
    deliver_digests(session)
    assert len(mails_to(session, firm.client)) == 2


def test_drafts_are_invisible_to_the_client_until_published(session, firm, dossier):
    from casemodel.services.documents import publish_draft

    draft = publish_document(session, dossier=dossier, folder="documents", title="Concept",
                             stored=PDF, filename="c.pdf", actor=None, draft=True,
                             step_key="draft")  # fmt: skip
    assert folder_counts(session, dossier.id, firm.client)["documents"].total == 0
    assert digests_for(session, firm.client) == []
    publish_draft(session, document=draft, actor=None)
    assert folder_counts(session, dossier.id, firm.client)["documents"].total == 1
    assert len(digests_for(session, firm.client)) == 1
    assert session.get(Document, draft.id).published_at is not None


def test_an_archive_upload_is_kept_audited_and_told_to_the_contact_person(session, firm):
    firm.organisation.contact_person_id = firm.staff.id
    session.flush()
    for name in ("jaaropgave.pdf", "bankafschrift.pdf"):
        archive_upload(session, organisation=firm.organisation, user=firm.client, stored=PDF,
                       filename=name)  # fmt: skip
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "archive.uploaded"))
    assert len(events.all()) == 2
    deliver_digests(session)
    [mail] = mails_to(session, firm.staff)
    assert "2 bestanden geüpload door cliënt C-a" in mail["text"]
    assert "jaaropgave" not in mail["text"]


def test_staged_files_left_behind_are_purged(session, firm, dossier):
    old = stage_file(session, dossier=dossier, user=firm.client, stored=PDF, filename="a.pdf")
    fresh = stage_file(session, dossier=dossier, user=firm.client, stored=PDF, filename="b.pdf")
    old.created_at = old.created_at - dt.timedelta(days=3)
    session.flush()
    assert purge_staged_files(session) == 1
    assert session.scalars(select(StagedFile.id)).all() == [fresh.id]
