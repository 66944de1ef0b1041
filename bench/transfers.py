"""Files through the portal: a 100 MB upload and download over loopback, the workers' memory
meanwhile, and the client's dossier page for a busy dossier.

    .venv/bin/python -m bench.transfers [--sqlite] [--size-mb 100] [--rounds 3] [--workers 2]
                                    [--threads 4] [--requests 100] [--documents 500]
                                    [--messages 1000] [--profile DIR]

Starts a PostgreSQL cluster (tests/pgcluster.py; --sqlite for a SQLite file), migrates a fresh
database and creates one accountancy office, one client organisation with its contact person,
two client accounts with an authenticator (as bench.login: the replay guard takes a code once
per user, and two logins follow each other), a dossier with one published document of SIZE MB
(a PDF header, then random bytes), and a busy dossier with DOCUMENTS documents and MESSAGES
messages. Serves `webapp:create_app()` with gunicorn on 127.0.0.1 (the file store and the upload
limit, DOSSIERFLOW_MAX_UPLOAD_MB, set for the run), logs in as bench.login does, and then

    upload_100mb_mb_per_s <v> MB/s      median of ROUNDS POST /archive/uploads, raw body
    download_100mb_mb_per_s <v> MB/s    median of ROUNDS GET of the document's download route
    upload_rss_growth_mb <v> MB         peak RSS of the gunicorn workers (summed) during the
                                        uploads, minus their sum just before
    page_dossier_busy_p95_ms <v> ms     the busy dossier's page, default tab, server-side
    page_dossier_busy_messages_p95_ms <v> ms    the same with ?tab=messages

MB is 2**20 bytes. The page figures are timed in this process around Flask's test client (as
bench.pages does: no network, no browser). --profile DIR writes a cProfile of the uploads and the
downloads taken in the gunicorn workers (one file per worker process) to DIR.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import io
import os
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import databases  # noqa: E402
from bench.login import (  # noqa: E402
    PASSWORD,
    SSL_CONTEXT,
    cpu_seconds,
    csrf_token,
    free_port,
    log,
    percentile,
    process_tree,
    rss_mb,
    start_gunicorn,
    stop_server,
    wait_ready,
)

MB = 1024 * 1024
TARGET_MB_PER_S = 100.0
TARGET_GROWTH_MB = 30.0
TARGET_P95_MS = 50.0
PROFILE_ENV = "DOSSIERFLOW_BENCH_PROFILE"
DATA_CSRF_RE = re.compile(r'data-csrf="([^"]+)"')


@dataclass(frozen=True)
class Seeded:
    accounts: list[tuple[str, str]]  # (email, totp secret): the HTTP client, the page bench
    big_dossier_id: int
    big_document_id: int
    big_sha256: str
    busy_dossier_id: int
    busy_subject: str


# --- the data ------------------------------------------------------------------------------------


def big_pdf(size: int) -> bytes:
    """SIZE bytes the store accepts as a PDF: one page, and random bytes in a stream of their
    own (the store parses what it accepts, so a header alone would be refused)."""
    from tests.files import pdf_parts

    padding = size
    while True:  # the numbers in the PDF grow with the padding: settle on a size that fits
        prefix, suffix = pdf_parts(padding)
        if len(prefix) + padding + len(suffix) == size:
            return prefix + os.urandom(padding) + suffix
        padding = size - len(prefix) - len(suffix)


def seed(url: str, files: Path, *, size: int, documents: int, messages: int) -> Seeded:
    import pyotp

    from casemodel.db import make_engine, make_session_factory, session_scope, utcnow
    from casemodel.filestore import FileStore
    from casemodel.models import (
        Document,
        DocumentRead,
        DocumentVersion,
        Dossier,
        Message,
        MessageRead,
        Office,
        Organisation,
    )
    from casemodel.services.accounts import add_membership, create_user
    from casemodel.services.documents import publish_document
    from devtools.seed import demo_pdf

    store = FileStore(files)
    engine = make_engine(url)
    with session_scope(make_session_factory(engine)) as session:
        office = Office(name="Bench accountants", kind="accountancy")
        session.add(office)
        session.flush()
        staff = create_user(session, email="bench-staff@example.nl", name="Bench Medewerker",
                            role="staff", office_ids=[office.id], password=None)  # fmt: skip
        organisation = Organisation(client_number="BENCH-F1", name="Bench Bestanden B.V.",
                                    kind="company", office_id=office.id, created_at=utcnow(),
                                    contact_person_id=staff.id)  # fmt: skip
        session.add(organisation)
        session.flush()
        accounts, shared_hash = [], None
        for number in range(2):
            client = create_user(session, email=f"bench-files{number}@example.nl",
                                 name=f"Bench Klant {number}",
                                 password=None if shared_hash else PASSWORD)  # fmt: skip
            shared_hash = client.password_hash = shared_hash or client.password_hash
            client.second_factor, client.totp_secret = "totp", pyotp.random_base32()
            add_membership(session, user=client, organisation=organisation)
            accounts.append((client.email, client.totp_secret))
        reader = client  # the page bench's user: some of the busy dossier is read, some not

        def dossier(number: str, description: str) -> Dossier:
            made = Dossier(number=number, description=description, status="open",
                           office_id=office.id, organisation_id=organisation.id,
                           handler_id=staff.id, template_key="jaarrekening-ib",
                           template_version=1, created_at=utcnow())  # fmt: skip
            session.add(made)
            session.flush()
            return made

        big = dossier("BENCH-0001", "Groot bestand")
        stored = store.put(io.BytesIO(big_pdf(size)), max_bytes=size)
        document = publish_document(session, dossier=big, folder="documents",
                                    title="Grote scan", stored=stored, filename="scan.pdf",
                                    actor=staff)  # fmt: skip

        busy = dossier("BENCH-0002", "Jaarrekening met veel stukken")
        small = store.put(io.BytesIO(demo_pdf("Bench", ["bench"])), max_bytes=MB)
        now = utcnow()
        folders = ("correspondence", "documents", "supplied")
        rows = [Document(dossier_id=busy.id, folder=folders[i % 3], title=f"Stuk {i:04d}",
                         latest_version=1, created_at=now, updated_at=now, published_at=now,
                         created_by_id=staff.id) for i in range(documents)]  # fmt: skip
        session.add_all(rows)
        session.flush()
        session.add_all(
            DocumentVersion(document_id=row.id, version=1, sha256=small.sha256, size=small.size,
                            content_type=small.content_type, filename=f"{row.title}.pdf",
                            created_at=now, created_by_id=staff.id)
            for row in rows
        )  # fmt: skip
        session.add_all(DocumentRead(user_id=reader.id, document_id=row.id, version=1,
                                     read_at=now) for row in rows[::2])  # fmt: skip
        notes = [Message(dossier_id=busy.id, from_office=i % 3 != 0,
                         subject=f"Vraag over de jaarrekening {i:04d}",
                         body="Beste mevrouw,\n\nKunt u de bankafschriften van maart sturen?\n" * 3,
                         author_id=staff.id if i % 3 else reader.id, created_at=now)
                 for i in range(messages)]  # fmt: skip
        session.add_all(notes)
        session.flush()
        session.add_all(MessageRead(user_id=reader.id, message_id=note.id, read_at=now)
                        for note in notes[::2])  # fmt: skip
        seeded = Seeded(accounts, big.id, document.id, stored.sha256, busy.id,
                        notes[-1].subject)  # fmt: skip
    engine.dispose()
    return seeded


# --- the HTTP client -----------------------------------------------------------------------------


def logged_in_client(base: str, email: str, secret: str):
    """An httpx client past both login steps, as bench.login logs in."""
    import httpx
    import pyotp

    client = httpx.Client(base_url=base, timeout=300, follow_redirects=False, verify=SSL_CONTEXT)
    token = csrf_token(client.get("/login").text)
    client.post("/login", data={"csrf_token": token, "email": email, "password": PASSWORD})
    token = csrf_token(client.get("/login/code").text)
    answer = client.post("/login/code", data={"csrf_token": token,
                                              "code": pyotp.TOTP(secret).now()})  # fmt: skip
    assert answer.status_code == 302 and "/login" not in answer.headers.get("location", ""), (
        f"login of {email}: {answer.status_code} {answer.headers.get('location')}"
    )
    return client


def worker_pids(master: int) -> list[int]:
    return [pid for pid in process_tree(master) if pid != master]


class WorkerRss(threading.Thread):
    """The gunicorn workers' summed RSS every 50 ms, until stopped."""

    def __init__(self, master: int) -> None:
        super().__init__(daemon=True)
        self.master, self.samples = master, []
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.samples.append(rss_mb(worker_pids(self.master)))
            self._stop_event.wait(0.05)

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=5)


