"""The audit trail under concurrent writers: each chain stays one line, and cutting its end shows.

Real commits from separate connections, on a database of the test's own (both backends)."""

from __future__ import annotations

import threading
import time

import pytest
from alembic import command
from sqlalchemy import delete, func, insert, select

from casemodel import migrate
from casemodel.db import make_engine, make_session_factory, session_scope, utcnow
from casemodel.models import AuditEvent
from casemodel.services.audit import GENESIS, event_hash, record_event, verify_chain

WRITERS = 12


@pytest.fixture
def factory(own_session_factory):
    return own_session_factory


def append_at_once(factory, dossier_id=None) -> list[BaseException]:
    """WRITERS transactions that each read something, then append to the same chain at the same
    moment and do a little more work before they commit, as requests do."""
    barrier = threading.Barrier(WRITERS)
    errors: list[BaseException] = []

    def write(number: int) -> None:
        try:
            with session_scope(factory) as session:
                session.scalar(select(func.count()).select_from(AuditEvent))
                barrier.wait(timeout=30)
                record_event(session, action="auth.login", actor=None, dossier_id=dossier_id,
                             detail={"writer": number})  # fmt: skip
                time.sleep(0.01)
        except BaseException as error:  # noqa: BLE001 - reported by the test
            errors.append(error)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def test_concurrent_sign_ins_keep_the_global_chain_one_line(factory):
    assert append_at_once(factory) == []
    assert append_at_once(factory) == []
    with session_scope(factory) as session:
        events = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        assert len(events) == 2 * WRITERS
        assert len({event.prev_hash for event in events}) == len(events)  # no fork
        assert verify_chain(session, None)


def test_removing_the_newest_events_of_a_chain_shows(factory):
    with session_scope(factory) as session:
        for number in range(3):
            record_event(session, action="auth.login", actor=None, detail={"n": number})
    with session_scope(factory) as session:
        assert verify_chain(session, None)
        newest = session.scalar(select(func.max(AuditEvent.id)))
        session.execute(delete(AuditEvent).where(AuditEvent.id == newest))
    with session_scope(factory) as session:
        assert not verify_chain(session, None)


def test_chains_recorded_before_the_heads_existed_get_their_heads(own_database_url):
    config = migrate.alembic_config(own_database_url)
    command.upgrade(config, "6abbf5d8a373")  # the revision before audit_chain_heads
    engine = make_engine(own_database_url)
    try:
        with engine.begin() as connection:
            previous = GENESIS
            for number in range(3):  # the global chain as record_event used to write it
                row = dict(dossier_id=None, actor_id=None, action="auth.login", prev_hash=previous,
                           detail={"n": number}, created_at=utcnow())  # fmt: skip
                row["hash"] = previous = event_hash(AuditEvent(**row))
                connection.execute(insert(AuditEvent.__table__).values(**row))
        command.upgrade(config, "head")
        with session_scope(make_session_factory(engine)) as session:
            assert verify_chain(session, None)
            record_event(session, action="auth.login", actor=None, detail={"n": 3})
        with session_scope(make_session_factory(engine)) as session:
            assert verify_chain(session, None)
            assert session.scalar(select(func.count()).select_from(AuditEvent)) == 4
    finally:
        engine.dispose()


def test_a_user_the_trail_names_cannot_be_deleted(factory):
    """actor_id is part of the hash: nulling it on delete would break the chain."""
    from sqlalchemy.exc import IntegrityError

    from casemodel.models import User
    from casemodel.services.accounts import create_user

    with session_scope(factory) as session:
        user = create_user(session, email="oud@example.nl", name="Oud", password=None)
        record_event(session, action="account.created", actor=user)
        user_id = user.id
    with pytest.raises(IntegrityError), session_scope(factory) as session:
        session.execute(delete(User).where(User.id == user_id))
    with session_scope(factory) as session:
        assert session.get(User, user_id) is not None
        assert verify_chain(session, None)
