"""Logins under load (password, then authenticator code) against the portal served as in
production (gunicorn), offered at a steady rate as people arrive, and the portal's memory.

    .venv/bin/python -m bench.login [--sqlite] [--rate 10] [--seconds 60]
                                    [--capacity 15,20,25,30,35,40] [--capacity-seconds 20]
                                    [--workers 4] [--threads 4] [--argon2 19,2]

Starts a PostgreSQL cluster (tests/pgcluster.py; --sqlite for a SQLite file), migrates a fresh
database, creates one office, one client organisation and one client account per login to come
(second factor "totp" with a secret of its own: the replay guard refuses a code twice per user,
so no account logs in twice), then serves `webapp:create_app()` with gunicorn on a free port of
127.0.0.1, 4 processes of 4 threads as deploy/systemd/dossierflow-portal.service does (rate
limit off: every request comes from one address). A login is GET /login (CSRF token from the
form), POST /login (302 to /login/code), GET /login/code (the password step clears the
session, so the code form carries a new CSRF token), POST /login/code with pyotp's current code
(302 onwards), each login with its own cookies over one keep-alive connection.

The load is open-loop, as people arrive: logins start at a fixed rate, each at its time, however
long the others take; a login's time runs from the moment it was due to its last answer, so a
portal that falls behind shows it. First RATE a second for SECONDS (the figure); then, to find
the capacity, each rate of CAPACITY for CAPACITY_SECONDS, until one misses: its p95 over
300 ms, or an error. Meanwhile the RSS of gunicorn's master and workers is summed every 100 ms
(/proc/<pid>/status VmRSS). Prints

    login_p95_ms <v> ms             95th percentile of one login at RATE a second
    login_capacity_per_s <v> /s     the highest rate of CAPACITY met (p95 <= 300 ms, no error)
    login_peak_rss_mb <v> MB        highest summed RSS while the logins ran
    login_rss_growth_mb <v> MB      that peak minus the sum just before the first login

and on stderr p50/p95/max per step and rate, and the CPU per login of the portal, the database
and this client (which shares the cores). With --argon2 M,T (MiB, passes; libsodium computes
with one lane) the server runs `bench.login:app_with_argon2()` instead: create_app() with the
accounts module's hasher replaced, and the accounts are hashed with the same parameters (a hash
with other parameters would be redone at the login).
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import host_speed_line  # noqa: E402
from devtools.portal_client import Browser, csrf_token  # noqa: E402

PASSWORD = "Lange-wachtwoord-voor-de-bench-2024"
ARGON2_ENV = "DOSSIERFLOW_BENCH_ARGON2"
TARGET_P95_MS = 300.0
TARGET_GROWTH_MB = 200.0
#: One TLS context for every client: httpx builds a new one per Client otherwise, loading the CA
#: bundle (about 80 ms of CPU here, on the same cores as the server) although nothing uses TLS.
SSL_CONTEXT = ssl.create_default_context()


def log(message: str) -> None:
    print(f"# {message}", file=sys.stderr, flush=True)


def percentile(samples: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    ordered = sorted(samples)
    position = (len(ordered) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


# --- Argon2 parameters under test ----------------------------------------------------------------


def parse_argon2(text: str) -> tuple[int, int]:
    memory_mib, passes = (int(part) for part in text.split(","))
    return memory_mib, passes


def use_argon2(text: str) -> None:
    """Replace the accounts module's hasher (and its dummy hash) in this process."""
    from casemodel.passhash import Argon2id
    from casemodel.services import accounts

    memory_mib, passes = parse_argon2(text)
    accounts._hasher = Argon2id(memory_mib=memory_mib, passes=passes)
    accounts._DUMMY_HASH = accounts._hasher.hash("no account has this password")


def app_with_argon2():
    """gunicorn's app factory for --argon2: create_app() with the hasher from the environment."""
    use_argon2(os.environ[ARGON2_ENV])
    from webapp import create_app

    return create_app()


# --- the data ------------------------------------------------------------------------------------


