"""Limits on what one account and one organisation may create in an hour (services.quotas), on
SQLite and PostgreSQL, with a frozen clock: under, at and over each limit, the sliding hour,
from when a refused person can go on, all-or-nothing batches, the office told once, and two
transactions at the same moment."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from sqlalchemy import func, select

from casemodel.filestore import FileStore, StoredFile
from casemodel.models import (
    ArchivedFile,
    AuditEvent,
    Dossier,
    Message,
    QuotaUsage,
    StagedFile,
    User,
)
from casemodel.services.accounts import add_membership, create_user
from casemodel.services.dossiers import open_dossier
from casemodel.services.messages import send_message
from casemodel.services.quotas import QuotaExceeded, charge, limit_for
from casemodel.services.stored_files import store_upload
from casemodel.services.uploads import archive_uploads, stage_file
from tests.concurrency import two_at_once
from tests.fixtures.domain import make_firm

#: A quarter past ten, UTC: the clock hour began at 10:00.
MORNING = dt.datetime(2026, 12, 1, 10, 15, tzinfo=dt.UTC)


def pdf(size: int = 1234) -> StoredFile:
    return StoredFile(sha256="a" * 64, size=size, content_type="application/pdf")


@pytest.fixture
def clock():
    with time_machine.travel(MORNING, tick=False) as traveller:
        yield traveller


@pytest.fixture
def dossier(session, firm, transfer_template):
    return open_dossier(
        session, template=transfer_template, organisation_id=firm.organisation.id,
        description="Dorpsstraat 1", actor=firm.staff,
    )  # fmt: skip


def send(session, dossier, author, n: int = 1):
    for number in range(n):
        send_message(session, dossier=dossier, author=author, subject=f"Vraag {number}",
                     body="Wanneer is de afspraak?")  # fmt: skip


def refusal_events(session) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == "quota.exceeded")))


def test_the_defaults_are_settings(limits):
    assert limit_for("messages").per_user == 30
    limits(messages_per_user=5, messages_per_organisation=0)
    assert limit_for("messages").per_user == 5
    assert limit_for("messages").per_organisation is None  # 0: no limit


def test_messages_under_at_and_over_the_limit_and_from_when_again(
    session, firm, dossier, limits, clock
):
    limits(messages_per_user=3)
    send(session, dossier, firm.client, 2)  # under
    send(session, dossier, firm.client)  # at
    with pytest.raises(QuotaExceeded) as refused:  # over
        send(session, dossier, firm.client)
    assert (refused.value.limit, refused.value.scope, refused.value.allowed) == (
        "messages", "user", 3
    )  # fmt: skip
    # Three in this clock hour: the estimate falls below three just after the hour turns.
    assert refused.value.retry_at == dt.datetime(2026, 12, 1, 11, 0, 1, tzinfo=dt.UTC)
    count = session.scalar(select(func.count()).select_from(Message))
    assert count == 3  # the refused one was not written
    clock.move_to(dt.datetime(2026, 12, 1, 10, 59, 59, tzinfo=dt.UTC))
    with pytest.raises(QuotaExceeded):
        send(session, dossier, firm.client)
    clock.move_to(refused.value.retry_at)
    send(session, dossier, firm.client)  # the person can go on when they were told


def test_the_hour_slides_no_burst_of_twice_the_limit_across_its_turn(
    session, firm, dossier, limits, clock
):
    limits(messages_per_user=3)
    clock.move_to(dt.datetime(2026, 12, 1, 10, 59, tzinfo=dt.UTC))
    send(session, dossier, firm.client, 3)
    # Half past eleven: the previous hour's three weigh half. 1.5 and 2.5 are below three,
    # so two more go; 3.5 is not.
    clock.move_to(dt.datetime(2026, 12, 1, 11, 30, tzinfo=dt.UTC))
    send(session, dossier, firm.client, 2)
    with pytest.raises(QuotaExceeded) as refused:
        send(session, dossier, firm.client)
    # 3 * (1 - t) + 2 < 3 once more than two thirds of the hour have passed: 11:40.
    assert refused.value.retry_at == dt.datetime(2026, 12, 1, 11, 40, 1, tzinfo=dt.UTC)
    clock.move_to(refused.value.retry_at)
    send(session, dossier, firm.client)


def test_an_organisation_counts_what_all_its_people_send(
    session, firm, dossier, limits, clock, transfer_template
):
    limits(messages_per_user=10, messages_per_organisation=3)
    colleague = create_user(session, email="collega@example.nl", name="Collega")
    add_membership(session, user=colleague, organisation=firm.organisation)
    send(session, dossier, firm.client, 2)
    send(session, dossier, colleague)
    with pytest.raises(QuotaExceeded) as refused:
        send(session, dossier, colleague)
    assert refused.value.scope == "organisation"
    # Another office's client is not held up by it.
    other = make_firm(session, "z")
    elsewhere = open_dossier(session, template=transfer_template, description="Elders 2",
                             organisation_id=other.organisation.id, actor=other.staff)  # fmt: skip
    send(session, elsewhere, other.client)


def test_staff_are_not_held_to_the_clients_limits(session, firm, dossier, limits, clock):
    limits(messages_per_user=1, messages_per_organisation=1)
    send(session, dossier, firm.staff, 3)
    assert session.scalar(select(func.count()).select_from(QuotaUsage)) == 0


def test_the_office_is_told_once_an_hour_not_at_every_knock(
    session, firm, dossier, limits, clock
):
    limits(messages_per_user=1)
    send(session, dossier, firm.client)
    for _ in range(5):
        with pytest.raises(QuotaExceeded):
            send(session, dossier, firm.client)
    [event] = refusal_events(session)
    assert event.actor_id == firm.client.id
    assert event.detail["limit"] == "messages" and event.detail["scope"] == "user"
    assert event.detail["organisation_id"] == firm.organisation.id
    assert event.detail["until"] == "2026-12-01T11:00:01+00:00"
    clock.shift(dt.timedelta(minutes=61))
    send(session, dossier, firm.client)
    with pytest.raises(QuotaExceeded):
        send(session, dossier, firm.client)
    assert len(refusal_events(session)) == 2


def test_uploads_count_files_and_bytes(session, firm, dossier, limits, clock):
    limits(uploads_per_user=3, uploads_mb_per_user=1)
    half_mb = 512 * 1024
    stage_file(session, dossier=dossier, user=firm.client, stored=pdf(half_mb), filename="a.pdf")
    stage_file(session, dossier=dossier, user=firm.client, stored=pdf(half_mb), filename="b.pdf")
    # One MB reached: no room left, whatever the next file's size.
    with pytest.raises(QuotaExceeded) as refused:
        stage_file(session, dossier=dossier, user=firm.client, stored=pdf(10), filename="c.pdf")
    assert (refused.value.unit, refused.value.allowed) == ("mb", 1)
    assert session.scalar(select(func.count()).select_from(StagedFile)) == 2
    clock.shift(dt.timedelta(hours=2))
    for name in ("d.pdf", "e.pdf", "f.pdf"):
        stage_file(session, dossier=dossier, user=firm.client, stored=pdf(), filename=name)
    with pytest.raises(QuotaExceeded) as refused:
        stage_file(session, dossier=dossier, user=firm.client, stored=pdf(), filename="g.pdf")
    assert refused.value.unit == "count"


def test_a_batch_goes_whole_or_not_at_all(session, firm, limits, clock):
    limits(uploads_per_user=3)
    files = [(pdf(), f"{n}.pdf") for n in range(4)]
    with pytest.raises(QuotaExceeded):
        archive_uploads(session, organisation=firm.organisation, user=firm.client, files=files)
    assert session.scalar(select(func.count()).select_from(ArchivedFile)) == 0
    archive_uploads(session, organisation=firm.organisation, user=firm.client, files=files[:3])
    assert session.scalar(select(func.count()).select_from(ArchivedFile)) == 3


def test_more_at_once_than_an_hour_allows_is_never_accepted(session, firm, limits, clock):
    limits(uploads_per_user=3)
    files = [(pdf(), f"{n}.pdf") for n in range(5)]
    with pytest.raises(QuotaExceeded) as refused:
        archive_uploads(session, organisation=firm.organisation, user=firm.client, files=files)
    assert refused.value.retry_at is None


def test_an_upload_over_the_limit_is_refused_before_its_bytes_are_read(
    session, firm, dossier, limits, clock, tmp_path
):
    limits(uploads_per_user=1)
    stage_file(session, dossier=dossier, user=firm.client, stored=pdf(), filename="a.pdf")
    stream = io.BytesIO(b"%PDF-1.7 ...")
    with pytest.raises(QuotaExceeded):
        store_upload(session, FileStore(tmp_path), stream, max_bytes=1000, actor=firm.client,
                     filename="b.pdf")  # fmt: skip
    assert stream.tell() == 0
    assert len(refusal_events(session)) == 1


def test_two_requests_at_the_same_moment_both_count(
    own_session_factory, limits, transfer_template
):
    limits(messages_per_user=2)
    with own_session_factory() as session:
        firm = make_firm(session, "q")
        dossier = open_dossier(session, template=transfer_template, description="Kade 1",
                               organisation_id=firm.organisation.id, actor=firm.staff)  # fmt: skip
        send(session, dossier, firm.client)  # the count's row exists: the two race on it
        session.commit()
        client_id, dossier_id = firm.client.id, dossier.id

    def send_one(session):
        try:
            send(session, session.get(Dossier, dossier_id), session.get(User, client_id))
        except QuotaExceeded:
            return "refused"
        return "sent"

    outcomes = two_at_once(own_session_factory, send_one)
    assert sorted(outcomes) == ["refused", "sent"]
    with own_session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Message)) == 2


def test_charge_is_one_call_for_the_features_to_come(session, firm, limits, clock):
    limits(approval_codes_per_user=2)
    for _ in range(2):
        charge(session, "approval_codes", actor=firm.client, organisation_id=firm.organisation.id)
    with pytest.raises(QuotaExceeded) as refused:
        charge(session, "approval_codes", actor=firm.client, organisation_id=firm.organisation.id)
    assert refused.value.limit == "approval_codes"
