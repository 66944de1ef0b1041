"""Wake the dossier workers (flows/worker.py) at once, instead of at their next poll.

The relay calls nudge() right after it resumes or creates a flow run. A nudge is one UDP
datagram on the loopback: it never blocks and never fails the caller. A lost nudge only delays
the run until the worker polls again (every few seconds), so nothing depends on it arriving.
"""

from __future__ import annotations

import os

from relay.wake import parse_addresses, send_datagrams

#: Where workers listen, "host:port" separated by commas (one per worker machine).
ADDRESSES_ENV = "DOSSIERFLOW_WORKER_NUDGE"
DEFAULT_ADDRESS = "127.0.0.1:4211"
MESSAGE = b"nudge"


def nudge_addresses() -> list[tuple[str, int]]:
    """The workers' nudge addresses, from DOSSIERFLOW_WORKER_NUDGE (empty: none)."""
    return parse_addresses(os.environ.get(ADDRESSES_ENV, DEFAULT_ADDRESS))


def nudge() -> None:
    """Tell the workers that a flow run may be waiting to be picked up. Best effort."""
    send_datagrams(nudge_addresses(), MESSAGE)
