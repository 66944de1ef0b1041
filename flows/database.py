"""The portal database as seen from flow runs: one engine per process, one transaction per
task."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

from sqlalchemy.orm import Session, sessionmaker

from casemodel.db import make_engine, make_session_factory, session_scope


@cache
def session_factory() -> sessionmaker[Session]:
    return make_session_factory(make_engine())


@contextmanager
def transaction() -> Iterator[Session]:
    with session_scope(session_factory()) as session:
        yield session
