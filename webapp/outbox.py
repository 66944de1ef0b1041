"""Delivering the outbox right after a request's commit, so a flow run starts or resumes at once.
Whatever fails here (Prefect down) stays queued for the relay (`flask outbox relay`)."""

from __future__ import annotations

import logging

from flask import current_app

from webapp.extensions import db

log = logging.getLogger(__name__)


def deliver_after_commit() -> None:
    if not current_app.config["OUTBOX_DELIVER_AFTER_COMMIT"]:
        return
    factory = db.session_factory

    def deliver() -> None:
        from flows.relay import deliver_due

        try:
            deliver_due(factory, limit=20)
        except Exception:  # the relay retries; the person's action is already safe
            log.exception("delivering the outbox after commit failed")

    db.after_commit(deliver)
