"""How long `make demo` takes until the portal's login page answers, and until the demo is
usable: a demo client logged in (password and SMS code) and on Home with their dossiers.

    .venv/bin/python -m bench.demo_ready [--timeout 300]

Runs `make demo` in the project folder with a fresh DOSSIERFLOW_INSTANCE (a temporary folder, so
the database, Prefect's home and the mailbox start empty), in a session of its own, and polls
http://127.0.0.1:5000/login until it answers 200 with the login form. Prints

    demo_ready_s <seconds> s
    demo_usable_s <seconds> s

(until the demo data is seeded every page answers "De demo wordt nog voorbereid", 503, so the
login page answers once the seed is done; demo_usable_s adds the login, through the pages,
and Home), then stops the demo as a person would, with SIGINT to make's process group (honcho
passes it on to the processes of the Procfile), waits for everything it started to exit, and
SIGKILLs what is left after 30 seconds. It refuses to start (exit 1) when port 5000, 4200 or
8025 is taken: the demo would fail, or the poll would find somebody else's portal.

The figures assume the venv is installed (the first `make demo` of a clone also runs pip).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PORTAL = "http://127.0.0.1:5000"
LOGIN_URL = PORTAL + "/login"
PORTS = {5000: "portal", 4200: "Prefect server", 8025: "mail sink"}
STOP_GRACE_S = 30


def port_in_use(port: int) -> bool:
    """Whether something listens on 127.0.0.1:port (a connection in TIME_WAIT does not count)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def login_page_ready() -> bool:
    try:
        with urllib.request.urlopen(LOGIN_URL, timeout=2) as response:
            body = response.read().decode("utf-8", "replace")
            return response.status == 200 and 'name="password"' in body and "<form" in body
    except (OSError, urllib.error.URLError):
        return False


CLIENT = "klant@example.nl"


def home_with_dossiers(instance: Path) -> bool:
    """Log in as the demo client through the pages (the password, then the code the demo's SMS
    sink holds) and find Home counting their dossiers; False while the demo is not usable."""
    from http.cookiejar import CookieJar

    from casemodel.sms.sink import read_sms
    from devtools.seed import DEMO_PASSWORD, USERS

    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def page(path: str, form: dict | None = None) -> str:
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        with opener.open(PORTAL + path, data=data, timeout=10) as response:
            return response.read().decode("utf-8", "replace")

    def token(html: str) -> str:
        return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)[1]

    number = next(mobile for email, *_rest, mobile in USERS if email == CLIENT)
    try:
        login = page("/login")
        code_page = page("/login", {"csrf_token": token(login), "email": CLIENT,
                                    "password": DEMO_PASSWORD})  # fmt: skip
        codes = [sms for sms in read_sms(instance / "sms") if sms["to"] == number]
        if not codes:
            return False
        code = re.search(r"\b(\d{6})\b", codes[0]["text"])[1]
        home = page("/login/code", {"csrf_token": token(code_page), "code": code})
        if "/login/authenticator" in home:  # not offered by the notary office; cheap to allow
            home = page("/home")
    except (OSError, urllib.error.URLError, TypeError):
        return False
    total = re.search(r'data-testid="dossiers-total">(\d+)<', home)
    return total is not None and int(total[1]) > 0


# --- the processes we started ----------------------------------------------------------------
# honcho starts every Procfile entry in a session of its own, so make's process group does not
# hold them all. What we started is every process in a session that a descendant of make led or
# belonged to, recorded while the demo runs (an orphan keeps its session but loses its parent).


