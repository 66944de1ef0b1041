"""The relay's rounds: deliver what is due, look after the dossier runs (the reconciler, every
reconcile_seconds()) and keep the file store tidy (hourly), then wait until woken (relay.wake)
or the interval has passed. One relay is enough; a second, on this machine or another, shares
the work (each message is leased by one relay at a time)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from casemodel.db import session_scope
from casemodel.filestore import FileStore
from casemodel.services.stored_files import sweep_unreferenced_files
from casemodel.services.uploads import purge_staged_files
from flows.reconcile import Reconciler, reconcile_seconds
from relay.delivery import deliver_due
from relay.wake import WakeListener, wake_addresses

log = logging.getLogger(__name__)

PURGE_EVERY_SECONDS = 3600
#: Messages delivered per round at most; a full round goes on at once with the next.
ROUND_LIMIT = 50


def run_relay(
    factory: sessionmaker[Session],
    files: FileStore,
    *,
    interval: float,
    once: bool = False,
    stopping: Callable[[], bool] = lambda: False,
    report: Callable[[str], None] = log.info,
    wake_address: tuple[str, int] | None = None,
    woken: bool = True,
) -> int:
    """Rounds until `stopping()` (or one, with `once`); returns what the last round delivered.
    A round's failure is reported and the next round tries again: the database or Prefect may
    come back. Between rounds it waits for a wake (relay.wake) on `wake_address`, by default
    the first of DOSSIERFLOW_RELAY_WAKE, unless `woken` is off."""
    if once or not woken:
        wake_address = None
    elif wake_address is None:
        wake_address = (wake_addresses() or [None])[0]
    listener = WakeListener(wake_address)
    reconciler = Reconciler(factory)
    last_purge = last_reconcile = 0.0
    try:
        while not stopping():
            delivered = 0
            try:
                delivered = deliver_due(factory, limit=ROUND_LIMIT)
            except Exception as exc:
                report(f"relay round failed: {exc!r}")
            try:
                if time.monotonic() - last_reconcile > reconcile_seconds():
                    last_reconcile = time.monotonic()
                    reconciler.run_once()
            except Exception as exc:
                report(f"reconciler round failed: {exc!r}")
            try:
                if time.monotonic() - last_purge > PURGE_EVERY_SECONDS:
                    # Attachments uploaded for a message that was never sent, then the bytes
                    # nothing refers to any more.
                    with session_scope(factory) as session:
                        purge_staged_files(session)
                    with session_scope(factory) as session:
                        sweep_unreferenced_files(session, files)
                    last_purge = time.monotonic()
            except Exception as exc:
                report(f"housekeeping failed: {exc!r}")
            if once:
                return delivered
            if delivered < ROUND_LIMIT:  # else more are due at once
                listener.wait(interval)
        return 0
    finally:
        listener.close()
