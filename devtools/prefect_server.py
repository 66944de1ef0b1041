"""`prefect server start`, with every SQLite transaction of the server begun IMMEDIATE.

    python -m devtools.prefect_server start --host 127.0.0.1 --port 4200

Why: Prefect's SQLite backend begins most transactions DEFERRED. A deferred transaction that
has read and then wants to write fails at once with "database is locked" when another
connection wrote in between (in WAL mode SQLite cannot upgrade a stale read snapshot, and its
busy timeout does not apply to that case). The API answers such a state transition with an
error, and the client retries after a back-off: a resume in the demo took 3-10 s, with the
server logging "database is locked". Begun IMMEDIATE, a transaction takes the write lock first
and waits for it within SQLite's busy timeout (60 s in Prefect) instead of failing, so writers
queue instead of colliding: the same resume takes about 0.9 s, with no lock errors
(bench/resume_latency.py --sqlite). A handful of demo dossiers never notice the serialised
writes. With PostgreSQL (production) nothing changes; use the stock `prefect server start`.

This leans on Prefect 3.8's `AioSqliteConfiguration.begin_transaction`; it refuses to start if
that is gone, rather than silently running with the lock errors back.
"""

from __future__ import annotations

import sys
from contextlib import asynccontextmanager

from prefect.server.database import configurations


def begin_every_sqlite_transaction_immediate() -> None:
    sqlite = configurations.AioSqliteConfiguration
    deferred_or_immediate = sqlite.__dict__.get("begin_transaction")
    if deferred_or_immediate is None:
        raise RuntimeError(
            "Prefect's AioSqliteConfiguration.begin_transaction is gone: re-check "
            "devtools/prefect_server.py against this Prefect version"
        )

    @asynccontextmanager
    async def begin_transaction(self, session, with_for_update: bool = False):
        async with deferred_or_immediate(self, session, with_for_update=True) as transaction:
            yield transaction

    sqlite.begin_transaction = begin_transaction


def main() -> None:
    begin_every_sqlite_transaction_immediate()
    from prefect.cli._app import app

    sys.argv = ["prefect", "server", *sys.argv[1:]]
    app()


if __name__ == "__main__":
    main()
