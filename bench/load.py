"""Fifty signed-in clients browsing the portal for a minute, against the production topology.

    .venv/bin/python -m bench.load [--users 50] [--seconds 60] [--workers 4] [--threads 4]

A PostgreSQL database (tests/pgcluster.py), migrated; an office with one client organisation
holding ten dossiers of the home transfer, and fifty client accounts of it, each with an
authenticator. The portal runs as `deploy/systemd/dossierflow-portal.service` runs it:
gunicorn with 4 processes of 4 threads on 127.0.0.1 (rate limits off: fifty clients from one
address; outbox delivery to a Prefect address that refuses at once). Each of fifty threads logs
its client in (password and authenticator code) and then, for 60 s, asks for Home, the dossier
list and one of the dossiers, in turn, pausing 0.5-1.5 s (1 s on average) between pages as a
person reading does; that offers about 50 pages a second. Each thread speaks plain http.client
over one keep-alive connection (devtools/portal_client.py). Timed: each page, from sending the
request to the end of the answer. An error is any answer but 200 with the page's own content,
or no answer. Prints

    load_50_users_p95_ms <ms> ms
    load_50_users_errors <count>
    load_50_users_pages_per_s <pages a second>
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import host_speed_line  # noqa: E402
from bench.resume_latency import percentile  # noqa: E402

PASSWORD = "Belasting-proef-2026!"
PAGES = [("/home", "Home"), ("/dossiers", "Dossiers"), (None, "Voortgang")]


def make_clients(url: str, users: int) -> tuple[list[tuple[str, str]], list[int]]:
    """The organisation's dossiers and `users` client accounts with an authenticator."""
    import pyotp

    from casemodel.casetemplates import TemplateRegistry
    from casemodel.db import make_engine, make_session_factory, session_scope
    from casemodel.services.accounts import add_membership, create_user
    from casemodel.services.dossiers import open_dossier
    from tests.fixtures.domain import make_firm

    engine = make_engine(url)
    template = TemplateRegistry.from_folder().latest("levering-woning")
    with session_scope(make_session_factory(engine)) as session:
        firm = make_firm(session, "load")
        dossiers = [open_dossier(session, template=template, organisation_id=firm.organisation.id,
                                 description=f"Belastingstraat {n}", actor=firm.staff).id
                    for n in range(10)]  # fmt: skip
        accounts, shared_hash = [], None
        for number in range(users):
            # One Argon2 hash for all: the same cost to verify, fifty times less set-up.
            user = create_user(
                session,
                email=f"load{number:03d}@example.nl",
                name=f"Lezer {number}",
                password=None if shared_hash else PASSWORD,
            )
            shared_hash = user.password_hash = shared_hash or user.password_hash
            user.second_factor = "totp"
            user.totp_secret = pyotp.random_base32()
            add_membership(session, user=user, organisation=firm.organisation)
            accounts.append((user.email, user.totp_secret))
    engine.dispose()
    return accounts, dossiers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args(argv)

    from devtools.portal_client import Browser, log_in
    from devtools.prefect_stack import free_port, stop
    from tests.pgcluster import PostgresCluster

    tmp = Path(tempfile.mkdtemp(prefix="dossierflow-bench-load-"))
    with ExitStack() as cleanups:
        cluster = cleanups.enter_context(PostgresCluster())
        url = cluster.create_database("portal")
        from casemodel import migrate

        migrate.upgrade(url)
        accounts, dossiers = make_clients(url, args.users)
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "DOSSIER"))}
        env.update(
            DOSSIERFLOW_DATABASE_URL=url, DOSSIERFLOW_INSTANCE=str(tmp / "instance"),
            DOSSIERFLOW_SECRET_KEY=secrets.token_hex(32), DOSSIERFLOW_INSECURE_COOKIES="1",
            DOSSIERFLOW_RATELIMIT_ENABLED="0", PREFECT_API_URL="http://127.0.0.1:9/api",
        )  # fmt: skip
        gunicorn = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "--workers", str(args.workers),
             "--threads", str(args.threads), "--bind", f"127.0.0.1:{port}",
             "--log-level", "warning", "webapp:create_app()"],
            cwd=ROOT, env=env, start_new_session=True,
        )  # fmt: skip
        cleanups.callback(stop, gunicorn)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if Browser(base).request("GET", "/login")[0] == 200:
                    break
            except OSError:
                if time.monotonic() > deadline or gunicorn.poll() is not None:
                    print("the portal did not start", file=sys.stderr)
                    return 1
                time.sleep(0.2)

        browsers = []
        for email, secret in accounts:
            browser = Browser(base)
            log_in(browser, email, PASSWORD, secret)
            browsers.append(browser)
        print(f"# {len(browsers)} clients signed in", file=sys.stderr)

        timings: list[float] = []
        errors: list[str] = []
        lock = threading.Lock()
        start = threading.Barrier(len(browsers))

        def browse(browser: Browser, seed: int) -> None:
            rng = random.Random(seed)
            start.wait()
            ends = time.monotonic() + args.seconds
            turn = seed
            while time.monotonic() < ends:
                path, expected = PAGES[turn % len(PAGES)]
                path = path or f"/dossiers/{rng.choice(dossiers)}"
                turn += 1
                began = time.perf_counter()
                try:
                    status, _, page = browser.request("GET", path)
                    took = (time.perf_counter() - began) * 1000
                    problem = None if status == 200 and expected in page else f"{path} {status}"
                except OSError as exc:
                    took, problem = (time.perf_counter() - began) * 1000, f"{path} {exc!r}"
                with lock:
                    timings.append(took)
                    if problem:
                        errors.append(problem)
                time.sleep(rng.uniform(0.5, 1.5))

        threads = [threading.Thread(target=browse, args=(b, n)) for n, b in enumerate(browsers)]
        began = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - began
    print(f"# pages={len(timings)} p50={percentile(timings, 0.5):.0f}ms "
          f"max={max(timings):.0f}ms errors={errors[:3]}", file=sys.stderr)  # fmt: skip
    print(host_speed_line(), file=sys.stderr)
    print(f"load_{args.users}_users_p95_ms {percentile(timings, 0.95):.0f} ms")
    print(f"load_{args.users}_users_errors {len(errors)}")
    print(f"load_{args.users}_users_pages_per_s {len(timings) / elapsed:.1f} /s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