def raw_connection(client, base: str):
    """http.client on the logged-in session's cookies, for the large bodies: httpx (h11) spends
    about 9 ms of CPU per MB sent, as much as the server's whole work, on a machine whose cores
    the client shares with the server; a browser sends the file from native code."""
    port = int(base.rsplit(":", 1)[1])
    cookies = "; ".join(f"{cookie.name}={cookie.value}" for cookie in client.cookies.jar)
    # The same User-Agent too: the session's "strong" protection ends a session whose browser
    # changes.
    headers = {"Cookie": cookies, "User-Agent": client.headers["User-Agent"]}
    return http.client.HTTPConnection("127.0.0.1", port, timeout=300), headers


def time_uploads(client, base: str, size: int, rounds: int, master: int):
    """ROUNDS uploads of fresh random content; MB/s of each and the workers' RSS growth."""
    page = client.get("/archive", params={"folder": "upload"})
    assert page.status_code == 200, f"/archive: {page.status_code}"
    token = DATA_CSRF_RE.search(page.text).group(1)
    connection, headers = raw_connection(client, base)
    connection.request("POST", "/archive/uploads", body=b"not a pdf",
                       headers=headers | {"X-CSRFToken": token})  # fmt: skip
    answer = connection.getresponse()
    text = answer.read().decode()
    assert answer.status == 422, f"the session does not upload: {answer.status} {text[:300]}"
    speeds = []
    time.sleep(0.3)
    before = rss_mb(worker_pids(master))
    sampler = WorkerRss(master)
    sampler.start()
    try:
        for number in range(rounds):
            body = big_pdf(size)
            cpu = (time.process_time(), cpu_seconds(worker_pids(master)))
            started = time.perf_counter()
            connection.request(
                "POST", "/archive/uploads", body=body,
                headers=headers | {"X-File-Name": f"scan-{number}.pdf", "X-CSRFToken": token,
                                   "Content-Type": "application/pdf",
                                   "Accept": "application/json"},
            )  # fmt: skip
            answer = connection.getresponse()
            text = answer.read().decode()
            took = time.perf_counter() - started
            assert answer.status == 201, f"upload: {answer.status} {text[:200]}"
            speeds.append(size / MB / took)
            log(f"upload {number + 1}: {took * 1000:.0f} ms, {speeds[-1]:.0f} MB/s; CPU of this "
                f"client {(time.process_time() - cpu[0]) * 1000:.0f} ms, of the workers "
                f"{(cpu_seconds(worker_pids(master)) - cpu[1]) * 1000:.0f} ms")  # fmt: skip
    finally:
        time.sleep(0.2)
        sampler.stop()
        connection.close()
    growth = max(sampler.samples + [before]) - before
    log(f"workers' RSS: {before:.1f} MB before the uploads, peak {before + growth:.1f} MB")
    return speeds, growth