def create_accounts(url: str, count: int) -> list[tuple[str, str]]:
    """COUNT client accounts with an authenticator; returns (email, totp secret) for each."""
    import pyotp

    from casemodel.db import make_engine, make_session_factory, session_scope, utcnow
    from casemodel.models import Office, Organisation
    from casemodel.services.accounts import add_membership, create_user

    engine = make_engine(url)
    accounts = []
    with session_scope(make_session_factory(engine)) as session:
        office = Office(name="Bench kantoor", kind="accountancy")
        session.add(office)
        session.flush()
        organisation = Organisation(client_number="BENCH-1", name="Bench BV", kind="company",
                                    office_id=office.id, created_at=utcnow())  # fmt: skip
        session.add(organisation)
        session.flush()
        shared_hash = None
        for number in range(count):
            email = f"bench{number:04d}@example.nl"
            # One Argon2 hash for all (same password, same parameters: the same cost to verify);
            # hashing 200 times would take longer than the logins.
            user = create_user(session, email=email, name=f"Bench {number}",
                               password=None if shared_hash else PASSWORD)  # fmt: skip
            shared_hash = user.password_hash = shared_hash or user.password_hash
            user.second_factor = "totp"
            user.totp_secret = pyotp.random_base32()
            add_membership(session, user=user, organisation=organisation)
            accounts.append((email, user.totp_secret))
    engine.dispose()
    return accounts


# --- the server ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(stack: ExitStack, *, url: str, instance: Path, port: int, workers: int,
                   threads: int, argon2: str | None) -> subprocess.Popen:  # fmt: skip
    env = dict(os.environ)
    env.update(
        DOSSIERFLOW_DATABASE_URL=url,
        DOSSIERFLOW_INSTANCE=str(instance),
        DOSSIERFLOW_INSECURE_COOKIES="1",
        DOSSIERFLOW_RATELIMIT_ENABLED="0",
        DOSSIERFLOW_RATELIMIT_STORAGE="memory://",
        PREFECT_API_URL="http://127.0.0.1:9/api",
        # Throughput, not anti-automation: bench.files uploads 100 MB files in a row.
        DOSSIERFLOW_LIMIT_UPLOADS_MB_PER_USER="0",
        DOSSIERFLOW_LIMIT_UPLOADS_MB_PER_ORGANISATION="0",
    )
    env.pop("DOSSIERFLOW_SECRET_KEY", None)
    app = "webapp:create_app()"
    if argon2:
        env[ARGON2_ENV] = argon2
        app = "bench.login:app_with_argon2()"
    gunicorn = Path(sys.executable).parent / "gunicorn"
    if not gunicorn.exists():
        raise SystemExit(f"{gunicorn} not found: .venv/bin/pip install gunicorn")
    command = [str(gunicorn), "--workers", str(workers), "--threads", str(threads),
               "--bind", f"127.0.0.1:{port}", "--timeout", "60", "--log-level", "warning",
               app]  # fmt: skip
    server = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    stack.callback(stop_server, server)
    return server


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is not None:
        return
    server.send_signal(signal.SIGTERM)  # gunicorn: graceful stop of the master and its workers
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)


def wait_ready(base: str, server: subprocess.Popen, timeout: float = 60) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}")
        try:
            if httpx.get(f"{base}/login", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"the portal did not answer within {timeout:.0f}s")


# --- memory --------------------------------------------------------------------------------------


def process_tree(root: int) -> list[int]:
    """root and its descendants (gunicorn: the master and its workers)."""
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        try:
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as children:
                    todo.extend(int(child) for child in children.read().split())
        except OSError:
            continue
    return found


def rss_mb(pids: list[int]) -> float:
    total_kb = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        total_kb += int(line.split()[1])
                        break
        except OSError:
            continue
    return total_kb / 1024


