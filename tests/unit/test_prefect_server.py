"""The demo's Prefect on SQLite (devtools/prefect_server.py): configured through Prefect's own
injection point, every transaction takes SQLite's write lock when it begins. Fails loudly if a
Prefect upgrade changes either."""

from __future__ import annotations

import sqlite3

import anyio
import pytest
from prefect.server.database.dependencies import provide_database_interface, set_database_config
from prefect.settings import PREFECT_SERVER_DATABASE_CONNECTION_URL, temporary_settings
from sqlalchemy import text

from devtools.prefect_server import ImmediateSqliteConfiguration, configure


def test_a_transaction_the_api_begins_plainly_holds_the_write_lock_at_once(tmp_path):
    path = tmp_path / "prefect.db"
    config = ImmediateSqliteConfiguration(connection_url=f"sqlite+aiosqlite:///{path}")

    async def check() -> None:
        engine = await config.engine()
        try:
            session = await config.session(engine)
            async with session:
                # As the resume endpoint begins: no with_for_update, a read first.
                async with config.begin_transaction(session):
                    await session.execute(text("SELECT 1"))
                    other = sqlite3.connect(path, timeout=0)
                    try:
                        with pytest.raises(sqlite3.OperationalError, match="locked"):
                            other.execute("BEGIN IMMEDIATE")
                    finally:
                        other.close()
        finally:
            await engine.dispose()

    anyio.run(check)


def test_configure_hands_the_api_the_immediate_configuration_on_sqlite_only(tmp_path):
    try:
        url = f"sqlite+aiosqlite:///{tmp_path / 'prefect.db'}"
        with temporary_settings(updates={PREFECT_SERVER_DATABASE_CONNECTION_URL: url}):
            assert configure() is True
            assert isinstance(provide_database_interface().database_config,
                              ImmediateSqliteConfiguration)  # fmt: skip
        set_database_config(None)
        postgres = "postgresql+asyncpg://prefect@127.0.0.1:9/prefect"
        with temporary_settings(updates={PREFECT_SERVER_DATABASE_CONNECTION_URL: postgres}):
            assert configure() is False
    finally:
        set_database_config(None)