def time_downloads(client, base: str, seeded: Seeded, size: int, rounds: int) -> list[float]:
    url = f"/dossiers/{seeded.big_dossier_id}/documents/{seeded.big_document_id}/download"
    connection, headers = raw_connection(client, base)
    buffer = memoryview(bytearray(MB))
    speeds = []
    try:
        for number in range(rounds + 1):  # the first one checks the bytes
            digest, received = hashlib.sha256(), 0
            started = time.perf_counter()
            connection.request("GET", url, headers=headers)
            answer = connection.getresponse()
            assert answer.status == 200, f"download: {answer.status}"
            while count := answer.readinto(buffer):
                received += count
                if number == 0:
                    digest.update(buffer[:count])
            took = time.perf_counter() - started
            assert received == size, f"download: {received} bytes, not {size}"
            if number == 0:
                assert digest.hexdigest() == seeded.big_sha256, "download: other bytes"
            else:
                speeds.append(size / MB / took)
                log(f"download {number}: {took * 1000:.0f} ms, {speeds[-1]:.0f} MB/s")
    finally:
        connection.close()
    return speeds


def app_with_profile():
    """gunicorn's app factory for --profile: every request of the file routes under cProfile,
    dumped per worker process when it exits."""
    import atexit
    import cProfile

    from flask import request

    from webapp import create_app

    app = create_app()
    profiler = cProfile.Profile()
    folder = Path(os.environ[PROFILE_ENV])
    profiled: list[str] = []

    @app.before_request
    def start():
        if "/archive/uploads" in request.path or request.path.endswith("/download"):
            profiled.append(request.path)
            profiler.enable()

    @app.teardown_request
    def stop(_error):
        profiler.disable()

    def dump() -> None:
        if profiled:  # a worker that served none of them has nothing to say
            profiler.dump_stats(folder / f"worker-{os.getpid()}.prof")

    atexit.register(dump)
    return app