def cpu_seconds(pids: list[int]) -> float:
    """User plus system CPU time of the processes (those still alive)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


class RssSampler(threading.Thread):
    """The summed RSS of a process tree every 100 ms, until stopped."""

    def __init__(self, root: int, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.root, self.interval = root, interval
        self.samples: list[float] = []
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.samples.append(rss_mb(process_tree(self.root)))
            self._stop_event.wait(self.interval)

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=5)


# --- the client ----------------------------------------------------------------------------------


def login_once(base: str, email: str, secret: str) -> dict[str, float]:
    """One full login with fresh cookies; the wall time of each step in ms."""
    browser = Browser(base)
    try:
        return log_in(browser, email, secret)[0]
    finally:
        browser.close()


def log_in(browser: Browser, email: str, secret: str) -> tuple[dict[str, float], str]:
    """The four requests of a login; the wall time of each in ms, and where the last one sends
    the browser."""
    import pyotp

    times: dict[str, float] = {}
    started = time.perf_counter()
    status, _, page = browser.request("GET", "/login")
    assert status == 200, f"GET /login: {status}"
    mark = time.perf_counter()
    times["get_login"] = (mark - started) * 1000

    status, location, _ = browser.request("POST", "/login", {
        "csrf_token": csrf_token(page), "email": email, "password": PASSWORD})  # fmt: skip
    assert status == 302 and location.endswith("/login/code"), f"POST /login: {status} {location}"
    now = time.perf_counter()
    times["password"] = (now - mark) * 1000
    mark = now

    # The password step starts a new session, so the code form carries a new CSRF token.
    status, _, page = browser.request("GET", "/login/code")
    assert status == 200, f"GET /login/code: {status}"
    now = time.perf_counter()
    times["get_code"] = (now - mark) * 1000
    mark = now

    status, location, _ = browser.request("POST", "/login/code", {
        "csrf_token": csrf_token(page), "code": pyotp.TOTP(secret).now()})  # fmt: skip
    assert status == 302 and "/login" not in location, f"POST /login/code: {status} {location}"
    now = time.perf_counter()
    times["code"] = (now - mark) * 1000
    times["login"] = (now - started) * 1000
    return times, location


def check_logged_in(base: str, email: str, secret: str) -> None:
    """Once, before the load: after the login the portal's home answers for the user."""
    browser = Browser(base)
    try:
        _, location = log_in(browser, email, secret)
        path = urllib.parse.urlsplit(location).path
        status, location, page = browser.request("GET", path)
        while status == 302 and location:  # "/" sends each user on to their home
            path = urllib.parse.urlsplit(location).path
            status, location, page = browser.request("GET", path)
        assert status == 200 and path == "/home", f"after the login: {status} {path}"
    finally:
        browser.close()


def run_open_loop(base: str, accounts: list[tuple[str, str]], rate: float, seconds: float,
                  deadline: float) -> tuple[list[dict[str, float]], list[str]]:  # fmt: skip
    """rate x seconds logins, each started at its own time (t0 + i / rate) by a thread of a pool
    big enough never to hold one back; the accounts used are taken off the list."""
    count = int(rate * seconds)
    batch, accounts[:count] = accounts[:count], []
    results: list[dict[str, float]] = []
    errors: list[str] = []
    lock = threading.Lock()

    def one(email: str, secret: str, due: float) -> None:
        try:
            times = login_once(base, email, secret)
        except Exception as error:  # noqa: BLE001 - counted and shown, not fatal
            with lock:
                errors.append(f"{email}: {error!r}")
            return
        times["login"] = (time.monotonic() - due) * 1000  # late starts count too
        with lock:
            results.append(times)

    threads = []
    began = time.monotonic() + 0.1
    for number, (email, secret) in enumerate(batch):
        due = began + number / rate
        if time.monotonic() > deadline:
            errors.append(f"time budget spent after {number} logins")
            break
        time.sleep(max(0.0, due - time.monotonic()))
        thread = threading.Thread(target=one, args=(email, secret, due), daemon=True)
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join(timeout=max(1.0, deadline - time.monotonic()))
    return results, errors


