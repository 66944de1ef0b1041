"""Each way a dossier used to stop for good, reproduced with real processes and recovered: the
dossier reaches its next human step, and every step ran once.

One Prefect server on the throwaway PostgreSQL for the module; each test starts the workers and
the outbox relay (with its reconciler, every second here) it needs and kills them as the fault
asks. Heartbeats come every 30 s (Prefect's minimum) and the automation marks a run Crashed
after 45 s without one, so the tests that need it take about a minute; the others take seconds.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import secrets
import signal
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from prefect import get_client
from prefect.client.schemas.objects import StateType
from prefect.flow_runs import resume_flow_run
from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_URL, temporary_settings
from prefect.states import Cancelling, Pending
from prefect.utilities.asyncutils import run_coro_as_sync
from sqlalchemy import select, text, update

from casemodel import migrate
from casemodel.casetemplates import parse_template
from casemodel.db import make_engine, make_session_factory, session_scope, utcnow
from casemodel.models import AuditEvent, Dossier, HumanTask, OutboxMessage, Step
from casemodel.services.dossiers import open_dossier
from casemodel.services.failures import retry_dossier
from casemodel.services.steps import complete_staff_task, set_key_date
from devtools.prefect_stack import PrefectStack, deploy
from flows.reconcile import Reconciler
from flows.relay import deliver_due
from tests.fixtures.domain import make_firm
from tests.fixtures.prefect import FlowStack, wait_for
from tests.integration.test_dossier_flow import complete, flow_run, read, step_state, suspended_on
from tests.processes import kill

pytestmark = [pytest.mark.prefect, pytest.mark.postgres]

TEMPLATE = parse_template(
    {
        "key": "fault-test",
        "version": 1,
        "office_kind": "notary",
        "title": {"nl": "Storingstest", "en": "Fault test"},
        "steps": [
            {"key": "intake", "title": {"nl": "Intake", "en": "Intake"}, "kind": "staff_task"},
            {
                "key": "prepare",
                "title": {"nl": "Voorbereiden", "en": "Prepare"},
                "kind": "automatic",
                "settings": {"action": "record_milestone"},
            },
            {
                "key": "plan",
                "title": {"nl": "Plannen", "en": "Plan"},
                "kind": "staff_task",
                "settings": {"asks_date": "signing"},
            },
            {
                "key": "until-signing",
                "title": {"nl": "Wachten", "en": "Wait"},
                "kind": "wait_until",
                "progress": False,
                "settings": {"date": "signing"},
            },
            {"key": "sign", "title": {"nl": "Tekenen", "en": "Sign"}, "kind": "staff_task"},
        ],
    },
    "fault-test.yaml",
)
#: Short enough for tests, long enough that a busy host never misses a heartbeat by this much.
ZOMBIE_SECONDS = "45"


class Engine(FlowStack):
    """The module's stack, with the processes each test starts."""

    worker_env: dict[str, str]
    relay_env: dict[str, str]

    def worker(self, kind: str = "dossier", grace: float = 2.0):
        args = ["--grace", str(grace)] if kind == "dossier" else None
        return self.stack.start_worker(self.worker_env, kind, name=f"fault-{kind}", args=args)

    def relay(self):
        return self.stack.start_relay(self.relay_env)


@pytest.fixture(scope="module")
def engine(pg_cluster, tmp_path_factory) -> Iterator[Engine]:
    portal_url = pg_cluster.create_database("portal_faults")
    migrate.upgrade(portal_url)
    prefect_db = pg_cluster.create_database("prefect_faults").replace("+psycopg", "+asyncpg")
    # As deployed: the API answers only who sends the credentials (workers, relay, this test).
    stack = PrefectStack(tmp_path_factory.mktemp("prefect-faults"), database_url=prefect_db,
                         auth_string=f"dossierflow:{secrets.token_urlsafe(12)}")  # fmt: skip
    files = tmp_path_factory.mktemp("files-faults")
    sql = make_engine(portal_url)
    fs = Engine(stack, portal_url, make_session_factory(sql), files)
    fs.worker_env = {
        "DOSSIERFLOW_DATABASE_URL": portal_url,
        "DOSSIERFLOW_FILES": str(files),
        "PREFECT_LOGGING_LEVEL": "INFO",  # the worker's log tells what it did when it stopped
    }
    fs.relay_env = {
        **fs.worker_env,
        "DOSSIERFLOW_INSTANCE": str(tmp_path_factory.mktemp("instance-faults")),
        "DOSSIERFLOW_RECONCILE_SECONDS": "1",
        "DOSSIERFLOW_PENDING_SECONDS": "3",
    }
    try:
        stack.start_server()
        deploy({**stack.env, "DOSSIERFLOW_ZOMBIE_SECONDS": ZOMBIE_SECONDS})
        settings = {PREFECT_API_URL: stack.api_url,
                    PREFECT_API_AUTH_STRING: stack.env["PREFECT_API_AUTH_STRING"]}  # fmt: skip
        with temporary_settings(updates=settings):
            yield fs
    finally:
        stack.stop()
        sql.dispose()


