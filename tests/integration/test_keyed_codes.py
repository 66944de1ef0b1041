"""Short codes kept in the database are keyed with a server secret (issue 16, section 5): a
database row alone does not give the code back, the key from the environment does, and the
migration that brought the key kept the recovery codes already stored working."""

from __future__ import annotations

import hashlib

import pytest
from alembic import command
from sqlalchemy import insert, select, text

from casemodel.db import make_engine, make_session_factory, utcnow
from casemodel.migrate import alembic_config
from casemodel.models import OneTimeCode, OutboxMessage, RecoveryCode, User
from casemodel.services.second_factor import (
    CodeCheck,
    check_sms_code,
    regenerate_recovery_codes,
    send_sms_code,
    use_recovery_code,
)

BEFORE_THE_KEY = "60a74d343996"


@pytest.fixture
def code_key(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DOSSIERFLOW_CODE_KEY", "a-long-random-server-secret-for-the-tests")
    return "a-long-random-server-secret-for-the-tests"


def sent_code(session, user) -> tuple[OneTimeCode, str]:
    row = send_sms_code(session, user=user, purpose="login", to="+31612340001")
    text = session.scalars(select(OutboxMessage.payload["text"].as_string())
                           .order_by(OutboxMessage.id.desc())).first()  # fmt: skip
    return row, text.split(" is ")[1][:6]


def test_an_sms_code_cannot_be_found_from_its_row_without_the_key(
    session, firm, code_key, monkeypatch
):
    row, code = sent_code(session, firm.client)
    # What the row held before: a million tries of sha256(salt:code) find it. Not any more.
    unkeyed = {hashlib.sha256(f"{row.salt}:{n:06d}".encode()).hexdigest() for n in range(10**6)}
    assert row.code_hash not in unkeyed
    assert check_sms_code(session, user=firm.client, purpose="login", code=code) is CodeCheck.OK
    # Another key (a stolen database without the portal's environment) checks nothing.
    row, code = sent_code(session, firm.staff)
    monkeypatch.setenv("DOSSIERFLOW_CODE_KEY", "another-key")
    assert check_sms_code(session, user=firm.staff, purpose="login", code=code) is CodeCheck.WRONG


def test_recovery_codes_are_keyed_too(session, firm, code_key, monkeypatch):
    codes = regenerate_recovery_codes(session, user=firm.client)
    stored = set(session.scalars(select(RecoveryCode.code_hash)))
    plain = {hashlib.sha256(c.replace("-", "").encode()).hexdigest() for c in codes}
    assert not stored & plain
    monkeypatch.setenv("DOSSIERFLOW_CODE_KEY", "another-key")
    assert use_recovery_code(session, user=firm.client, code=codes[0]) is CodeCheck.WRONG
    monkeypatch.setenv("DOSSIERFLOW_CODE_KEY", code_key)
    assert use_recovery_code(session, user=firm.client, code=codes[0]) is CodeCheck.OK


def test_the_migration_keeps_stored_recovery_codes_and_ends_open_sms_codes(
    own_database_url, code_key
):
    command.upgrade(alembic_config(own_database_url), BEFORE_THE_KEY)
    engine = make_engine(own_database_url)
    now = utcnow()
    with engine.begin() as connection:
        # The users table as it was at that revision (with the notification columns that
        # later moved to the memberships), so not through today's model.
        user_id = connection.execute(
            text("INSERT INTO users (email, name, role, locale, is_active, failed_logins, "
                 "notify_documents, notify_questionnaires, notify_messages, created_at) VALUES "
                 "('oud@example.nl', 'Oud', 'client', 'nl', true, 0, true, true, true, :now) "
                 "RETURNING id"),
            {"now": now},
        ).scalar_one()  # fmt: skip
        # As the code before the key stored them.
        connection.execute(insert(RecoveryCode).values(
            user_id=user_id, created_at=now,
            code_hash=hashlib.sha256(b"abcde23456").hexdigest(),
        ))  # fmt: skip
        connection.execute(insert(OneTimeCode).values(
            user_id=user_id, purpose="login", code_hash="0" * 64, salt="s", sent_to="+316",
            context={}, created_at=now, expires_at=now, attempts=0,
        ))  # fmt: skip
    command.upgrade(alembic_config(own_database_url), "head")
    with make_session_factory(engine)() as session:
        user = session.get(User, user_id)
        assert session.scalar(select(OneTimeCode.used_at)) is not None
        assert use_recovery_code(session, user=user, code="ABCDE-23456") is CodeCheck.OK
        session.commit()
    engine.dispose()
