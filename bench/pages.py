"""How long the client's pages take server-side, and whether that holds as the database grows.

    .venv/bin/python -m bench.pages [--sqlite] [--sizes 1000,100000] [--requests 200]
                                    [--explain] [--sql "CREATE INDEX ..."]

For each size N it makes a fresh database (PostgreSQL from tests/pgcluster.py, as in production;
SQLite with --sqlite), migrates it, bulk-loads N dossiers with ten steps each over 2,000
organisations (COPY on PostgreSQL, Core executemany on SQLite), runs ANALYZE, logs in as the one
client whose organisation holds exactly 50 of those dossiers, and times in-process, around
Flask's test client, `--requests` requests each of /home, /dossiers and /dossiers/<id> after a
warm-up. It prints, for the largest size and then with a `_1k` suffix for 1,000 dossiers,

    page_home_p95_ms <v> ms
    page_dossiers_p95_ms <v> ms
    page_dossier_p95_ms <v> ms
    page_scale_ratio <v> ratio      worst p95 at the largest size / worst p95 at 1,000

--explain prints EXPLAIN ANALYZE of every statement each page runs, at every size (PostgreSQL);
--sql runs statements (e.g. a candidate index) before ANALYZE, to try a fix without a migration.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import random
import re
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import JSON, event, text  # noqa: E402
from sqlalchemy.engine import Connection, Engine  # noqa: E402

from bench import databases  # noqa: E402
from casemodel import migrate  # noqa: E402
from casemodel.db import Base, make_engine  # noqa: E402
from casemodel.services.accounts import hash_password  # noqa: E402

PAGES = ("home", "dossiers", "dossier")
ORGANISATIONS = 2_000
STEPS_PER_DOSSIER = 10
CLIENT_DOSSIERS = 50
STAFF_USERS = 20
CLIENT_EMAIL = "bench-client@example.nl"
CLIENT_PASSWORD = "Bench-password-2026"
WARM_UP = 20
#: Requests per page in one round; the sizes take turns round by round.
ROUND_SIZE = 20
TARGET_P95_MS = 50.0
TARGET_RATIO = 1.3

#: (key, title nl, title en, kind, counts toward progress, task audience) of each dossier's steps,
#: after the notary's "levering woning" template.
STEPS = [
    ("intake", "Intake en opdrachtbevestiging", "Intake and engagement letter", "staff_task",
     True, None),
    ("client-documents", "Stukken van de koper", "The buyer's documents", "upload_request",
     True, "client"),
    ("registers", "Onderzoek Kadaster en registers", "Land registry checks", "staff_task",
     True, "staff"),
    ("dates-check", "Controle planning", "Planning check", "automatic", False, None),
    ("draft-deed", "Concept leveringsakte", "Draft deed of transfer", "staff_task", True, None),
    ("mortgage-offer", "Hypotheekofferte", "Mortgage offer", "upload_request", True, "client"),
    ("settlement", "Nota van afrekening", "Settlement statement", "staff_task", True, None),
    ("until-signing", "Wachten op ondertekening", "Waiting for signing", "wait_until",
     False, None),
    ("signing", "Ondertekening", "Signing", "staff_task", True, None),
    ("registration", "Inschrijving Kadaster", "Land registry entry", "automatic", True, None),
]  # fmt: skip
#: The settings of the steps of a kind that has any (the client's upload requests).
SETTINGS = {
    "upload_request": {"files": [
        {"key": "document", "title": {"nl": "Het gevraagde stuk", "en": "The document asked for"}},
    ]},
}  # fmt: skip
assert len(STEPS) == STEPS_PER_DOSSIER

EPOCH = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


# --- the data ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seeded:
    client_organisation_id: int
    client_dossier_ids: list[int]
    client_open: int
    client_open_client_tasks: int
    numbers: dict[int, str]


def dossier_rows(size: int, rng: random.Random) -> tuple[list[tuple], list[tuple], list[tuple],
                                                         Seeded]:  # fmt: skip
    """Dossiers, steps and human tasks as tuples in the column order of DOSSIER_COLUMNS etc."""
    client_organisation = ORGANISATIONS // 2 + 17
    # The client's dossiers are spread over the whole id range, as a long-time client's would be.
    stride = size // CLIENT_DOSSIERS
    client_ids = [1 + i * stride for i in range(CLIENT_DOSSIERS)]
    client_set = set(client_ids)
    dossiers, steps, tasks = [], [], []
    numbers: dict[int, str] = {}
    client_open = client_tasks = 0
    step_id = task_id = 0
    for dossier_id in range(1, size + 1):
        if dossier_id in client_set:
            organisation = client_organisation
            # Every progress position and a cancelled one among the client's 50: mixed states.
            reached = client_ids.index(dossier_id) % (STEPS_PER_DOSSIER + 1)
            cancelled = client_ids.index(dossier_id) % 13 == 5
        else:
            organisation = rng.randrange(1, ORGANISATIONS)
            organisation += organisation >= client_organisation
            reached = rng.randrange(STEPS_PER_DOSSIER + 1)
            cancelled = rng.random() < 0.05
        created = EPOCH - dt.timedelta(days=(size - dossier_id) * 1000 / size,
                                       seconds=rng.randrange(86_400))  # fmt: skip
        if reached == STEPS_PER_DOSSIER:
            status, completed = "completed", created + dt.timedelta(days=40)
        elif cancelled:
            status, completed = "cancelled", created + dt.timedelta(days=20)
        else:
            status, completed = "open", None
        number = f"{created.year}-{dossier_id:06d}"
        numbers[dossier_id] = number
        dossiers.append((
            dossier_id, number, f"Levering Keizersgracht {dossier_id % 500 + 1}, Amsterdam",
            status, 1 + organisation % 2, organisation, 2 + dossier_id % STAFF_USERS,
            "levering-woning", 1, f"run-{dossier_id}", {"signing": "2026-12-01"}, created,
            completed,
        ))  # fmt: skip
        current_state = rng.choice(("running", "waiting", "waiting", "failed"))
        for position, (key, nl, en, kind, counts, audience) in enumerate(STEPS):
            step_id += 1
            if position < reached:
                state = "skipped" if not counts else "done"
                started = created + dt.timedelta(days=position * 3)
                finished = started + dt.timedelta(days=2)
            elif position == reached and status == "open":
                state, started, finished = current_state, created + dt.timedelta(days=30), None
            else:
                state, started, finished = "pending", None, None
            steps.append((step_id, dossier_id, key, nl, en, position, kind, counts,
                          SETTINGS.get(kind, {}), state,
                          started, finished))  # fmt: skip
            if audience and state in ("done", "waiting"):
                task_id += 1
                task_state = "done" if state == "done" else "open"
                tasks.append((task_id, dossier_id, step_id, kind, audience, None, task_state,
                              started or created, finished, None))  # fmt: skip
                if dossier_id in client_set and task_state == "open" and audience == "client":
                    client_tasks += 1
        if dossier_id in client_set and status == "open":
            client_open += 1
    seeded = Seeded(client_organisation, client_ids, client_open, client_tasks, numbers)
    return dossiers, steps, tasks, seeded


def seed(engine: Engine, size: int) -> Seeded:
    """Bulk-load offices, organisations, users, their memberships (of offices for the staff,
    of organisations for the clients), dossiers, steps and tasks."""
    rng = random.Random(20261121 + size)
    now = EPOCH
    # No second factor for the bench's client: the bench times pages, not logins (bench.login).
    offices = [(1, "Notariskantoor Lont & Lalmahomed", "notary", False),
               (2, "Accountantskantoor Tamek", "accountancy", False)]  # fmt: skip
    organisations = [
        (i, 1 + i % 2, f"K-{i:05d}", f"Relatie {i} B.V.", "company" if i % 3 else "person", now)
        for i in range(1, ORGANISATIONS + 1)
    ]
    users = [(1, CLIENT_EMAIL, "Bench Klant", "client", hash_password(CLIENT_PASSWORD),
              "nl", True, now)]  # fmt: skip
    users += [
        (i, f"staff{i}@example.nl", f"Medewerker {i}", "staff", None, "nl", True, now)
        for i in range(2, 2 + STAFF_USERS)
    ]
    office_memberships = [(i, i, 1 + i % 2, now) for i in range(2, 2 + STAFF_USERS)]
    dossiers, steps, tasks, seeded = dossier_rows(size, rng)
    # Every other organisation has a client user of its own.
    first_client = 2 + STAFF_USERS
    memberships = [(1, 1, seeded.client_organisation_id, True, True, now)]
    for organisation in range(1, ORGANISATIONS + 1):
        if organisation == seeded.client_organisation_id:
            continue
        user_id = first_client + len(memberships) - 1
        users.append((user_id, f"klant{organisation}@example.nl", f"Klant {organisation}",
                      "client", None, "nl", True, now))  # fmt: skip
        memberships.append((len(memberships) + 1, user_id, organisation, True, True, now))

    with engine.begin() as connection:
        load = _copy if engine.dialect.name == "postgresql" else _executemany
        if engine.dialect.name == "postgresql":
            # No foreign-key triggers during the load (the rows are consistent by construction):
            # they are most of COPY's time. Needs a superuser, which the throwaway cluster has.
            connection.execute(text("SET LOCAL session_replication_role = replica"))
        for table, rows in [
            ("offices", offices),
            ("organisations", organisations),
            ("users", users),
            ("office_memberships", office_memberships),
            ("memberships", memberships),
            ("dossiers", dossiers),
            ("steps", steps),
            ("human_tasks", tasks),
        ]:
            load(connection, table, rows)
            if engine.dialect.name == "postgresql":
                connection.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) "
                        f"FROM {table}"
                    )  # fmt: skip
                )
    return seeded


#: The columns the rows below fill, where that is not every column of the table (the others
#: take their server defaults).
COLUMNS = {
    "offices": ["id", "name", "kind", "require_second_factor"],
    "organisations": ["id", "office_id", "client_number", "name", "kind", "created_at"],
    "users": ["id", "email", "name", "role", "password_hash", "locale", "is_active",
              "created_at"],
    "memberships": ["id", "user_id", "organisation_id", "can_approve", "is_admin",
                    "created_at"],
    "steps": ["id", "dossier_id", "key", "title_nl", "title_en", "position", "kind",
              "counts_toward_progress", "settings", "state", "started_at", "finished_at"],
    "human_tasks": ["id", "dossier_id", "step_id", "kind", "audience", "assignee_id", "state",
                    "created_at", "completed_at", "completed_by_id"],
}  # fmt: skip


def _columns(table: str) -> list[str]:
    return COLUMNS.get(table) or [column.name for column in Base.metadata.tables[table].columns]


def _copy(connection: Connection, table: str, rows: list[tuple]) -> None:
    columns = _columns(table)
    json_at = [
        i
        for i, name in enumerate(columns)
        if isinstance(Base.metadata.tables[table].c[name].type, JSON)
    ]
    cursor = connection.connection.driver_connection.cursor()
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            if json_at:
                row = list(row)
                for i in json_at:
                    row[i] = json.dumps(row[i])
            copy.write_row(row)


def _executemany(
    connection: Connection, table: str, rows: list[tuple], chunk: int = 20_000
) -> None:
    columns = _columns(table)
    insert = Base.metadata.tables[table].insert()
    for start in range(0, len(rows), chunk):
        connection.execute(
            insert, [dict(zip(columns, row, strict=True)) for row in rows[start : start + chunk]]
        )


def analyze(engine: Engine) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("ANALYZE"))


def run_sql(engine: Engine, statements: Iterable[str]) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for statement in statements:
            started = time.perf_counter()
            connection.execute(text(statement))
            log(f"  ran {statement!r} in {time.perf_counter() - started:.1f}s")


# --- the pages --------------------------------------------------------------------------------


def percentile(samples: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    ordered = sorted(samples)
    position = (len(ordered) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def make_app(url: str, translations: Path):
    from webapp import create_app

    return create_app(
        {
            "DATABASE_URL": url,
            "WTF_CSRF_ENABLED": False,
            "SESSION_COOKIE_SECURE": False,
            "RELAY_WAKE": "",
            # Errors raise instead of rendering an error page that would be timed as a page.
            "TESTING": True,
            "BABEL_TRANSLATION_DIRECTORIES": str(translations),
        }
    )


def page_urls(seeded: Seeded) -> dict[str, str]:
    # A dossier in the middle of the id range, with steps in mixed states.
    return {
        "home": "/home",
        "dossiers": "/dossiers",
        "dossier": f"/dossiers/{seeded.client_dossier_ids[CLIENT_DOSSIERS // 2 + 3]}",
    }


def check_pages(client, seeded: Seeded) -> None:
    """The pages show this client's data: the bench must not time an error or empty page."""
    urls = page_urls(seeded)
    home = client.get(urls["home"])
    body = home.get_data(as_text=True)
    assert home.status_code == 200, f"/home answered {home.status_code}"
    assert f'data-testid="dossiers-total">{CLIENT_DOSSIERS}<' in body, "home: total is not 50"
    assert f'data-testid="dossiers-in-progress">{seeded.client_open}<' in body, "home: open count"
    assert f'data-testid="actions">{seeded.client_open_client_tasks}<' in body, "home: actions"

    listing = client.get(urls["dossiers"])
    body = listing.get_data(as_text=True)
    assert listing.status_code == 200, f"/dossiers answered {listing.status_code}"
    shown = re.findall(r'href="/dossiers/(\d+)"', body)
    assert len(shown) == 20, f"/dossiers shows {len(shown)} dossiers, not a page of 20"
    newest = sorted(seeded.client_dossier_ids, reverse=True)[:20]
    assert sorted(map(int, shown), reverse=True) == newest, "/dossiers: not the newest 20"
    assert "Pagina 1 van 3" in body or "Page 1 of 3" in body, "/dossiers: pager not 3 pages"

    dossier_id = int(urls["dossier"].rsplit("/", 1)[1])
    page = client.get(urls["dossier"])
    body = page.get_data(as_text=True)
    assert page.status_code == 200, f"{urls['dossier']} answered {page.status_code}"
    assert seeded.numbers[dossier_id] in body, "dossier page: number missing"
    assert body.count('<li class="step ') == sum(counts for *_, counts, _ in STEPS), "steps"