@pytest.fixture
def processes(engine) -> Iterator[list]:
    """Stops, after the test, whatever it started (killed ones are gone already)."""
    before = len(engine.stack.processes)
    yield engine.stack.processes
    for process in engine.stack.processes[before:]:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(20)
            except Exception:
                process.kill()
    del engine.stack.processes[before:]


def open_fault_dossier(fs: Engine) -> int:
    with session_scope(fs.session_factory) as session:
        firm = make_firm(session, f"f{os.urandom(4).hex()}")
        dossier = open_dossier(session, template=TEMPLATE, organisation_id=firm.organisation.id,
                               description="Storingstraat 1", actor=firm.staff)  # fmt: skip
        dossier_id = dossier.id
    deliver_due(fs.session_factory)
    return dossier_id


def staff_of(fs, dossier_id: int) -> int:
    return read(fs, lambda s: s.get(Dossier, dossier_id).handler_id)


def finish_intake(fs, dossier_id: int, deliver: bool = True) -> None:
    complete(fs, dossier_id, "intake", staff_of(fs, dossier_id))
    if deliver:
        deliver_due(fs.session_factory)


def events(fs, dossier_id: int) -> Counter:
    rows = read(fs, lambda s: s.execute(
        select(AuditEvent.action, AuditEvent.detail).where(AuditEvent.dossier_id == dossier_id)
    ).all())  # fmt: skip
    return Counter((action, detail.get("step")) for action, detail in rows)


def assert_each_step_once(fs, dossier_id: int) -> Counter:
    """No step opened or finished twice: what the person did and what ran, once each."""
    seen = events(fs, dossier_id)
    twice = {key: n for key, n in seen.items()
             if key[0] in ("task.opened", "step.done") and n > 1}  # fmt: skip
    assert not twice, twice
    return seen


def waiting_on_plan(fs, dossier_id: int, timeout: float = 120) -> None:
    wait_for(lambda: suspended_on(fs, dossier_id, "plan"), timeout=timeout,
             what="the run to wait for the plan step")  # fmt: skip
    seen = assert_each_step_once(fs, dossier_id)
    assert seen[("step.done", "prepare")] == 1 and seen[("task.opened", "plan")] == 1


@contextmanager
def step_held(fs, dossier_id: int, key: str):
    """Holds the step's row locked: a flow task writing it waits, mid-step, until the block
    ends (the test's stand-in for an automatic step that takes a while)."""
    with fs.session_factory.kw["bind"].connect() as connection:
        transaction = connection.begin()
        connection.execute(
            select(Step.id).where(Step.dossier_id == dossier_id, Step.key == key).with_for_update()
        )
        try:
            yield
        finally:
            transaction.rollback()


@contextmanager
def mid_step(fs: Engine) -> Iterator[int]:
    """A new dossier whose run is in the middle of its automatic step (its row held locked)
    while the block runs: the intake finished, the run resumed and waiting on the lock."""
    dossier_id = open_fault_dossier(fs)
    wait_for(lambda: suspended_on(fs, dossier_id, "intake"), what="intake")
    with step_held(fs, dossier_id, "prepare"):
        finish_intake(fs, dossier_id)
        wait_for(lambda: someone_waits_on_a_lock(fs), what="the run to be mid-step")
        yield dossier_id


def someone_waits_on_a_lock(fs) -> bool:
    return read(fs, lambda s: s.scalar(text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    ))) > 0  # fmt: skip


def run_state(fs, dossier_id: int):
    return flow_run(fs, dossier_id).state


def set_state(fs, dossier_id: int, state, force: bool = True):
    flow_run_id = read(fs, lambda s: s.get(Dossier, dossier_id).flow_run_id)

    async def change():
        async with get_client() as client:
            return await client.set_flow_run_state(flow_run_id, state, force=force)

    return run_coro_as_sync(change())


