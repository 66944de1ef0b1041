"""Flask extensions, created unbound and initialised in create_app()."""

from __future__ import annotations

import time
from collections.abc import Callable

from flask import Flask, current_app, g
from flask_babel import Babel
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf import CSRFProtect
from sqlalchemy.orm import Session, sessionmaker

from casemodel.db import make_engine, make_session_factory
from casemodel.filestore import FileStore
from casemodel.malware import ClamdScanner


class Database:
    """One SQLAlchemy session per request, committed once at the end of a request that did not
    fail (see webapp/__init__.py), with callbacks that run only after that commit."""

    def __init__(self) -> None:
        self.engine = None
        self.session_factory: sessionmaker[Session] | None = None

    def init_app(self, app: Flask) -> None:
        self.engine = make_engine(app.config["DATABASE_URL"])
        self.session_factory = make_session_factory(self.engine)
        app.extensions["database"] = self
        app.teardown_appcontext(self._remove)

    @property
    def session(self) -> Session:
        if "db_session" not in g:
            g.db_session = self.session_factory()
        return g.db_session

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run callback once the request's transaction has committed (e.g. nudge the outbox)."""
        g.setdefault("after_commit", []).append(callback)

    def commit(self) -> None:
        session = g.get("db_session")
        if session is not None:
            session.commit()
        for callback in g.pop("after_commit", []):
            callback()

    def rollback(self) -> None:
        """Undo the request's work so far (an error page must not render on a failed session)."""
        session = g.get("db_session")
        if session is not None:
            session.rollback()
        g.pop("after_commit", None)

    def _remove(self, exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            if exc is not None:
                session.rollback()
            session.close()


def answer_no_sooner_than(seconds: float) -> None:
    """Let this request's response leave no sooner than `seconds` from now, counted to after
    its commit (webapp/__init__.py): for answers that must not tell by their timing whether an
    account exists (a link for a known address costs a token, a mail and a delivery)."""
    g.answer_not_before = time.monotonic() + seconds


def wait_for_the_answer_time() -> None:
    wait = g.pop("answer_not_before", 0.0) - time.monotonic()
    if wait > 0:
        time.sleep(wait)


db = Database()
babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()
#: Per client address; storage from RATELIMIT_STORAGE_URI (memory:// for one process, redis://
#: for several).
limiter = Limiter(key_func=get_remote_address)


def file_store() -> FileStore:
    """The app's file store (FILES_PATH: content-addressed, outside the web root), with the
    malware scanner when one is configured (CLAMD_ADDRESS)."""
    clamd = current_app.config.get("CLAMD_ADDRESS")
    return FileStore(current_app.config["FILES_PATH"],
                     scanner=ClamdScanner(clamd) if clamd else None)  # fmt: skip


#: Brotli/zstd/gzip for the static stylesheets and scripts; not for pages or JSON, which carry
#: form tokens next to what a person typed (BREACH): see create_app's COMPRESS_MIMETYPES.
compress = Compress()
