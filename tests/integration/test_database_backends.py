"""The schema and the column types behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import itertools
import zoneinfo

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, Engine, inspect, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from casemodel.db import Base
from casemodel.models import Dossier, Office, Organisation

_client_numbers = itertools.count(1)


def add_dossier(session: Session, number: str, office: Office | None = None, **values) -> Dossier:
    office = office or Office(name="Notariaat Van Dam", kind="notary")
    organisation = Organisation(
        office=office, client_number=f"K{next(_client_numbers):05d}", name="Jansen", kind="person"
    )
    dossier = Dossier(
        number=number,
        description="Levering Dorpsstraat 1",
        office=office,
        organisation=organisation,
        template_key="levering-woning",
        template_version=1,
        **values,
    )
    session.add(dossier)
    session.flush()
    return dossier


def test_migration_creates_every_table(connection: Connection):
    tables = set(inspect(connection).get_table_names())

    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_migrations_match_the_models(connection: Connection):
    differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)

    assert differences == []


def test_dossier_number_is_unique_within_its_office(session: Session):
    first = add_dossier(session, "2026-00001")
    add_dossier(session, "2026-00001")  # another office counts on its own

    with pytest.raises(IntegrityError, match="number|uq_dossiers_office_id"):
        add_dossier(session, "2026-00001", office=first.office)


def test_dossier_status_outside_the_list_is_refused(session: Session):
    with pytest.raises(IntegrityError, match="ck_dossiers_status|CHECK constraint"):
        add_dossier(session, "2026-00002", status="bogus")


def test_failed_flush_leaves_the_session_usable(session: Session):
    office = add_dossier(session, "2026-00003").office
    session.commit()
    with pytest.raises(IntegrityError):
        add_dossier(session, "2026-00003", office=office)
    session.rollback()

    assert session.scalar(select(Dossier.number)) == "2026-00003"


def test_timestamp_comes_back_aware_in_utc(session: Session, connection: Connection):
    if connection.dialect.name == "postgresql":
        # PostgreSQL hands timestamptz back in the session's time zone; be an office's server.
        connection.execute(text("SET LOCAL TIME ZONE 'Europe/Amsterdam'"))
    signed = dt.datetime(2026, 7, 1, 14, 30, tzinfo=zoneinfo.ZoneInfo("Europe/Amsterdam"))
    dossier = add_dossier(session, "2026-00004", created_at=signed)
    session.expire_all()

    created_at = session.get(Dossier, dossier.id).created_at

    assert created_at == signed
    assert created_at.utcoffset() == dt.timedelta(0)
    assert created_at.hour == 12


def test_naive_timestamp_is_refused(session: Session):
    with pytest.raises(Exception, match="naive datetime"):
        add_dossier(session, "2026-00005", created_at=dt.datetime(2026, 7, 1, 14, 30))


def test_commit_in_a_test_stays_inside_the_test(session: Session, engine: Engine):
    add_dossier(session, "2026-00006")
    session.commit()

    with engine.connect() as elsewhere:
        seen = elsewhere.scalar(select(Dossier.id).where(Dossier.number == "2026-00006"))

    assert seen is None
