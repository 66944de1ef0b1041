"""One portal process: how soon a fresh one answers, and what it weighs once it served a person
whose action queued a mail (the outbox's after-commit path).

    .venv/bin/python -m bench.portal_footprint [--runs 3]

A fresh SQLite database (migrated) with one client account; per run, a fresh gunicorn with one
worker of 4 threads on a free port of 127.0.0.1 (as deploy/systemd/dossierflow-portal.service
runs each of its processes; rate limits off). The run times from starting gunicorn to the first
answer of GET /login, then asks for a password link for the account (GET and POST
/password/forgot: a token and a mail queued in the outbox, and whatever the portal does after
that commit), waits until the worker's CPU time has not moved for 3 s (at most 60 s) and reads
its VmRSS (/proc/<pid>/status). No relay and no Prefect run here: the portal is measured alone.
Prints, as the median of the runs,

    portal_first_request_ms <v> ms   from starting the process to its first page
    portal_rss_mb <v> MB             the worker's resident memory, idle after that first action

and on stderr each run's figures, the worker's CPU time from the link request until idle, and
whether the worker imported prefect (its open files and
the modules it loaded are not visible from outside, so this is read from the worker's memory
maps: Prefect's compiled dependencies orjson and pendulum are shared objects that nothing else
of the portal loads).
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import host_speed_line  # noqa: E402
from devtools.portal_client import Browser, csrf_token  # noqa: E402

EMAIL = "footprint@example.nl"
PASSWORD = "Lange-wachtwoord-voor-de-bench-2024"


def log(message: str) -> None:
    print(f"# {message}", file=sys.stderr, flush=True)


def prepare(url: str) -> None:
    from casemodel import migrate
    from casemodel.db import make_engine, make_session_factory, session_scope
    from casemodel.services.accounts import add_membership, create_user
    from tests.fixtures.domain import make_firm

    migrate.upgrade(url)
    engine = make_engine(url)
    with session_scope(make_session_factory(engine)) as session:
        firm = make_firm(session, "footprint")
        user = create_user(session, email=EMAIL, name="Fee Footprint", password=PASSWORD)
        add_membership(session, user=user, organisation=firm.organisation)
    engine.dispose()


def worker_pid(master: int) -> int:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.05)
    raise RuntimeError("gunicorn started no worker")


def cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def maps_prefect(pid: int) -> bool:
    maps = Path(f"/proc/{pid}/maps").read_text()
    return "/orjson/" in maps or "/pendulum/" in maps


def wait_idle(pid: int, quiet_seconds: float = 3.0, limit: float = 60.0) -> None:
    deadline = time.monotonic() + limit
    last, since = cpu_ticks(pid), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.25)
        now = cpu_ticks(pid)
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet_seconds:
            return
    log("the worker did not become idle within the limit")


def one_run(env: dict[str, str]) -> tuple[float, float, bool, float]:
    from devtools.prefect_stack import free_port, stop

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    gunicorn = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "--workers", "1", "--threads", "4",
         "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "webapp:create_app()"],
        cwd=ROOT, env=env, start_new_session=True,
    )  # fmt: skip
    try:
        while True:
            try:
                status = Browser(base).request("GET", "/login")[0]
                if status == 200:
                    break
            except OSError:
                pass
            if gunicorn.poll() is not None or time.monotonic() - started > 60:
                raise RuntimeError("the portal did not start")
            time.sleep(0.02)
        first_ms = (time.monotonic() - started) * 1000
        pid = worker_pid(gunicorn.pid)
        before = cpu_ticks(pid)
        browser = Browser(base)
        _status, _location, page = browser.request("GET", "/password/forgot")
        status, _location, page = browser.request(
            "POST", "/password/forgot", {"csrf_token": csrf_token(page), "email": EMAIL}
        )
        if status != 200 or EMAIL not in page:
            raise RuntimeError(f"asking for a link answered {status}")
        wait_idle(pid)
        cpu_s = (cpu_ticks(pid) - before) / os.sysconf("SC_CLK_TCK")
        return first_ms, rss_mb(pid), maps_prefect(pid), cpu_s
    finally:
        stop(gunicorn)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    log(host_speed_line().removeprefix("# "))
    with tempfile.TemporaryDirectory(prefix="dossierflow-bench-footprint-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'portal.db'}"
        prepare(url)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "DOSSIER"))}
        env.update(
            DOSSIERFLOW_DATABASE_URL=url, DOSSIERFLOW_INSTANCE=str(Path(tmp) / "instance"),
            DOSSIERFLOW_SECRET_KEY=secrets.token_hex(32), DOSSIERFLOW_INSECURE_COOKIES="1",
            DOSSIERFLOW_RATELIMIT_ENABLED="0", PREFECT_API_URL="http://127.0.0.1:9/api",
            # Nothing listens there: the mail stays queued, as with a mail server that is down.
            DOSSIERFLOW_SMTP_HOST="127.0.0.1", DOSSIERFLOW_SMTP_PORT="9",
        )  # fmt: skip
        firsts, sizes = [], []
        for number in range(1, args.runs + 1):
            first_ms, size, prefect, cpu_s = one_run(env)
            firsts.append(first_ms)
            sizes.append(size)
            log(f"run {number}: first page {first_ms:.0f} ms, idle worker {size:.1f} MB, "
                f"worker CPU for the link request and after it {cpu_s:.2f} s, "
                f"prefect {'imported' if prefect else 'not imported'}")  # fmt: skip
    print(f"portal_first_request_ms {statistics.median(firsts):.0f} ms", flush=True)
    print(f"portal_rss_mb {statistics.median(sizes):.1f} MB", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
