"""The production topology on loopback: one PostgreSQL, one Prefect server (on it, with its API
credentials), two dossier workers, two portal processes under gunicorn and one outbox relay.
Fifty dossiers are opened and completed through the portals, from ten browsers at once: every
dossier gets its own number, reaches its end, and every step ran once."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyotp
import pytest
from prefect import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_URL, temporary_settings
from prefect.utilities.asyncutils import run_coro_as_sync
from sqlalchemy import func, select

from casemodel import migrate
from casemodel.config import totp_keys
from casemodel.db import make_engine, make_session_factory, session_scope, utcnow
from casemodel.models import (
    AuditEvent,
    Dossier,
    HumanTask,
    Office,
    Organisation,
    OutboxMessage,
    Step,
)
from casemodel.services.accounts import create_user
from devtools.portal_client import Browser, csrf_token, log_in
from devtools.prefect_stack import PrefectStack, deploy, free_port, stop
from tests.fixtures.prefect import wait_for

pytestmark = [pytest.mark.prefect, pytest.mark.postgres]

DOSSIERS = 50
BROWSERS = 10
PASSWORD = "Topologie-test-2026!"
TEMPLATE = """\
key: topology-test
version: 1
office_kind: notary
title: {nl: Topologietest, en: Topology test}
steps:
  - {key: intake, title: {nl: Intake, en: Intake}, kind: staff_task}
  - key: prepare
    title: {nl: Voorbereiden, en: Prepare}
    kind: automatic
    settings: {action: record_milestone}
  - {key: review, title: {nl: Controle, en: Review}, kind: staff_task}
"""
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def topology(pg_cluster, tmp_path_factory):
    home = tmp_path_factory.mktemp("topology")
    portal_url = pg_cluster.create_database("portal_topology")
    migrate.upgrade(portal_url)
    prefect_db = pg_cluster.create_database("prefect_topology").replace("+psycopg", "+asyncpg")
    stack = PrefectStack(home / "prefect", database_url=prefect_db,
                         auth_string=f"dossierflow:{secrets.token_urlsafe(12)}")  # fmt: skip
    (home / "templates").mkdir()
    (home / "templates" / "topology-test.v1.yaml").write_text(TEMPLATE)
    env = {
        "DOSSIERFLOW_DATABASE_URL": portal_url,
        "DOSSIERFLOW_FILES": str(home / "files"),
        "DOSSIERFLOW_TEMPLATES": str(home / "templates"),
        "DOSSIERFLOW_INSTANCE": str(home / "instance"),
        "DOSSIERFLOW_SECRET_KEY": secrets.token_hex(32),  # one key for both portal processes
        # The key make_office seals the authenticators' secrets with, in this process.
        "DOSSIERFLOW_TOTP_KEY": b",".join(totp_keys()).decode(),
        "DOSSIERFLOW_INSECURE_COOKIES": "1",
        "DOSSIERFLOW_RATELIMIT_ENABLED": "0",  # ten browsers from one address
        "DOSSIERFLOW_RECONCILE_SECONDS": "5",
    }
    engine = make_engine(portal_url)
    factory = make_session_factory(engine)
    staff = make_office(factory, count=BROWSERS)
    portals: list[subprocess.Popen] = []
    try:
        stack.start_server()
        deploy(stack.env)
        stack.start_worker(env, name="worker-1")
        stack.start_worker(env, name="worker-2")
        stack.start_relay(env)
        bases = []
        for number in (1, 2):
            port = free_port()
            portals.append(start_gunicorn(stack, env, port, home / f"gunicorn-{number}.log"))
            bases.append(f"http://127.0.0.1:{port}")
        for base, process in zip(bases, portals, strict=True):
            wait_for(lambda b=base, p=process: answers(b, p), timeout=60, what=f"{base}")
        settings = {PREFECT_API_URL: stack.api_url,
                    PREFECT_API_AUTH_STRING: stack.env["PREFECT_API_AUTH_STRING"]}  # fmt: skip
        with temporary_settings(updates=settings):
            yield bases, staff, factory, stack
    finally:
        for process in portals:
            stop(process)
        stack.stop()
        engine.dispose()


def make_office(factory, count: int) -> list[tuple[str, str]]:
    """A notary office with one client organisation and `count` staff members, each with an
    authenticator (one login each: an authenticator code is taken once per user)."""
    with session_scope(factory) as session:
        office = Office(name="Notariaat Topologie", kind="notary")
        session.add(office)
        session.flush()
        session.add(Organisation(office_id=office.id, client_number="TOPO-1", kind="company",
                                 name="Topologie B.V.", created_at=utcnow()))  # fmt: skip
        staff = []
        for number in range(count):
            user = create_user(session, email=f"staff{number}@topologie.example",
                               name=f"Medewerker {number}", password=PASSWORD, role="staff",
                               office_ids=[office.id])  # fmt: skip
            user.second_factor = "totp"
            user.totp_secret = pyotp.random_base32()
            staff.append((user.email, user.totp_secret))
    return staff


def start_gunicorn(stack: PrefectStack, env: dict[str, str], port: int, log: Path):
    command = [str(BIN / "gunicorn"), "--workers", "1", "--threads", "4",
               "--bind", f"127.0.0.1:{port}", "webapp:create_app()"]  # fmt: skip
    with log.open("ab") as out:
        return subprocess.Popen(
            command, env={**os.environ, **stack.env, **env},
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip


def answers(base: str, process: subprocess.Popen) -> bool:
    assert process.poll() is None, f"gunicorn at {base} exited"
    try:
        with urllib.request.urlopen(f"{base}/login", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


class Desk:
    """One staff member's browser on one of the portals."""

    def __init__(self, base: str, email: str, secret: str) -> None:
        self.browser = Browser(base)
        self.lock = threading.Lock()
        log_in(self.browser, email, PASSWORD, secret)

    def post_form(self, form_path: str, action: str, fields: dict[str, str]) -> tuple[int, str]:
        with self.lock:
            status, _, page = self.browser.request("GET", form_path)
            assert status == 200, (form_path, status)
            status, location, _ = self.browser.request(
                "POST", action, {"csrf_token": csrf_token(page), **fields}
            )
            return status, location


