"""Delivering the outbox right after a request's commit, so a flow run starts or resumes at once.
Whatever fails here (Prefect down) stays queued for the relay (`flask outbox relay`)."""

from __future__ import annotations

import logging
import threading

from flask import current_app

from casemodel.services.outbox import take_queued_ids
from webapp.extensions import db

log = logging.getLogger(__name__)


def deliver_after_commit() -> None:
    """Deliver what this request queued once it has committed: only that, so that a request
    never waits for older messages (say, flow starts while Prefect is down)."""
    if not current_app.config["OUTBOX_DELIVER_AFTER_COMMIT"]:
        return
    factory = db.session_factory
    session = db.session

    def deliver_in_background() -> None:
        ids = take_queued_ids(session)
        if ids:
            # The response does not wait for Prefect or the mail server: a slow or locked
            # Prefect (its SQLite backend under load) must not hold up the person.
            threading.Thread(target=deliver, args=(ids,), daemon=True).start()

    def deliver(ids: list[int]) -> None:
        from flows.relay import deliver_due

        try:
            deliver_due(factory, only=ids)
        except Exception:  # the relay retries; the person's action is already safe
            log.exception("delivering the outbox after commit failed")

    db.after_commit(deliver_in_background)