@dataclass
class Timings:
    #: Wall-clock ms of each request: the figure.
    wall: list[float] = field(default_factory=list)
    #: CPU ms this process spent on each request (the rest is waiting, mostly for the database).
    cpu: list[float] = field(default_factory=list)
    #: Statements sent to the database (round trips, COMMIT included), over all requests.
    statements: int = 0


@dataclass
class Site:
    """One size's database with the app on it, logged in as the client."""

    size: int
    seeded: Seeded
    app: object
    client: object
    engine: Engine
    session_factory: object
    timings: dict[str, Timings] = field(default_factory=lambda: {page: Timings() for page in PAGES})

    def activate(self) -> None:
        """Point the app's database extension at this site's engine. webapp.extensions.db is one
        object shared by every app in the process, and init_app() rebinds it: the sites take
        turns, so that each round of requests of one size runs next to a round of the other."""
        from webapp.extensions import db

        db.engine, db.session_factory = self.engine, self.session_factory


def time_round(site: Site, requests: int) -> None:
    """`requests` timed requests of each page, added to the site's timings."""
    site.activate()
    statements = 0

    def count(*_args):
        nonlocal statements
        statements += 1

    for page, url in page_urls(site.seeded).items():
        timing = site.timings[page]
        statements = 0
        event.listen(site.engine, "before_cursor_execute", count)
        event.listen(site.engine, "commit", count)
        try:
            for _ in range(requests):
                started, started_cpu = time.perf_counter(), time.process_time()
                response = site.client.get(url)
                timing.wall.append((time.perf_counter() - started) * 1000)
                timing.cpu.append((time.process_time() - started_cpu) * 1000)
                assert response.status_code == 200, f"{url} answered {response.status_code}"
        finally:
            event.remove(site.engine, "before_cursor_execute", count)
            event.remove(site.engine, "commit", count)
        timing.statements += statements


