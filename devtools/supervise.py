"""Runs the processes of a Procfile and keeps them running: `make demo`'s supervisor.

    python -m devtools.supervise [-f Procfile]

- Each entry runs in a session of its own, its output prefixed with its name and the time.
- One that exits (it crashed, or was killed) is started again after a pause that doubles while
  it keeps dying quickly (1 s up to 30 s), and the log says so; the others go on.
- A one-off task may run in the supervisor's own process once the entries are started (`make
  demo` seeds the demo data so), and entries named for it start only once it has returned:
  what it returns is logged under its name; if it fails, its error is logged, everything stops
  and run() returns 1.
- Ctrl-C (SIGINT) or SIGTERM stops everything, each with SIGTERM: first the entries that use
  the Prefect server (so the dossier worker can still reschedule a run that does not reach its
  next step in its grace), then the rest. Only what is still running STOP_SECONDS later gets
  SIGKILL, and the log says so. A second Ctrl-C does not hurry it.

In production systemd does this job (deploy/systemd/).
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

#: Stopped last: the others may need it while they stop.
LAST = ("prefect",)
STOP_SECONDS = 40
#: A process that ran at least this long before it died is restarted after the shortest pause.
STEADY_SECONDS = 30
MAX_PAUSE = 30.0


@dataclass
class Entry:
    name: str
    command: str
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    pause: float = 1.0
    restart_at: float | None = None
    restarts: int = 0
    readers: list[threading.Thread] = field(default_factory=list)


def read_procfile(path: Path) -> list[Entry]:
    entries = []
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, _, command = line.partition(":")
        entries.append(Entry(name.strip(), command.strip()))
    return entries


class Supervisor:
    def __init__(
        self, entries: list[Entry], cwd: Path, out=sys.stdout, stop_seconds: float = STOP_SECONDS
    ) -> None:
        self.entries = entries
        self.stop_seconds = stop_seconds
        self.cwd = cwd
        self.out = out
        self.width = max(len(name) for name in [e.name for e in entries] + ["supervise"])
        self.stopping = threading.Event()
        #: The one-off task run alongside failed (run() then returns 1).
        self.failed = False
        self.lock = threading.Lock()

    def say(self, name: str, text: str) -> None:
        stamp = datetime.now().strftime("%H:%M:%S")
        with self.lock:
            self.out.write(f"{stamp} {name:<{self.width}} | {text}\n")
            self.out.flush()

    def start(self, entry: Entry) -> None:
        entry.process = subprocess.Popen(
            shlex.split(entry.command),
            cwd=self.cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # the terminal's Ctrl-C is for the supervisor only
        )
        entry.started_at = time.monotonic()
        entry.restart_at = None
        reader = threading.Thread(target=self._copy_output, args=(entry, entry.process),
                                  daemon=True)  # fmt: skip
        reader.start()
        entry.readers = [reader]
        self.say(entry.name, f"started (pid {entry.process.pid})")

    def _copy_output(self, entry: Entry, process: subprocess.Popen) -> None:
        for raw in process.stdout:
            self.say(entry.name, raw.decode("utf-8", "replace").rstrip("\n"))

    def run(
        self, alongside: tuple[str, Callable[[], str]] | None = None,
        after_it: Collection[str] = (),
    ) -> int:  # fmt: skip
        """Start every entry but those named in `after_it`; run `alongside` (a name and a
        function), if given, in a thread of this process, and start those once it returned.
        Keep them running until a signal, or until `alongside` fails."""
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGTERM, self._on_signal)
        waiting = [e for e in self.entries if e.name in after_it] if alongside else []
        for entry in self.entries:
            if entry not in waiting:
                self.start(entry)
        returned = threading.Event()
        if alongside is not None:
            threading.Thread(target=self._run_alongside, args=(*alongside, returned),
                             daemon=True).start()  # fmt: skip
        while not self.stopping.is_set():
            if waiting and returned.is_set():
                for entry in waiting:
                    self.start(entry)
                waiting = []
            now = time.monotonic()
            for entry in self.entries:
                if entry.restart_at is not None:
                    if now >= entry.restart_at:
                        entry.restarts += 1
                        self.start(entry)
                    continue
                if entry.process is None:  # waits for `alongside`
                    continue
                code = entry.process.poll()
                if code is None:
                    continue
                ran = now - entry.started_at
                entry.pause = 1.0 if ran >= STEADY_SECONDS else min(entry.pause * 2, MAX_PAUSE)
                entry.restart_at = now + entry.pause
                self.say(entry.name, f"exited with {describe(code)} after {ran:.0f}s; "
                         f"restarting in {entry.pause:.0f}s")  # fmt: skip
            self.stopping.wait(0.05 if waiting else 0.2)
        code = self.stop_all()
        return 1 if self.failed else code

    def _run_alongside(self, name: str, function: Callable[[], str],
                       returned: threading.Event) -> None:  # fmt: skip
        try:
            self.say(name, function())
        except Exception:
            for line in traceback.format_exc().splitlines():
                self.say(name, line)
            self.say(name, "failed: stopping everything")
            self.failed = True
            self.stopping.set()
        else:
            returned.set()

    def _on_signal(self, signum, _frame) -> None:
        if not self.stopping.is_set():
            self.say("supervise", f"{signal.Signals(signum).name}: stopping everything")
        self.stopping.set()

    def stop_all(self) -> int:
        deadline = time.monotonic() + self.stop_seconds
        first = [e for e in self.entries if e.name not in LAST]
        last = [e for e in self.entries if e.name in LAST]
        for group in (first, last):
            for entry in group:
                entry.restart_at = None
                if entry.process and entry.process.poll() is None:
                    entry.process.send_signal(signal.SIGTERM)
            for entry in group:
                if entry.process is None:
                    continue
                try:
                    entry.process.wait(max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    self.say(entry.name, f"still running {self.stop_seconds:.0f}s after SIGTERM: "
                             "SIGKILL")  # fmt: skip
                    os.killpg(entry.process.pid, signal.SIGKILL)
                    entry.process.wait()
                self.say(entry.name, f"stopped ({describe(entry.process.returncode)})")
        for entry in self.entries:
            for reader in entry.readers:
                reader.join(1)
        return 0


def describe(code: int) -> str:
    if code is not None and code < 0:
        return f"signal {signal.Signals(-code).name}"
    return f"status {code}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-f", "--procfile", default="Procfile")
    parser.add_argument("-d", "--directory", default=".")
    args = parser.parse_args(argv)
    cwd = Path(args.directory).resolve()
    return Supervisor(read_procfile(cwd / args.procfile), cwd).run()


if __name__ == "__main__":
    sys.exit(main())