# -- the worker killed ---------------------------------------------------------------------------


def test_a_worker_killed_before_it_claims_the_resumed_run(engine, processes):
    first = engine.worker()
    dossier_id = open_fault_dossier(engine)
    wait_for(lambda: suspended_on(engine, dossier_id, "intake"), what="intake")

    kill(first, with_children=True)
    finish_intake(engine, dossier_id)
    assert run_state(engine, dossier_id).name == "Resuming"  # nobody took it
    engine.worker()  # the restart

    waiting_on_plan(engine, dossier_id)


def test_a_run_claimed_by_a_worker_that_then_died_is_rescheduled(engine, processes):
    """The stock process worker takes seconds from its claim (Pending) to the run's process
    proposing Running: killed in between, with its children, the run stays Pending."""
    stock = engine.worker("process")
    dossier_id = open_fault_dossier(engine)
    wait_for(lambda: suspended_on(engine, dossier_id, "intake"), timeout=90, what="intake")

    finish_intake(engine, dossier_id)
    wait_for(lambda: run_state(engine, dossier_id).type == StateType.PENDING, timeout=60,
             what="the claim")  # fmt: skip
    kill(stock, with_children=True)
    assert run_state(engine, dossier_id).type == StateType.PENDING
    engine.relay()  # with its reconciler
    engine.worker()

    waiting_on_plan(engine, dossier_id)
    assert events(engine, dossier_id)[("dossier.run_rescheduled", None)] == 1


def test_a_worker_killed_mid_step_without_its_runs_lets_them_finish(engine, processes):
    """The worker process alone dies (its flow runs live in sessions of their own): the run
    goes on, finishes the automatic step and waits for the next person."""
    first = engine.worker()
    with mid_step(engine) as dossier_id:
        kill(first, with_children=False)
    waiting_on_plan(engine, dossier_id)
    assert events(engine, dossier_id)[("dossier.run_rescheduled", None)] == 0


def test_a_worker_killed_mid_step_with_its_runs_is_found_and_rescheduled(engine, processes):
    """A machine gone: the run stays Running with no process. Its heartbeats stop, the
    automation marks it Crashed, the reconciler puts it back; the step runs once."""
    engine.relay()
    first = engine.worker()
    with mid_step(engine) as dossier_id:
        kill(first, with_children=True)
    assert run_state(engine, dossier_id).type == StateType.RUNNING
    assert step_state(engine, dossier_id, "prepare") == "pending"  # its write died with it
    engine.worker()

    waiting_on_plan(engine, dossier_id, timeout=150)
    seen = events(engine, dossier_id)
    assert seen[("dossier.run_rescheduled", None)] == 1


# -- stopping ------------------------------------------------------------------------------------


def test_sigterm_lets_a_run_reach_its_next_step_within_the_grace(engine, processes):
    worker = engine.worker(grace=30)
    with mid_step(engine) as dossier_id:
        worker.send_signal(signal.SIGTERM)
    # The block ends at once: the run finishes its step and suspends; then the worker exits.
    assert worker.wait(30) == 0
    waiting_on_plan(engine, dossier_id)
    assert run_state(engine, dossier_id).name == "Suspended"


def test_a_run_that_cannot_finish_within_the_grace_is_rescheduled_not_crashed(engine, processes):
    worker = engine.worker(grace=2)
    with mid_step(engine) as dossier_id:
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(30) == 0
        assert run_state(engine, dossier_id).name == "AwaitingRetry"
    engine.worker()

    waiting_on_plan(engine, dossier_id)


def test_sigterm_to_the_whole_stack_mid_run_loses_nothing(engine, processes):
    """A restart of everything (a deploy, `systemctl restart dossierflow.target`, Ctrl-C in the
    demo): the worker and the relay get SIGTERM, then, once they are gone, the server, as
    systemd's ordering and the demo's supervisor do it."""
    engine.relay()
    engine.worker(grace=2)
    with mid_step(engine) as dossier_id:
        users = [p for p in processes if p.poll() is None]
        for process in users:
            process.send_signal(signal.SIGTERM)
        for process in users:
            process.wait(60)
        engine.stack.server.send_signal(signal.SIGTERM)
        engine.stack.server.wait(60)
    engine.stack.restart_server()
    assert run_state(engine, dossier_id).name == "AwaitingRetry"  # the worker put it back
    engine.relay()
    engine.worker()

    waiting_on_plan(engine, dossier_id, timeout=150)


