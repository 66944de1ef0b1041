"""The relay's rounds: deliver what is due, lane by lane in threads of their own (one per server
the messages go to, relay.delivery.LANES), look after the dossier runs (the reconciler, every
reconcile_seconds()) and keep the file store tidy (hourly), then wait until woken (relay.wake)
or the interval has passed. One relay is enough; a second, on this machine or another, shares
the work (each message is leased by one relay at a time)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from casemodel.db import session_scope
from casemodel.filestore import FileStore
from casemodel.services.stored_files import sweep_unreferenced_files
from casemodel.services.uploads import purge_staged_files
from flows.reconcile import Reconciler, reconcile_seconds
from relay.delivery import LANES, deliver_due
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
    come back. The messages are delivered by lane (relay.delivery.LANES), each in a thread of
    its own with rounds of its own; this thread looks after the runs and the file store, and
    wakes every lane when woken (relay.wake) on `wake_address`, by default the first of
    DOSSIERFLOW_RELAY_WAKE, unless `woken` is off. Once `stopping()`, each lane finishes the
    message under way and stops."""
    if once:
        delivered = _deliver(factory, report, "")
        _look_after(factory, files, Reconciler(factory), report, last_reconcile=0.0,
                    last_purge=0.0)  # fmt: skip
        return delivered
    if not woken:
        wake_address = None
    elif wake_address is None:
        wake_address = (wake_addresses() or [None])[0]
    listener = WakeListener(wake_address)
    halted = threading.Event()  # set however this loop ends: a signal, Ctrl-C, an error
    lanes = [Lane(name, kinds, factory, interval=interval, stopping=halted.is_set,
                  report=report) for name, kinds in LANES.items()]  # fmt: skip
    for lane in lanes:
        lane.start()
    reconciler = Reconciler(factory)
    last_purge = last_reconcile = 0.0
    try:
        while not stopping():
            last_reconcile, last_purge = _look_after(
                factory, files, reconciler, report, last_reconcile=last_reconcile,
                last_purge=last_purge,
            )  # fmt: skip
            if listener.wait(interval):
                for lane in lanes:
                    lane.wake()
        return 0
    finally:
        halted.set()
        for lane in lanes:
            lane.wake()  # it sees that at once instead of after its interval
        for lane in lanes:
            lane.join()
        listener.close()


class Lane(threading.Thread):
    """One lane's rounds: deliver what is due of its kinds, then wait until woken or the
    interval has passed (a full round goes on at once with the next)."""

    def __init__(self, name: str, kinds: frozenset[str], factory: sessionmaker[Session], *,
                 interval: float, stopping: Callable[[], bool],
                 report: Callable[[str], None]) -> None:  # fmt: skip
        super().__init__(name=f"relay-{name}", daemon=True)
        self.kinds, self.factory = kinds, factory
        self.interval, self.stopping, self.report = interval, stopping, report
        self._woken = threading.Event()

    def wake(self) -> None:
        self._woken.set()

    def run(self) -> None:
        while not self.stopping():
            # Cleared before the round: a wake that comes during it makes the next one at once.
            self._woken.clear()
            delivered = _deliver(self.factory, self.report, self.name, kinds=self.kinds,
                                 stopping=self.stopping)  # fmt: skip
            if delivered < ROUND_LIMIT:
                self._woken.wait(self.interval)


def _deliver(factory: sessionmaker[Session], report: Callable[[str], None], lane: str,
             **options) -> int:  # fmt: skip
    try:
        return deliver_due(factory, limit=ROUND_LIMIT, **options)
    except Exception as exc:
        report(f"relay round{f' ({lane})' if lane else ''} failed: {exc!r}")
        return 0


def _look_after(
    factory: sessionmaker[Session], files: FileStore, reconciler: Reconciler,
    report: Callable[[str], None], *, last_reconcile: float, last_purge: float,
) -> tuple[float, float]:  # fmt: skip
    """The reconciler every reconcile_seconds(), the file store's housekeeping hourly; returns
    when each last ran."""
    try:
        if time.monotonic() - last_reconcile > reconcile_seconds():
            last_reconcile = time.monotonic()
            reconciler.run_once()
    except Exception as exc:
        report(f"reconciler round failed: {exc!r}")
    try:
        if time.monotonic() - last_purge > PURGE_EVERY_SECONDS:
            # Attachments uploaded for a message that was never sent, then the bytes nothing
            # refers to any more.
            with session_scope(factory) as session:
                purge_staged_files(session)
            with session_scope(factory) as session:
                sweep_unreferenced_files(session, files)
            last_purge = time.monotonic()
    except Exception as exc:
        report(f"housekeeping failed: {exc!r}")
    return last_reconcile, last_purge
