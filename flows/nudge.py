"""Wake the dossier workers (flows/worker.py) at once, instead of at their next poll.

The relay calls nudge() right after it resumes or creates a flow run. A nudge is one UDP
datagram on the loopback: it never blocks and never fails the caller. A lost nudge only delays
the run until the worker polls again (every few seconds), so nothing depends on it arriving.
"""

from __future__ import annotations

import os
import socket

#: Where workers listen, "host:port" separated by commas (one per worker machine).
ADDRESSES_ENV = "DOSSIERFLOW_WORKER_NUDGE"
DEFAULT_ADDRESS = "127.0.0.1:4211"
MESSAGE = b"nudge"


def nudge_addresses() -> list[tuple[str, int]]:
    """The workers' nudge addresses, from DOSSIERFLOW_WORKER_NUDGE (empty: none)."""
    raw = os.environ.get(ADDRESSES_ENV, DEFAULT_ADDRESS)
    addresses = []
    for item in raw.split(","):
        host, _, port = item.strip().rpartition(":")
        if host and port.isdigit():
            addresses.append((host, int(port)))
    return addresses


def nudge() -> None:
    """Tell the workers that a flow run may be waiting to be picked up. Best effort."""
    for address in nudge_addresses():
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
                sender.sendto(MESSAGE, address)
        except OSError:
            pass