# -- failures --------------------------------------------------------------------------------------


def test_an_automatic_step_that_raises_fails_the_dossier_and_a_retry_continues(engine, processes):
    """A broken definition (an action that does not exist) fails the step with its error; once
    fixed, staff retry and the run continues from that step."""
    engine.worker()
    dossier_id = open_fault_dossier(engine)
    wait_for(lambda: suspended_on(engine, dossier_id, "intake"), what="intake")
    with session_scope(engine.session_factory) as session:
        session.execute(
            update(Step).where(Step.dossier_id == dossier_id, Step.key == "prepare")
            .values(settings={"action": "no_such_action"})
        )  # fmt: skip

    finish_intake(engine, dossier_id)
    wait_for(lambda: read(engine, lambda s: s.get(Dossier, dossier_id).status == "failed"),
             timeout=60, what="the dossier to fail")  # fmt: skip
    failed = read(engine, lambda s: s.scalar(
        select(Step).where(Step.dossier_id == dossier_id, Step.key == "prepare")))  # fmt: skip
    assert failed.state == "failed" and failed.error == "KeyError: 'no_such_action'"
    wait_for(lambda: run_state(engine, dossier_id).type == StateType.FAILED, what="run Failed")

    with session_scope(engine.session_factory) as session:
        session.get(Step, failed.id).settings = {"action": "record_milestone"}
        retry_dossier(session, dossier_id=dossier_id,
                      actor=session.get(Dossier, dossier_id).handler)  # fmt: skip
    deliver_due(engine.session_factory)
    waiting_on_plan(engine, dossier_id)
    assert events(engine, dossier_id)[("step.failed", "prepare")] == 1


# -- resumes at odd moments -----------------------------------------------------------------------


def test_a_step_finished_while_the_run_is_not_suspended_takes_effect_once(engine, processes):
    """Someone resumes the run from the Prefect UI; while it runs (held before it reads its
    steps), staff finish the step and the relay's resume finds the run not suspended: the
    resume waits, nothing is lost, and the run moves on once."""
    engine.worker()
    dossier_id = open_fault_dossier(engine)
    wait_for(lambda: suspended_on(engine, dossier_id, "intake"), what="intake")

    with engine.session_factory() as session:
        session.execute(text("LOCK TABLE steps IN ACCESS EXCLUSIVE MODE"))
        resume_flow_run(flow_run(engine, dossier_id).id)  # the stray resume
        wait_for(lambda: run_state(engine, dossier_id).type == StateType.RUNNING,
                 what="the stray run to start")  # fmt: skip
        handler = session.get(Dossier, dossier_id).handler
        task = session.scalar(select(HumanTask).where(HumanTask.dossier_id == dossier_id))
        complete_staff_task(session, task_id=task.id, actor=handler)
        session.commit()  # the run reads its steps now
    deliver_due(engine.session_factory)  # the run is not suspended: the resume waits
    message = read(
        engine,
        lambda s: s.scalar(
            select(OutboxMessage).where(OutboxMessage.dedupe_key == f"resume:{dossier_id}:intake")
        ),
    )
    assert message.done_at is not None or "not resumable yet" in (message.last_error or "")

    waiting_on_plan(engine, dossier_id)
    wait_for(lambda: deliver_due(engine.session_factory) or read(
        engine, lambda s: s.get(OutboxMessage, message.id).done_at is not None),
        what="the waiting resume to end")  # fmt: skip
    assert run_state(engine, dossier_id).state_details.pause_key == "plan#0"


def test_a_resume_for_a_run_that_was_cancelled_does_nothing_and_says_so(engine, processes):
    engine.worker()
    dossier_id = open_fault_dossier(engine)
    wait_for(lambda: suspended_on(engine, dossier_id, "intake"), what="intake")

    set_state(engine, dossier_id, Cancelling(), force=False)  # as the Prefect UI does
    wait_for(lambda: run_state(engine, dossier_id).type == StateType.CANCELLED, what="cancel")
    finish_intake(engine, dossier_id)
    message = read(
        engine,
        lambda s: s.scalar(
            select(OutboxMessage).where(OutboxMessage.dedupe_key == f"resume:{dossier_id}:intake")
        ),
    )
    assert message.done_at is not None
    assert events(engine, dossier_id)[("dossier.resume_ignored", "intake")] == 1

    Reconciler(engine.session_factory).run_once()
    dossier = read(engine, lambda s: s.get(Dossier, dossier_id))
    assert dossier.status == "cancelled"
    assert step_state(engine, dossier_id, "prepare") == "pending"  # nothing ran on