# --- the busy dossier's page ---------------------------------------------------------------------


def time_dossier_page(url: str, files: Path, seeded: Seeded, requests: int, translations: Path,
                      profile: Path | None = None) -> dict[str, list[float]]:  # fmt: skip
    import cProfile

    import pyotp
    from sqlalchemy import event

    from webapp import create_app
    from webapp.extensions import db

    app = create_app({
        "DATABASE_URL": url, "WTF_CSRF_ENABLED": False, "SESSION_COOKIE_SECURE": False,
        "OUTBOX_DELIVER_AFTER_COMMIT": False, "TESTING": True, "RATELIMIT_ENABLED": False,
        "BABEL_TRANSLATION_DIRECTORIES": str(translations), "FILES_PATH": str(files),
    })  # fmt: skip
    client = app.test_client()
    email, secret = seeded.accounts[1]
    assert client.post("/login", data={"email": email, "password": PASSWORD}).status_code == 302
    answer = client.post("/login/code", data={"code": pyotp.TOTP(secret).now()})
    assert answer.status_code == 302, f"page bench login: {answer.status_code}"
    pages = {
        "default": f"/dossiers/{seeded.busy_dossier_id}",
        "messages": f"/dossiers/{seeded.busy_dossier_id}?tab=messages",
    }
    body = client.get(pages["default"]).get_data(as_text=True)
    assert "Jaarrekening met veel stukken" in body, "the busy dossier's page"
    assert "Stuk 0" in body, "the default tab shows no documents"
    body = client.get(pages["messages"]).get_data(as_text=True)
    if seeded.busy_subject not in body:
        log("note: ?tab=messages does not list the newest message: timed the page as it is")
    timings: dict[str, list[float]] = {}
    for name, page in pages.items():
        for _ in range(10):  # warm-up
            assert client.get(page).status_code == 200
        timings[name], statements, cpu = [], [0], []

        def count(*_args, tally=statements) -> None:
            tally[0] += 1

        event.listen(db.engine, "before_cursor_execute", count)
        profiler = cProfile.Profile() if profile else None
        for _ in range(requests):
            started, started_cpu = time.perf_counter(), time.process_time()
            if profiler:
                profiler.enable()
            answer = client.get(page)
            if profiler:
                profiler.disable()
            timings[name].append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
            assert answer.status_code == 200, f"{page}: {answer.status_code}"
        event.remove(db.engine, "before_cursor_execute", count)
        if profiler:
            profiler.dump_stats(profile / f"page-{name}.prof")
        log(f"dossier page {name:<8} p50 {percentile(timings[name], 0.5):6.1f} ms  p95 "
            f"{percentile(timings[name], 0.95):6.1f} ms  max {max(timings[name]):6.1f} ms "
            f"| this process's CPU p50 {percentile(cpu, 0.5):5.1f} ms, {len(answer.data) // 1024} "
            f"KiB, {statements[0] / requests:.0f} statements")  # fmt: skip
    return timings


