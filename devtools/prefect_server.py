"""`prefect server start` for the demo's Prefect on SQLite, with its writes taking turns.

    python -m devtools.prefect_server start --host 127.0.0.1 --port 4200

Why: two of the API's write paths, resuming a flow run and creating one from a deployment, begin
their SQLite transaction DEFERRED: they read, then write. When another connection commits in
between (another flow run's state, a log, an event), SQLite cannot upgrade the stale read
snapshot and fails the write at once with "database is locked", without waiting for its busy
timeout; the API answers 503 and the client retries after a back-off of about two seconds.
Prefect's own state changes already begin IMMEDIATE (they take the write lock first and wait
for it). Measured (bench/resume_latency.py --sqlite, 20 resumes while another dossier's run
was moving): 8-30 such errors per run with the stock server, whichever of Prefect's documented
settings were tried (services turned off, logs not sent to the API, slower worker polls); with
this, none (docs/DESIGN-notes.md, "Prefect on SQLite").

How: Prefect's documented way to configure its API's database, a `BaseDatabaseConfiguration`
handed to `prefect.server.database.dependencies.set_database_config` before the server starts.
The one given here is Prefect's own SQLite configuration whose `begin_transaction` always asks
for the write lock first. Nothing of Prefect is replaced: the stock `prefect server start`
then runs in this process with that configuration. On PostgreSQL (production, the tests) it
changes nothing; use the stock command there.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from prefect.server.database.configurations import AioSqliteConfiguration
from prefect.server.database.dependencies import set_database_config
from prefect.settings import get_current_settings


class ImmediateSqliteConfiguration(AioSqliteConfiguration):
    """Prefect's SQLite configuration, every transaction begun IMMEDIATE: writers queue for
    the lock within SQLite's busy timeout (60 s in Prefect) instead of failing."""

    @asynccontextmanager
    async def begin_transaction(self, session, with_for_update: bool = False) -> AsyncIterator:
        async with super().begin_transaction(session, with_for_update=True) as transaction:
            yield transaction


def configure() -> bool:
    """Give the API the IMMEDIATE configuration when its database is SQLite; whether it did."""
    url = get_current_settings().server.database.connection_url.get_secret_value()
    if not url.startswith("sqlite"):
        return False
    set_database_config(ImmediateSqliteConfiguration(connection_url=url))
    return True


def main() -> None:
    configure()
    from prefect.cli import app  # the `prefect` command's entry point; it reads sys.argv

    sys.argv = ["prefect", "server", *sys.argv[1:]]
    app()


if __name__ == "__main__":
    main()