def audit_chain_intact(url: str) -> bool:
    """Every login appended to the global audit chain at once with the others."""
    from casemodel.db import make_engine, make_session_factory, session_scope
    from casemodel.services.audit import verify_chain

    engine = make_engine(url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            return verify_chain(session, None)
    finally:
        engine.dispose()


# --- main ----------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sqlite", action="store_true", help="a SQLite file, not PostgreSQL")
    parser.add_argument("--rate", type=float, default=10, help="logins a second, the figure")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument(
        "--capacity",
        default="15,20,25,30,35,40",
        help="rates tried in turn for login_capacity_per_s ('' for none)",
    )
    parser.add_argument("--capacity-seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--argon2", metavar="M,T",
                        help="Argon2id memory (MiB) and passes to try")  # fmt: skip
    parser.add_argument("--timeout", type=float, default=900, help="seconds for the whole run")
    args = parser.parse_args()
    if args.argon2:
        parse_argon2(args.argon2)
        use_argon2(args.argon2)  # the accounts get hashes the server does not rehash
    deadline = time.monotonic() + args.timeout
    rates = [float(r) for r in args.capacity.split(",") if r.strip()]
    total = int(args.rate * args.seconds + sum(r * args.capacity_seconds for r in rates))

    with ExitStack() as stack:
        workdir = Path(tempfile.mkdtemp(prefix="dossierflow-bench-login-"))
        stack.callback(shutil.rmtree, workdir, ignore_errors=True)
        postmaster = None
        if args.sqlite:
            url = f"sqlite:///{workdir / 'portal.db'}"
        else:
            from tests.pgcluster import PostgresCluster

            cluster = PostgresCluster().start()
            stack.callback(cluster.stop)
            url = cluster.create_database("portal")
            postmaster = int((cluster.data_dir / "postmaster.pid").read_text().split()[0])
        from casemodel import migrate

        migrate.upgrade(url)
        started = time.monotonic()
        accounts = create_accounts(url, total + 1)
        log(f"{total + 1} accounts in {time.monotonic() - started:.1f}s on "
            f"{'SQLite' if args.sqlite else 'PostgreSQL'}, Argon2id "
            f"{args.argon2 or 'as in casemodel (7,5)'}")  # fmt: skip

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = start_gunicorn(stack, url=url, instance=workdir / "instance", port=port,
                                workers=args.workers, threads=args.threads,
                                argon2=args.argon2)  # fmt: skip
        wait_ready(base, server)
        check_logged_in(base, *accounts.pop())
        time.sleep(0.5)
        pids = process_tree(server.pid)
        idle = rss_mb(pids)
        log(f"gunicorn {args.workers} workers x {args.threads} threads on {base}: "
            f"{len(pids)} processes, {idle:.1f} MB before the load")  # fmt: skip

        sampler = RssSampler(server.pid)
        sampler.start()
        database_pids = process_tree(postmaster) if postmaster else []
        cpu_before = (cpu_seconds(pids), cpu_seconds(database_pids), time.process_time())
        results, errors = run_open_loop(base, accounts, args.rate, args.seconds, deadline)
        database_pids = process_tree(postmaster) if postmaster else []
        cpu = (cpu_seconds(pids) - cpu_before[0], cpu_seconds(database_pids) - cpu_before[1],
               time.process_time() - cpu_before[2])  # fmt: skip
        report(f"{args.rate:g}/s", results, errors)
        capacity = 0.0
        for rate in rates:
            tried, failed = run_open_loop(base, accounts, rate, args.capacity_seconds, deadline)
            report(f"{rate:g}/s", tried, failed)
            if failed or not tried or percentile([r["login"] for r in tried], 0.95) > 300:
                break
            capacity = rate
        time.sleep(0.3)
        sampler.stop()
        after = rss_mb(process_tree(server.pid))
        if server.poll() is not None:
            errors.append(f"gunicorn exited with {server.returncode}")
        if not audit_chain_intact(url):
            errors.append("the global audit chain does not verify after the logins")

    for error in errors[:10]:
        log(f"error: {error}")
    if not results:
        log("no login succeeded")
        return 1
    peak = max(sampler.samples)
    growth = peak - idle
    log(f"RSS idle {idle:.1f}, peak {peak:.1f}, after {after:.1f} MB "
        f"({len(sampler.samples)} samples)")  # fmt: skip
    count = len(results)
    log(f"CPU per login at {args.rate:g}/s: portal {cpu[0] / count * 1000:.1f} ms, database "
        f"{cpu[1] / count * 1000:.1f} ms, this client {cpu[2] / count * 1000:.1f} ms "
        f"({os.cpu_count()} cores)")  # fmt: skip
    p95 = percentile([r["login"] for r in results], 0.95)
    log(host_speed_line().removeprefix("# "))
    print(f"login_p95_ms {p95:.1f} ms", flush=True)
    if rates:
        print(f"login_capacity_per_s {capacity:g} /s", flush=True)
    print(f"login_peak_rss_mb {peak:.1f} MB", flush=True)
    print(f"login_rss_growth_mb {growth:.1f} MB", flush=True)
    if p95 > TARGET_P95_MS:
        log(f"target missed: login_p95_ms {p95:.1f} > {TARGET_P95_MS:.0f}")
    if growth >= TARGET_GROWTH_MB:
        log(f"target missed: login_rss_growth_mb {growth:.1f} >= {TARGET_GROWTH_MB:.0f}")
    return 1 if errors else 0


def report(label: str, results: list[dict[str, float]], errors: list[str]) -> None:
    if not results:
        log(f"{label}: no login succeeded ({len(errors)} errors)")
        return
    for step in ("get_login", "password", "get_code", "code", "login"):
        values = [r[step] for r in results]
        log(f"{label} {step:9s} p50 {statistics.median(values):7.1f}  p95 "
            f"{percentile(values, 0.95):7.1f}  max {max(values):7.1f} ms")  # fmt: skip
    log(f"{label}: {len(results)} logins, {len(errors)} failed")


if __name__ == "__main__":
    sys.exit(main())
