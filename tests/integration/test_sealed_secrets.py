"""The authenticators' TOTP secrets are sealed at rest (issue 16's rest): the row holds no
secret, the key from the environment opens it, a key rotation keeps every authenticator
working, the migration seals the secrets stored before it, and a deployment without the key
refuses to start."""

from __future__ import annotations

import pyotp
import pytest
from alembic import command
from cryptography.fernet import Fernet
from sqlalchemy import select, text

from casemodel.db import make_engine, make_session_factory, utcnow
from casemodel.migrate import alembic_config
from casemodel.models import User, UserSession
from casemodel.sealing import SealBroken
from casemodel.services.second_factor import (
    CodeCheck,
    check_totp,
    reseal_totp_secrets,
    totp_secret_being_set_up,
)
from casemodel.services.sessions import end_session, start_session

BEFORE_SEALING = "a4c1e7d90b52"
OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


@pytest.fixture
def totp_key(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.setenv("DOSSIERFLOW_TOTP_KEY", OLD)
    return monkeypatch


def stored(session, user: User) -> str:
    session.flush()
    return session.scalar(select(User.totp_secret_sealed).where(User.id == user.id))


def test_the_row_holds_no_secret_and_the_key_opens_it(session, firm, totp_key):
    secret = pyotp.random_base32()
    firm.client.second_factor, firm.client.totp_secret = "totp", secret
    row = stored(session, firm.client)
    assert secret not in row and Fernet(OLD).decrypt(row.encode()).decode() == secret
    session.expire(firm.client)
    assert firm.client.totp_secret == secret
    code = pyotp.TOTP(secret).now()
    assert check_totp(session, user=firm.client, code=code) is CodeCheck.OK
    # A copy of the database without the portal's environment: nothing to make codes with.
    totp_key.setenv("DOSSIERFLOW_TOTP_KEY", NEW)
    with pytest.raises(SealBroken, match="DOSSIERFLOW_TOTP_KEY"):
        firm.client.totp_secret  # noqa: B018


def test_a_key_rotation_keeps_every_authenticator(session, firm, totp_key):
    secret = pyotp.random_base32()
    firm.client.second_factor, firm.client.totp_secret = "totp", secret
    firm.staff.totp_secret = None
    totp_key.setenv("DOSSIERFLOW_TOTP_KEY", f"{NEW},{OLD}")  # the new key first, the old kept
    assert firm.client.totp_secret == secret
    assert reseal_totp_secrets(session) == 1
    totp_key.setenv("DOSSIERFLOW_TOTP_KEY", NEW)  # the old key removed
    session.expire(firm.client)
    assert firm.client.totp_secret == secret
    assert Fernet(NEW).decrypt(stored(session, firm.client).encode()).decode() == secret


def test_a_key_rotation_keeps_an_authenticator_being_set_up(session, firm, totp_key):
    token = start_session(session, user=firm.client, stage="full", ip=None, user_agent=None)
    row = session.scalar(select(UserSession).where(UserSession.user_id == firm.client.id))
    secret = totp_secret_being_set_up(session, row)
    assert totp_secret_being_set_up(session, row) == secret  # the same one, asked again
    totp_key.setenv("DOSSIERFLOW_TOTP_KEY", f"{NEW},{OLD}")
    reseal_totp_secrets(session)
    totp_key.setenv("DOSSIERFLOW_TOTP_KEY", NEW)
    assert Fernet(NEW).decrypt(row.pending_totp_sealed.encode()).decode() == secret
    end_session(session, token, reason="logout")
    assert row.pending_totp_sealed is None


def test_resealing_with_a_key_that_opens_nothing_changes_nothing(session, firm, totp_key):
    firm.client.totp_secret = pyotp.random_base32()
    before = stored(session, firm.client)
    totp_key.setenv("DOSSIERFLOW_TOTP_KEY", NEW)
    with pytest.raises(SealBroken):
        reseal_totp_secrets(session)
    assert firm.client.totp_secret_sealed == before


def test_a_bad_key_is_named(totp_key):
    from casemodel.config import totp_keys

    totp_key.setenv("DOSSIERFLOW_TOTP_KEY", f"{OLD},not-a-key")
    with pytest.raises(ValueError, match="key 2 is not a Fernet key"):
        totp_keys()


def test_the_migration_seals_the_secrets_stored_before_it(own_database_url, totp_key):
    command.upgrade(alembic_config(own_database_url), BEFORE_SEALING)
    engine = make_engine(own_database_url)
    secret = pyotp.random_base32()
    with engine.begin() as connection:
        user_id = connection.execute(
            text("INSERT INTO users (email, name, role, locale, is_active, failed_logins, "
                 "second_factor, totp_secret, created_at) VALUES ('oud@example.nl', 'Oud', "
                 "'client', 'nl', true, 0, 'totp', :secret, :now) RETURNING id"),
            {"secret": secret, "now": utcnow()},
        ).scalar_one()  # fmt: skip
    command.upgrade(alembic_config(own_database_url), "head")
    with make_session_factory(engine)() as session:
        row = session.scalar(select(User.totp_secret_sealed).where(User.id == user_id))
        assert secret not in row
        assert session.get(User, user_id).totp_secret == secret
    command.downgrade(alembic_config(own_database_url), BEFORE_SEALING)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT totp_secret FROM users")).scalar_one() == secret
    engine.dispose()


def test_the_cli_reseals_and_says_how_many(web_app, totp_key):
    result = web_app.test_cli_runner().invoke(args=["secrets", "reseal"])
    assert result.exit_code == 0, result.output
    assert "sealed with the first key" in result.output
