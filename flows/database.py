"""The portal database as seen from flow runs: one engine per process, one transaction per
task.

The dossier worker's forkserver (flows/worker.py, through flows/preload.py) calls prepare():
it creates the engine and connects once, so that creating the engine and initialising the
dialect (the first query's fixed cost: 0.2-0.3 s) happen once there instead of in every flow
run. A child calls after_fork() first: SQLAlchemy's pattern for
an engine inherited across fork (`dispose(close=False)`: the forkserver's connections, if any,
are left alone), and it opens its own connection in the background while Prefect starts the run.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

from sqlalchemy.orm import Session, configure_mappers, sessionmaker

from casemodel import config
from casemodel.db import make_engine, make_session_factory, session_scope
from casemodel.queries.dossiers import step_plan
from casemodel.services.errors import NotFound
from casemodel.services.steps import get_step


@cache
def session_factory() -> sessionmaker[Session]:
    return make_session_factory(make_engine())


@contextmanager
def transaction() -> Iterator[Session]:
    with session_scope(session_factory()) as session:
        yield session


def prepare() -> None:
    """In the forkserver: the mappers configured (0.3 s, else paid by every run's first
    query), the engine with its dialect initialised by one connection, and the statements every
    resumed run asks first compiled into the engine's cache; then no connection left open."""
    configure_mappers()
    try:
        engine = session_factory().kw["bind"]
        with transaction() as session:
            _ask_what_a_resumed_run_asks(session)
        engine.dispose()
    except Exception:  # the database is not reachable yet: each child will connect itself
        session_factory.cache_clear()


def _ask_what_a_resumed_run_asks(session: Session) -> None:
    session.execute(step_plan(-1)).all()
    try:
        get_step(session, dossier_id=-1, step_key="-")
    except NotFound:
        pass  # the statement is compiled, which is all this is for


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
