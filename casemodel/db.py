"""The declarative base, shared column types and the engine/session factory."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from sqlalchemy import JSON, DateTime, MetaData, create_engine, event, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, mapped_column, sessionmaker
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql.expression import ClauseElement
from sqlalchemy.types import TypeDecorator

from casemodel import config


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC timestamp on every backend (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use casemodel.db.utcnow()")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        # PostgreSQL answers in the server's time zone (an office's may be Europe/Amsterdam).
        return value.astimezone(dt.UTC)


def utcnow() -> dt.datetime:
    """Now, in UTC, timezone-aware."""
    return dt.datetime.now(dt.UTC)


intpk = Annotated[int, mapped_column(primary_key=True)]
utc_timestamp = Annotated[dt.datetime, mapped_column(UTCDateTime, default=utcnow)]

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        dt.datetime: UTCDateTime,
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


def make_engine(url: str | None = None, **kwargs) -> Engine:
    """An engine for the portal database; SQLite gets WAL and a busy timeout, because the portal,
    the outbox relay and the flow runs write to it from separate processes."""
    url = url or config.database_url()
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"timeout": 30})
    else:
        kwargs.setdefault("pool_pre_ping", True)
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

    return engine


def claim_row(session: Session, row, *conditions, **values) -> bool:
    """Set values on the row if the conditions still hold, in one UPDATE; whether it did (the
    loaded object then has the values too; a value that is an SQL expression, such as
    `Model.revision + 1`, is read again when next used).

    For anything that may happen once (a code or link used up, a task done): two requests that
    both read the row as unused cannot both win, as they could by reading and then writing."""
    model = row.__class__  # not type(): the row may be behind a proxy (flask_login.current_user)
    result = session.execute(
        update(model)
        .where(model.id == row.id, *conditions)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    for name, value in values.items():
        if isinstance(value, ClauseElement):  # e.g. revision + 1: read again when next used
            session.expire(row, [name])
        else:
            set_committed_value(row, name, value)
    return True


def increment(session: Session, row, column: str, *conditions) -> int | None:
    """Add one to a counter of the row in SQL (column = column + 1), so that parallel requests
    all count; the new value. The loaded attribute is expired.

    With conditions, only if they still hold (None when they did not): a try that must be
    counted before it is judged, and only while tries are left, is one statement, so however
    many requests are in flight, no more than the limit get past it."""
    model = row.__class__  # not type(): the row may be behind a proxy (flask_login.current_user)
    attribute = getattr(model, column)
    value = session.execute(
        update(model)
        .where(model.id == row.id, *conditions)
        .values({attribute: attribute + 1})
        .returning(attribute)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    session.expire(row, [column])
    return value


def insert_for(session: Session, model: type):
    """An INSERT for the session's database that knows `.on_conflict_do_nothing()` (PostgreSQL
    and SQLite both have it): for rows two transactions may add at the same moment."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(model)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on error. For code outside a request
    (flow tasks, CLI, the outbox relay)."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