def explain_pages(app, client, seeded: Seeded) -> None:
    """EXPLAIN ANALYZE every statement that each page runs (PostgreSQL)."""
    from webapp.extensions import db

    captured: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        captured.append((statement, parameters))

    for page, url in page_urls(seeded).items():
        captured.clear()
        event.listen(db.engine, "before_cursor_execute", capture)
        try:
            client.get(url)
        finally:
            event.remove(db.engine, "before_cursor_execute", capture)
        log(f"\n===== {page} ({url}): {len(captured)} statements")
        raw = db.engine.raw_connection()
        try:
            cursor = raw.cursor()
            for statement, parameters in captured:
                if not statement.lstrip().upper().startswith("SELECT"):
                    continue
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
                plan = "\n".join(row[0] for row in cursor.fetchall())
                log(f"--- {' '.join(statement.split())[:300]}\n    {parameters}\n{plan}")
            raw.rollback()
        finally:
            raw.close()


# --- the run ----------------------------------------------------------------------------------


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def prepare(url: str, size: int, args, translations: Path) -> Site:
    """Migrate, seed and analyze the empty database at url; log in and check the pages."""
    started = time.perf_counter()
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        seeded = seed(engine, size)
        seeded_at = time.perf_counter()
        if args.sql:
            run_sql(engine, args.sql)
        analyze(engine)
    finally:
        engine.dispose()
    log(
        f"[{size:,} dossiers] migrated and seeded in {seeded_at - started:.1f}s "
        f"({size * STEPS_PER_DOSSIER:,} steps), analyzed in {time.perf_counter() - seeded_at:.1f}s"
    )
    from webapp.extensions import db
    from webapp.process import freeze_startup_objects

    app = make_app(url, translations)
    freeze_startup_objects()  # as gunicorn.conf.py's post_worker_init does in production
    site = Site(size, seeded, app, app.test_client(), db.engine, db.session_factory)
    response = site.client.post("/login", data={"email": CLIENT_EMAIL, "password": CLIENT_PASSWORD})
    assert response.status_code == 302, f"login failed: {response.status_code}"
    check_pages(site.client, seeded)
    if args.explain and url.startswith("postgresql"):
        explain_pages(app, site.client, seeded)
    for url in page_urls(seeded).values():
        for _ in range(WARM_UP):
            assert site.client.get(url).status_code == 200
    return site


