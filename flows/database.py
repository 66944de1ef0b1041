"""The portal database as seen from flow runs: one engine per process, one transaction per
task.

The dossier executor's forkserver (flows/executor.py) imports this module with
DOSSIERFLOW_FORKSERVER set: it then creates the engine and connects once, so that creating
the engine and initialising the dialect (the first query's fixed cost: 0.2-0.3 s) happen once
there instead of in every flow run. A child calls after_fork() first: SQLAlchemy's pattern for
an engine inherited across fork (`dispose(close=False)`: the forkserver's connections, if any,
are left alone), and it opens its own connection in the background while Prefect starts the run.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

from sqlalchemy.orm import Session, sessionmaker

from casemodel import config
from casemodel.db import make_engine, make_session_factory, session_scope


@cache
def session_factory() -> sessionmaker[Session]:
    return make_session_factory(make_engine())


@contextmanager
def transaction() -> Iterator[Session]:
    with session_scope(session_factory()) as session:
        yield session


def _preload() -> None:
    """In the forkserver: the engine, its dialect initialised by one connection, then no
    connection left open."""
    try:
        engine = session_factory().kw["bind"]
        with engine.connect():
            pass
        engine.dispose()
    except Exception:  # the database is not reachable yet: each child will connect itself
        session_factory.cache_clear()


def after_fork() -> None:
    """In a flow run's child, after its environment is set: keep the forkserver's engine if it
    is for this run's database, without the forkserver's connections; start connecting."""
    if session_factory.cache_info().currsize == 0:
        return
    engine = session_factory().kw["bind"]
    if engine.url.render_as_string(hide_password=False) != config.database_url():
        session_factory.cache_clear()
        return
    engine.dispose(close=False)

    def connect() -> None:
        try:
            with engine.connect():
                pass
        except Exception:
            pass  # the flow's first query will say what is wrong

    threading.Thread(target=connect, name="portal-db-connect", daemon=True).start()


if os.environ.get("DOSSIERFLOW_FORKSERVER") == "1":
    _preload()