def test_cancelling_a_running_run_from_the_ui_stops_it_and_cancels_the_dossier(engine, processes):
    engine.relay()
    engine.worker()
    with mid_step(engine) as dossier_id:
        set_state(engine, dossier_id, Cancelling(), force=False)
        wait_for(lambda: run_state(engine, dossier_id).type == StateType.CANCELLED,
                 what="the worker to stop it")  # fmt: skip
    wait_for(lambda: read(engine, lambda s: s.get(Dossier, dossier_id).status == "cancelled"),
             what="the portal to show it cancelled")  # fmt: skip
    assert step_state(engine, dossier_id, "prepare") == "pending"
    assert events(engine, dossier_id)[("task.opened", "plan")] == 0


def test_a_wait_until_step_with_a_future_date_continues_when_the_date_comes(engine, processes):
    engine.worker()
    dossier_id = open_fault_dossier(engine)
    wait_for(lambda: suspended_on(engine, dossier_id, "intake"), what="intake")
    finish_intake(engine, dossier_id)
    waiting_on_plan(engine, dossier_id)

    tomorrow = (utcnow() + dt.timedelta(days=1)).date()
    complete(engine, dossier_id, "plan", staff_of(engine, dossier_id), key_date=tomorrow)
    deliver_due(engine.session_factory)
    wait_for(lambda: suspended_on(engine, dossier_id, "until-signing"), what="the wait")
    later = read(engine, lambda s: s.scalars(
        select(OutboxMessage).where(OutboxMessage.dedupe_key.like(
            f"resume:{dossier_id}:until-signing:%"))).all())  # fmt: skip
    assert [m.due_at.date() for m in later] == [tomorrow]

    # The date comes: here the office moves it to today, which is what its coming means to
    # the step; the resume queued for the old date turns stale.
    with session_scope(engine.session_factory) as session:
        dossier = session.get(Dossier, dossier_id)
        set_key_date(session, dossier=dossier, name="signing", value=utcnow().date(), actor=None)
    deliver_due(engine.session_factory)
    wait_for(lambda: suspended_on(engine, dossier_id, "sign"), what="the sign step")
    with session_scope(engine.session_factory) as session:
        session.get(OutboxMessage, later[0].id).due_at = utcnow()
    deliver_due(engine.session_factory)
    assert run_state(engine, dossier_id).state_details.pause_key == "sign#0"
    seen = assert_each_step_once(engine, dossier_id)
    assert seen[("step.done", "until-signing")] == 1 and seen[("task.opened", "sign")] == 1


def test_a_stray_pending_claim_is_not_rescheduled_while_young(engine, processes):
    """The reconciler leaves a claim alone while a worker may still be starting it."""
    engine.worker()
    dossier_id = open_fault_dossier(engine)
    wait_for(lambda: suspended_on(engine, dossier_id, "intake"), what="intake")
    set_state(engine, dossier_id, Pending())
    Reconciler(engine.session_factory, pending_after=600).run_once()
    assert run_state(engine, dossier_id).type == StateType.PENDING
    assert events(engine, dossier_id)[("dossier.run_rescheduled", None)] == 0


# -- the API's credentials -------------------------------------------------------------------------


def test_the_api_refuses_a_request_without_the_credentials(engine):
    """The stack above runs with Prefect's basic authentication on (every test in this module
    went through it); a request that does not carry the credentials gets nothing."""

    def post(headers: dict[str, str]) -> int:
        request = urllib.request.Request(
            f"{engine.stack.api_url}/flow_runs/filter", data=b"{}", method="POST",
            headers={"Content-Type": "application/json", **headers},
        )  # fmt: skip
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as refused:
            return refused.code

    def basic(auth_string: str) -> dict[str, str]:
        return {"Authorization": "Basic " + base64.b64encode(auth_string.encode()).decode()}

    assert post({}) == 401
    assert post(basic("dossierflow:guess")) == 401
    assert post(basic(engine.stack.env["PREFECT_API_AUTH_STRING"])) == 200