# --- the run -------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sqlite", action="store_true", help="a SQLite file, not PostgreSQL")
    parser.add_argument("--size-mb", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--requests", type=int, default=100, help="timed requests per page")
    parser.add_argument("--documents", type=int, default=500)
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--profile", type=Path, help="write the workers' cProfile here")
    parser.add_argument("--only", choices=("files", "pages"), help="one half of the bench")
    args = parser.parse_args()
    size = args.size_mb * MB
    figures: dict[str, tuple[float, str]] = {}
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)

    with ExitStack() as stack:
        workdir = Path(tempfile.mkdtemp(prefix="dossierflow-bench-files-"))
        stack.callback(shutil.rmtree, workdir, ignore_errors=True)
        # Nothing of the bench lands in the project's instance/; the gunicorn environment is
        # copied from this one.
        files = workdir / "files"
        os.environ.update(DOSSIERFLOW_INSTANCE=str(workdir / "instance"),
                          DOSSIERFLOW_FILES=str(files),
                          DOSSIERFLOW_MAX_UPLOAD_MB=str(args.size_mb + 10))  # fmt: skip
        url = stack.enter_context(databases(args.sqlite, workdir))("portal")
        from casemodel import migrate
        from devtools import i18n

        translations = workdir / "translations"
        i18n.compile_catalogs(translations)
        migrate.upgrade(url)
        started = time.monotonic()
        seeded = seed(url, files, size=size, documents=args.documents, messages=args.messages)
        log(f"seeded in {time.monotonic() - started:.1f}s on "
            f"{'SQLite' if args.sqlite else 'PostgreSQL'}: a {args.size_mb} MB document, "
            f"{args.documents} documents and {args.messages} messages")  # fmt: skip

        if args.only != "pages":
            uploads, growth, downloads = time_files(stack, url, workdir, seeded, size, args)
            figures = {
                "upload_100mb_mb_per_s": (statistics.median(uploads), "MB/s"),
                "download_100mb_mb_per_s": (statistics.median(downloads), "MB/s"),
                "upload_rss_growth_mb": (growth, "MB"),
            }
        if args.only != "files":
            timings = time_dossier_page(url, files, seeded, args.requests, translations,
                                        args.profile)  # fmt: skip
            figures |= {
                "page_dossier_busy_p95_ms": (percentile(timings["default"], 0.95), "ms"),
                "page_dossier_busy_messages_p95_ms": (percentile(timings["messages"], 0.95), "ms"),
            }

    for name, (value, unit) in figures.items():
        print(f"{name} {value:.1f} {unit}", flush=True)
    missed = [name for name, (value, unit) in figures.items()
              if (unit == "MB/s" and value < TARGET_MB_PER_S)
              or (unit == "MB" and value >= TARGET_GROWTH_MB)
              or (unit == "ms" and value > TARGET_P95_MS)]  # fmt: skip
    if missed:
        log(f"target missed: {', '.join(missed)} (>= {TARGET_MB_PER_S:.0f} MB/s, growth < "
            f"{TARGET_GROWTH_MB:.0f} MB, p95 <= {TARGET_P95_MS:.0f} ms)")  # fmt: skip
    return 0


def time_files(stack: ExitStack, url: str, workdir: Path, seeded: Seeded, size: int, args):
    """gunicorn up, log in, the uploads and the downloads, gunicorn down."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    if args.profile:
        os.environ[PROFILE_ENV] = str(args.profile.resolve())
        server = _start_profiled(stack, url, port, args)
    else:
        server = start_gunicorn(stack, url=url, instance=workdir / "instance", port=port,
                                workers=args.workers, threads=args.threads,
                                argon2=None)  # fmt: skip
    wait_ready(base, server)
    client = logged_in_client(base, *seeded.accounts[0])
    stack.callback(client.close)
    uploads, growth = time_uploads(client, base, size, args.rounds, server.pid)
    downloads = time_downloads(client, base, seeded, size, args.rounds)
    stop_server(server)
    if server.returncode not in (0, None):
        log(f"gunicorn exited with {server.returncode}")
    return uploads, growth, downloads


def _start_profiled(stack: ExitStack, url: str, port: int, args):
    """As bench.login.start_gunicorn, with the profiling app factory."""
    import subprocess

    env = dict(os.environ)
    env.update(DOSSIERFLOW_DATABASE_URL=url, DOSSIERFLOW_INSECURE_COOKIES="1",
               DOSSIERFLOW_RATELIMIT_ENABLED="0", DOSSIERFLOW_LIMIT_UPLOADS_MB_PER_USER="0",
               DOSSIERFLOW_LIMIT_UPLOADS_MB_PER_ORGANISATION="0",
               PREFECT_API_URL="http://127.0.0.1:9/api")  # fmt: skip
    env.pop("DOSSIERFLOW_SECRET_KEY", None)
    gunicorn = Path(sys.executable).parent / "gunicorn"
    command = [str(gunicorn), "--workers", str(args.workers), "--threads", str(args.threads),
               "--bind", f"127.0.0.1:{port}", "--timeout", "120", "--log-level", "warning",
               "bench.transfers:app_with_profile()"]  # fmt: skip
    server = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    stack.callback(stop_server, server)
    return server


if __name__ == "__main__":
    sys.exit(main())
