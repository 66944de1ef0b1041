"""Alembic environment: migrations run against the URL given by casemodel.migrate."""

from alembic import context
from sqlalchemy import pool

from casemodel import models  # noqa: F401  (fills the metadata)
from casemodel.db import Base, make_engine

config = context.config
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url"), poolclass=pool.NullPool)
    with engine.connect() as connection:
        _run(connection)


def _run(connection) -> None:
    # Batch mode lets ALTER TABLE work on SQLite as well as PostgreSQL.
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # On SQLite batch mode rebuilds a table: copy, DROP TABLE, rename. With foreign keys
        # enforced, DROP TABLE first deletes every row, and ON DELETE CASCADE takes the rows of
        # other tables that refer to them along (rebuilding `users` emptied `memberships`).
        # Alembic's batch documentation: the pragma must be off while batch runs. It cannot
        # change inside a transaction, hence before it, and the check after it.
        _set_foreign_keys(connection, "OFF")
    try:
        with context.begin_transaction():
            context.run_migrations()
        if sqlite:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
            if broken:
                raise RuntimeError(f"the migration left rows that refer to nothing: {broken}")
    finally:
        if sqlite:
            _set_foreign_keys(connection, "ON")


def _set_foreign_keys(connection, value: str) -> None:
    connection.exec_driver_sql(f"PRAGMA foreign_keys={value}")
    connection.commit()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