def measure(sites: list[Site], requests: int) -> dict[int, dict[str, float]]:
    """Time the sites in alternating rounds, so that a burst of load on a shared machine falls
    on every size alike instead of on whichever ran at that moment. Returns p95 per page."""
    rounds = max(1, requests // ROUND_SIZE)
    for number in range(rounds):
        for site in sites if number % 2 == 0 else reversed(sites):
            time_round(site, requests // rounds + (number < requests % rounds))
    results = {}
    for site in sites:
        results[site.size] = {}
        for page, timing in site.timings.items():
            p95 = results[site.size][page] = percentile(timing.wall, 0.95)
            log(
                f"[{site.size:,} dossiers] {page:<8} p50 {percentile(timing.wall, 0.5):6.2f} ms"
                f"  p95 {p95:6.2f} ms  max {max(timing.wall):6.2f} ms  | this process's CPU p50 "
                f"{percentile(timing.cpu, 0.5):5.2f} ms, "
                f"{timing.statements / len(timing.wall):.0f} statements per request"
            )
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sqlite", action="store_true", help="SQLite files, not PostgreSQL")
    parser.add_argument("--sizes", default="1000,100000", help="dossier counts, comma-separated")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE each query")
    parser.add_argument("--sql", action="append", default=[], help="run before ANALYZE")
    args = parser.parse_args(argv)
    sizes = sorted(int(size) for size in args.sizes.split(","))
    if sizes[0] < CLIENT_DOSSIERS * 2:
        parser.error(f"sizes must be at least {CLIENT_DOSSIERS * 2}")

    def stop_on_sigterm(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop_on_sigterm)
    workdir = Path(tempfile.mkdtemp(prefix="dossierflow-bench-pages-"))
    # Nothing of the bench may land in the project's instance/ (the secret key file, the SQLite).
    os.environ["DOSSIERFLOW_INSTANCE"] = str(workdir / "instance")
    os.environ["DOSSIERFLOW_SECRET_KEY"] = "bench-only-secret-key"
    try:
        from devtools import i18n

        translations = workdir / "translations"
        i18n.compile_catalogs(translations)
        with databases(args.sqlite, workdir) as new_database:
            sites = [
                prepare(new_database(f"bench_{size}"), size, args, translations) for size in sizes
            ]
            try:
                results = measure(sites, args.requests)
            finally:
                for site in sites:
                    site.engine.dispose()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    largest, smallest = results[sizes[-1]], results[sizes[0]]
    for page in PAGES:
        print(f"page_{page}_p95_ms {largest[page]:.2f} ms", flush=True)
    ratio = max(largest.values()) / max(smallest.values())
    print(f"page_scale_ratio {ratio:.2f} ratio", flush=True)
    suffix = "_1k" if sizes[0] == 1_000 else f"_{sizes[0]}"
    for page in PAGES:
        print(f"page_{page}_p95_ms{suffix} {smallest[page]:.2f} ms", flush=True)

    missed = [f"page_{page}_p95_ms" for page in PAGES if largest[page] > TARGET_P95_MS]
    missed += ["page_scale_ratio"] if ratio > TARGET_RATIO else []
    if missed:
        log(f"target missed: {', '.join(missed)} (p95 <= {TARGET_P95_MS} ms, ratio <= "
            f"{TARGET_RATIO})")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