def open_dossier(office: Desk, organisation_id: int, index: int) -> int:
    status, location = office.post_form("/office/dossiers/new", "/office/dossiers/new", {
        "organisation_id": str(organisation_id), "template_key": "topology-test",
        "description": f"Topologiestraat {index}",
    })  # fmt: skip
    assert status == 302 and re.search(r"/office/dossiers/\d+$", location), (status, location)
    return int(location.rsplit("/", 1)[1])


def complete_step(office: Desk, factory, dossier_id: int, key: str) -> None:
    def open_task():
        with session_scope(factory) as session:
            return session.scalar(
                select(HumanTask.id).join(HumanTask.step)
                .where(HumanTask.dossier_id == dossier_id, HumanTask.state == "open",
                       Step.key == key)
            )  # fmt: skip

    task_id = wait_for(open_task, timeout=180, what=f"task {key} of dossier {dossier_id}")
    status, location = office.post_form(
        f"/office/dossiers/{dossier_id}", f"/office/tasks/{task_id}/complete", {"back": "dossier"}
    )
    assert status == 302 and location.endswith(f"/office/dossiers/{dossier_id}"), location


def test_fifty_dossiers_through_two_portals_two_workers_and_a_relay(topology):
    bases, staff, factory, stack = topology
    with session_scope(factory) as session:
        organisation_id = session.scalar(select(Organisation.id))
    offices = [Desk(bases[i % 2], email, secret) for i, (email, secret) in enumerate(staff)]
    started = time.monotonic()

    def one_dossier(index: int) -> int:
        office = offices[index % BROWSERS]
        dossier_id = open_dossier(office, organisation_id, index)
        complete_step(office, factory, dossier_id, "intake")
        # The other portal completes the second step.
        complete_step(offices[(index + 1) % BROWSERS], factory, dossier_id, "review")
        return dossier_id

    with ThreadPoolExecutor(BROWSERS) as pool:
        dossier_ids = list(pool.map(one_dossier, range(DOSSIERS)))

    def all_completed():
        with session_scope(factory) as session:
            return session.scalar(
                select(func.count()).select_from(Dossier).where(Dossier.status == "completed")
            ) == DOSSIERS  # fmt: skip

    wait_for(all_completed, timeout=240, what="all dossiers to complete")

    def outbox_drained():
        # A step done before its run reached it (the first step opens with the dossier) leaves
        # a resume that waits, backing off up to 30 s, until the run has gone past the step.
        with session_scope(factory) as session:
            return not session.scalar(
                select(func.count()).select_from(OutboxMessage)
                .where(OutboxMessage.done_at.is_(None), OutboxMessage.dead_at.is_(None))
            )  # fmt: skip

    wait_for(outbox_drained, timeout=90, what="every outbox message to be delivered")
    print(f"\n50 dossiers opened and completed in {time.monotonic() - started:.0f}s")

    with session_scope(factory) as session:
        numbers = session.scalars(select(Dossier.number)).all()
        year = utcnow().year
        assert sorted(numbers) == [f"{year}-{n:05d}" for n in range(1, DOSSIERS + 1)]
        rows = session.execute(
            select(AuditEvent.dossier_id, AuditEvent.action, AuditEvent.detail)
            .where(AuditEvent.action.in_(["task.opened", "step.done", "step.failed"]))
        ).all()  # fmt: skip
        counted = Counter((d, action, detail.get("step")) for d, action, detail in rows)
        outbox = session.execute(
            select(OutboxMessage.kind, OutboxMessage.done_at.is_not(None),
                   OutboxMessage.dead_at.is_not(None))
        ).all()  # fmt: skip
        run_ids = session.scalars(select(Dossier.flow_run_id)).all()
    for dossier_id in dossier_ids:
        for key in ("intake", "review"):
            assert counted[(dossier_id, "task.opened", key)] == 1, (dossier_id, key)
        for key in ("intake", "prepare", "review"):
            assert counted[(dossier_id, "step.done", key)] == 1, (dossier_id, key)
    assert not [key for key in counted if key[1] == "step.failed"]
    assert all(done and not dead for _kind, done, dead in outbox), Counter(outbox)
    assert Counter(kind for kind, _d, _x in outbox)["resume_flow_run"] == 2 * DOSSIERS

    # Both workers took part, and every run of the deployment is a dossier's, once.
    async def runs():
        async with get_client() as client:
            return await client.read_flow_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=run_ids)), limit=100
            )

    def all_runs_completed():
        # The portal records a dossier completed in the run's last task, a moment before
        # Prefect has the run Completed.
        flow_runs = run_coro_as_sync(runs())
        done = len(flow_runs) == DOSSIERS and all(r.state.is_completed() for r in flow_runs)
        return flow_runs if done else None

    flow_runs = wait_for(all_runs_completed, timeout=60, what="every run Completed in Prefect")
    workers = Counter((r.labels or {}).get("prefect.worker.name") for r in flow_runs)
    assert set(workers) == {"worker-1", "worker-2"}, workers
