"""Waking the relay right after a commit that queued outbox messages, so that a flow run
resumes (or a mail leaves) at once instead of at the relay's next round.

A wake is one UDP datagram to each relay's address (DOSSIERFLOW_RELAY_WAKE, "host:port" comma
separated; default 127.0.0.1:4220): it never blocks and never fails the caller. A lost one only
delays delivery until the relay's next round (every second by default), so nothing depends on
it arriving. The portal registers it once on its session factory (webapp.extensions.Database):
every commit that queued a message wakes the relay, whichever view or command made it.
"""

from __future__ import annotations

import logging
import os
import select
import socket

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from casemodel.services.outbox import take_queued_ids

log = logging.getLogger(__name__)

ADDRESSES_ENV = "DOSSIERFLOW_RELAY_WAKE"
DEFAULT_ADDRESSES = "127.0.0.1:4220"
MESSAGE = b"wake"


def parse_addresses(raw: str) -> list[tuple[str, int]]:
    """"host:port,host:port" as a list; empty or malformed items are left out."""
    addresses = []
    for item in raw.split(","):
        host, _, port = item.strip().rpartition(":")
        if host and port.isdigit():
            addresses.append((host, int(port)))
    return addresses


def wake_addresses() -> list[tuple[str, int]]:
    """The relays' addresses from DOSSIERFLOW_RELAY_WAKE (set but empty: none)."""
    return parse_addresses(os.environ.get(ADDRESSES_ENV, DEFAULT_ADDRESSES))


def wake(addresses: list[tuple[str, int]]) -> None:
    """Tell the relays that messages are due. Best effort."""
    send_datagrams(addresses, MESSAGE)


def send_datagrams(addresses: list[tuple[str, int]], message: bytes) -> None:
    """One UDP datagram to each address; never blocks, never raises (the relay's wake here,
    the dossier workers' nudge in flows/nudge.py)."""
    for address in addresses:
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
                sender.sendto(message, address)
        except OSError:
            pass


def wake_after_commit(factory: sessionmaker[Session], addresses: list[tuple[str, int]]) -> None:
    """Register, once per session factory, the wake after each commit that queued a message
    (enqueue notes their ids in the session). A wake for a message that was rolled back costs
    the relay one empty round, no more."""

    def after_commit(session: Session) -> None:
        if take_queued_ids(session):
            wake(addresses)

    event.listen(factory, "after_commit", after_commit)


class WakeListener:
    """The relay's side: a UDP socket that wait() blocks on, up to a timeout. Without a socket
    (the address is taken by another process, or off) wait() is a plain sleep: the relay then
    works by its rounds alone."""

    def __init__(self, address: tuple[str, int] | None) -> None:
        self.socket: socket.socket | None = None
        if address is None:
            return
        candidate = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            candidate.bind(address)
        except OSError as exc:
            candidate.close()
            log.warning("no wake-ups on %s:%s (%s); delivering every round only", *address, exc)
            return
        candidate.setblocking(False)
        self.socket = candidate

    def wait(self, timeout: float) -> bool:
        """Until woken or `timeout` seconds; True when woken. Every wake that came meanwhile is
        taken, so a burst of commits costs one round."""
        if self.socket is None:
            select.select([], [], [], timeout)
            return False
        readable, _, _ = select.select([self.socket], [], [], timeout)
        woken = False
        while readable:
            try:
                self.socket.recv(64)
                woken = True
            except BlockingIOError:
                break
        return woken

    def close(self) -> None:
        if self.socket is not None:
            self.socket.close()