def _stat(pid: int) -> tuple[int, int, str] | None:
    """(parent pid, session id, start time) of a live process, or None."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()
    if fields[0] == "Z":
        return None
    return int(fields[1]), int(fields[3]), fields[19]


def _all_processes() -> dict[int, tuple[int, int, str]]:
    table = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (stat := _stat(int(entry))) is not None:
            table[int(entry)] = stat
    return table


class Started:
    """The processes `make demo` started, by (pid, start time) so that a reused pid is not ours."""

    def __init__(self, root: int) -> None:
        self.root = root
        self.sessions = {root}
        self.known: dict[int, str] = {}

    def refresh(self) -> None:
        table = _all_processes()
        children: dict[int, list[int]] = {}
        for pid, (ppid, _sid, _start) in table.items():
            children.setdefault(ppid, []).append(pid)
        stack = [self.root]
        while stack:
            pid = stack.pop()
            if pid in table:
                self.known[pid] = table[pid][2]
                self.sessions.add(table[pid][1])
                stack.extend(children.get(pid, []))
        for pid, (_ppid, sid, start) in table.items():
            if sid in self.sessions:
                self.known[pid] = start

    def alive(self) -> list[int]:
        self.refresh()
        return [pid for pid, start in self.known.items() if (_stat(pid) or (0, 0, ""))[2] == start]

    def kill_all(self) -> None:
        for pid in self.alive():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=300, help="give up after (seconds)")
    args = parser.parse_args(argv)

    taken = [f"{port} ({what})" for port, what in PORTS.items() if port_in_use(port)]
    if taken:
        print(
            f"demo_ready: port(s) {', '.join(taken)} already in use on 127.0.0.1; stop whatever "
            "listens there (another `make demo`?) and try again",
            file=sys.stderr,
        )
        return 1

    instance = Path(tempfile.mkdtemp(prefix="dossierflow-bench-demo-"))
    env = dict(os.environ, DOSSIERFLOW_INSTANCE=str(instance), PYTHONUNBUFFERED="1")
    # A fresh demo: on its own SQLite database under the new instance folder.
    env.pop("DOSSIERFLOW_DATABASE_URL", None)
    log_path = instance.parent / f"{instance.name}.log"
    log = log_path.open("wb")
    started_at = time.monotonic()
    process = subprocess.Popen(
        ["make", "demo"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    started = Started(process.pid)
    ready_s = usable_s = None
    failure = None
    try:
        deadline = started_at + args.timeout
        while time.monotonic() < deadline:
            started.refresh()
            if ready_s is None and login_page_ready():
                ready_s = time.monotonic() - started_at
                print(f"demo_ready_s {ready_s:.1f} s", flush=True)
            if ready_s is not None and home_with_dossiers(instance):
                usable_s = time.monotonic() - started_at
                print(f"demo_usable_s {usable_s:.1f} s", flush=True)
                break
            if process.poll() is not None:
                failure = f"`make demo` exited with {process.returncode} before the demo was usable"
                break
            time.sleep(0.1 if ready_s is None else 0.5)
        else:
            failure = f"the demo was not usable within {args.timeout:.0f}s"
    except KeyboardInterrupt:
        failure = "interrupted"
    finally:
        stop_s = stop(process, started)
        log.close()
        leftover = started.alive()
        if failure or leftover:
            tail = log_path.read_text(errors="replace")[-3000:]
            print(f"--- last lines of the demo's output ---\n{tail}", file=sys.stderr)
        shutil.rmtree(instance, ignore_errors=True)
        log_path.unlink(missing_ok=True)

    print(f"demo stopped {stop_s:.1f}s after SIGINT", file=sys.stderr)
    if leftover:
        print(f"demo_ready: processes left behind: {leftover}", file=sys.stderr)
        return 1
    if failure:
        print(f"demo_ready: {failure}", file=sys.stderr)
        return 1
    busy = [str(port) for port in PORTS if port_in_use(port)]
    if busy:
        print(f"demo_ready: port(s) {', '.join(busy)} still in use after the stop", file=sys.stderr)
        return 1
    return 0


def stop(process: subprocess.Popen, started: Started) -> float:
    """SIGINT to make's process group, as Ctrl-C would; SIGKILL to what remains after 30 s."""
    started.refresh()
    sent_at = time.monotonic()
    try:
        os.killpg(process.pid, signal.SIGINT)
    except ProcessLookupError:
        pass
    deadline = sent_at + STOP_GRACE_S
    while time.monotonic() < deadline:
        if process.poll() is not None and not started.alive():
            return time.monotonic() - sent_at
        time.sleep(0.2)
    print("demo_ready: still running 30s after SIGINT, sending SIGKILL", file=sys.stderr)
    started.kill_all()
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=10)
    time.sleep(0.5)
    return time.monotonic() - sent_at


if __name__ == "__main__":
    sys.exit(main())
