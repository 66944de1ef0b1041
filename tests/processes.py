"""Processes as the fault tests kill them: a worker with or without the flow runs it started."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path


def children_of(pid: int) -> list[int]:
    """Every process below pid (children, their children, ...), from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            # The command may hold spaces and parentheses: the parent's pid follows the last ")".
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parents[int(entry.name)] = int(stat.rpartition(")")[2].split()[1])
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        kids = [child for child, of in parents.items() if of == parent]
        found += kids
        frontier += kids
    return found


def kill(process: subprocess.Popen, *, with_children: bool) -> list[int]:
    """SIGKILL the process, and with_children everything it started (a machine gone); without,
    only the process and its own process group (a worker killed alone: flow runs the dossier
    worker started live in sessions of their own and go on). Returns the pids killed."""
    victims = [process.pid, *(children_of(process.pid) if with_children else [])]
    for pid in victims:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    if not with_children:
        try:
            os.killpg(process.pid, signal.SIGKILL)  # e.g. the forkserver, not the runs
        except ProcessLookupError:
            pass
    process.wait(10)
    return victims
