"""How long a client waits, after a staff member marks a step done, for the next step to start.

    .venv/bin/python -m bench.resume_latency                 # the comparison `make bench` runs
    .venv/bin/python -m bench.resume_latency [--worker dossier|process] [--sqlite] [-n 15]

Starts everything it needs and removes it afterwards: a PostgreSQL cluster (tests/pgcluster.py;
SQLite if PostgreSQL is not installed, or with --sqlite) with a database for Prefect and one for
the portal, a Prefect server on a free port with PREFECT_HOME in a temporary folder (on SQLite
the demo's, devtools/prefect_server.py), the "dossiers" pool and deployment, and the worker
under test: the dossier worker (flows/worker.py, nudged by the relay right after each resume)
or Prefect's stock process worker (polling every second, PREFECT_WORKER_QUERY_SECONDS=1). It
opens the demo seed's dossiers and then, N times: waits until a dossier's run is suspended at a
person's step, completes it as the portal does (a staff task, the document of a publish step or
the client's files; commit, deliver_due) and times until the next step leaves 'pending' in the
portal database. Prints

    resume_to_next_step_p95_s <seconds> s
    resume_to_next_step_p50_s <seconds> s

Without arguments it runs three configurations one after the other, each in a process of its
own, and prints their figures with a suffix: the dossier worker on PostgreSQL (no suffix), the
stock process worker on PostgreSQL (`_process`), the dossier worker on the demo's SQLite stack
(`_sqlite`), and `resume_worker_speedup_p50`, the stock worker's median over the dossier
worker's: the dossier worker stays only while that is at least 2.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import host_speed_line  # noqa: E402
from devtools.prefect_stack import PrefectStack, deploy  # noqa: E402


def wait_for(predicate, timeout: float, what: str, interval: float = 0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"gave up after {timeout:.0f}s waiting for {what}")


def percentile(samples: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    ordered = sorted(samples)
    position = (len(ordered) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


#: What `make bench` compares in one run, each in a process of its own: (figure suffix, args).
CONFIGURATIONS = [
    ("", ["--worker", "dossier"]),
    ("_process", ["--worker", "process", "-n", "10"]),
    ("_sqlite", ["--worker", "dossier", "--sqlite"]),
]


def compare() -> int:
    """The dossier worker and Prefect's stock process worker (polling every second) on
    PostgreSQL, and the demo's stack (SQLite), one after the other in this run; then how many
    times faster the dossier worker is (the median resume, stock / ours)."""
    p50: dict[str, float] = {}
    for suffix, args in CONFIGURATIONS:
        result = subprocess.run(
            [sys.executable, "-m", "bench.resume_latency", *args],
            cwd=ROOT, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        if result.returncode != 0:
            print(f"resume_latency {' '.join(args)} failed", file=sys.stderr)
            return 1
        for line in result.stdout.splitlines():
            name, value, unit = line.split()
            renamed = name.replace("_p", f"{suffix}_p", 1) if suffix else name
            print(f"{renamed} {value} {unit}", flush=True)
            if name == "resume_to_next_step_p50_s":
                p50[suffix] = float(value)
    print(f"resume_worker_speedup_p50 {p50['_process'] / p50['']:.1f} x")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        return compare()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", choices=["dossier", "process"], default="dossier")
    parser.add_argument("-n", type=int, default=15, help="measured resumes")
    parser.add_argument("--warmup", type=int, default=1, help="resumes done first, not counted")
    parser.add_argument("--sqlite", action="store_true", help="SQLite even if PostgreSQL is here")
    parser.add_argument(
        "--no-relay-nudge", action="store_true",
        help="dossier worker: do not nudge after the resume (only its poll finds the run)",
    )  # fmt: skip
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs)")
    parser.add_argument("--timeout", type=float, default=900, help="overall time limit")
    args = parser.parse_args(argv)

    started = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="dossierflow-bench-"))
    stack: PrefectStack | None = None
    # A hard stop for the whole run: the alarm interrupts whatever hangs, the finally cleans up.
    signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(TimeoutError("--timeout")))
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    signal.alarm(int(args.timeout))
    # This process is the portal and the relay: it must see only this run's stack.
    for name in [n for n in os.environ if n.startswith(("PREFECT_", "DOSSIERFLOW_"))]:
        del os.environ[name]
    try:
        with ExitStack() as stack_of_cleanups:
            prefect_db, portal_url = databases(stack_of_cleanups, tmp, use_sqlite=args.sqlite)
            # devtools/prefect_stack.py: the server, pool, deployments and worker, run as the
            # integration tests run them (logs in <tmp>/prefect/*.log).
            stack = PrefectStack(tmp / "prefect", database_url=prefect_db)
            stack_of_cleanups.callback(stack.stop)  # before the databases go
            portal_env = {
                "DOSSIERFLOW_DATABASE_URL": portal_url,
                "DOSSIERFLOW_INSTANCE": str(tmp / "instance"),
            }
            os.environ.update({**stack.env, **portal_env})  # this process's client and portal
            stack.start_server(timeout=120)
            deploy(stack.env)
            factory = portal(portal_url)
            worker_env = dict(portal_env)
            stack.start_worker(worker_env, args.worker, name=f"bench-{args.worker}")
            if args.worker == "dossier" and args.no_relay_nudge:
                os.environ["DOSSIERFLOW_WORKER_NUDGE"] = ""  # the relay below nudges no one
            samples = measure(factory, count=args.n, warmup=args.warmup)
            check_nothing_ran_twice(factory)
            factory.kw["bind"].dispose()
    except BaseException:
        print(f"failed; logs in {tmp / 'prefect'}", file=sys.stderr)
        args.keep = True
        raise
    finally:
        signal.alarm(0)
        if stack is not None:
            stack.stop()
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    print(
        f"# worker={args.worker} n={len(samples)} prefect_db={prefect_db.split(':')[0]} "
        f"samples_s={' '.join(f'{s:.3f}' for s in samples)} "
        f"total {time.monotonic() - started:.0f}s",
        file=sys.stderr,
    )
    print(host_speed_line(), file=sys.stderr)
    print(f"resume_to_next_step_p95_s {percentile(samples, 0.95):.3f} s")
    print(f"resume_to_next_step_p50_s {percentile(samples, 0.50):.3f} s")
    return 0


def databases(stack: ExitStack, tmp: Path, *, use_sqlite: bool) -> tuple[str, str]:
    """The Prefect server's database URL and the portal's."""
    if not use_sqlite:
        try:
            from tests.pgcluster import PostgresCluster, PostgresNotAvailable
        except ImportError:
            PostgresCluster = None
        if PostgresCluster is not None:
            try:
                cluster = stack.enter_context(PostgresCluster())
            except PostgresNotAvailable as exc:
                print(f"PostgreSQL not available ({exc}); using SQLite", file=sys.stderr)
            else:
                prefect_url = cluster.create_database("prefect")
                portal_url = cluster.create_database("portal")
                prefect_url = prefect_url.replace("postgresql+psycopg", "postgresql+asyncpg")
                return prefect_url, portal_url
    return f"sqlite+aiosqlite:///{tmp / 'prefect.db'}", f"sqlite:///{tmp / 'portal.db'}"


def portal(url: str):
    from casemodel.db import make_engine, make_session_factory
    from casemodel.migrate import upgrade

    upgrade(url)
    return make_session_factory(make_engine(url))


def measure(factory, *, count: int, warmup: int) -> list[float]:
    from prefect import get_client
    from prefect.client.schemas.objects import StateType
    from sqlalchemy import select

    from casemodel.casetemplates import TemplateRegistry
    from casemodel.db import session_scope
    from casemodel.models import Dossier, HumanTask, Step
    from casemodel.services.dossiers import open_dossier
    from devtools.seed import seed_demo
    from relay import delivery as relay

    with session_scope(factory) as session:
        seed_demo(session)
        # One fresh home transfer per round, beside the demo's: each gives one sample, from the
        # handler's intake to the step after it (the demo's own dossiers soon wait for clients'
        # questionnaires, which this bench does not fill in).
        keizersgracht = session.scalar(select(Dossier).order_by(Dossier.id).limit(1))
        transfer = TemplateRegistry.from_folder().latest("levering-woning")
        dossiers = [
            open_dossier(session, template=transfer, actor=keizersgracht.handler,
                         organisation_id=keizersgracht.organisation_id,
                         description=f"Bench {number}").id
            for number in range(count + warmup)
        ]  # fmt: skip
    wait_for(lambda: relay.deliver_due(factory) or not pending_outbox(factory), 60, "the relay")

    samples: list[float] = []
    client = get_client(sync_client=True)
    client.__enter__()
    try:
        for round_number in range(count + warmup):
            dossier_id = dossiers[round_number % len(dossiers)]
            with session_scope(factory) as session:
                flow_run_id = session.get(Dossier, dossier_id).flow_run_id

            def suspended_at_task(flow_run_id=flow_run_id, dossier_id=dossier_id):
                state = client.read_flow_run(flow_run_id).state
                if state is None or state.type != StateType.PAUSED:
                    return None
                with session_scope(factory) as session:
                    return session.scalar(
                        select(HumanTask.id).where(
                            HumanTask.dossier_id == dossier_id, HumanTask.state == "open"
                        )
                    )

            task_id = wait_for(suspended_at_task, 90, f"dossier {dossier_id} to suspend", 0.1)
            with session_scope(factory) as session:
                step = session.get(HumanTask, task_id).step
                next_step_id = session.scalar(
                    select(Step.id)
                    .where(Step.dossier_id == dossier_id, Step.position > step.position)
                    .order_by(Step.position)
                    .limit(1)
                )
            if next_step_id is None:
                raise RuntimeError(f"dossier {dossier_id} has no step after {step.key}")

            # The portal's request: one transaction, then the relay right after the commit.
            t0 = time.perf_counter()
            with session_scope(factory) as session:
                complete_as_the_portal_does(session, session.get(HumanTask, task_id))
            delivered = relay.deliver_due(factory)

            with step_watch(factory, next_step_id) as next_step_started:
                wait_for(next_step_started, 60, f"the step after {step.key}", 0.01)
            elapsed = time.perf_counter() - t0
            # Where the time went: the run's states since the step was finished, in seconds.
            began = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=elapsed)
            timeline = " ".join(
                f"{state.name}@{(state.timestamp - began).total_seconds():.3f}"
                for state in client.read_flow_run_states(flow_run_id)
                if state.timestamp > began
            )
            print(f"    states {timeline}", file=sys.stderr)
            label = "warm-up" if round_number < warmup else "sample"
            print(
                f"  {label} dossier {dossier_id} {step.key:>16} -> next step "
                f"{elapsed:6.3f}s (delivered {delivered})",
                file=sys.stderr,
            )
            if round_number >= warmup:
                samples.append(elapsed)
    finally:
        client.__exit__(None, None, None)
    return samples


def complete_as_the_portal_does(session, task) -> None:
    """Whatever the person's step is: the staff member completes their task (entering the date
    it asks for), uploads the document a publish step waits for, or the client sends the files
    an upload request asks for. The bytes are never read by the flow: a made-up file will do."""
    from sqlalchemy import select

    from casemodel.filestore import StoredFile
    from casemodel.models import Membership, User
    from casemodel.stepkinds.publish import complete_publish_task
    from casemodel.stepkinds.staff_task import complete_staff_task
    from casemodel.stepkinds.upload_request import (
        complete_upload_request,
        requested_files,
        supply_requested_file,
    )

    stored = StoredFile(sha256="0" * 64, size=1, content_type="application/pdf")
    if task.kind == "upload_request":
        client = session.scalar(
            select(User)
            .join(Membership)
            .where(Membership.organisation_id == task.dossier.organisation_id)
            .limit(1)
        )
        for item in requested_files(task.step):
            supply_requested_file(session, task=task, item_key=item.key, stored=stored,
                                  filename=f"{item.key}.pdf", actor=client)  # fmt: skip
        complete_upload_request(session, task=task, actor=client)
        return
    role = "manager" if task.step.settings.get("role") == "manager" else "staff"
    actor = session.scalar(select(User).where(User.role == role).limit(1))
    if task.kind == "publish":
        complete_publish_task(session, task_id=task.id, actor=actor, stored=stored,
                              filename="akte.pdf")  # fmt: skip
        return
    asks_date = bool(task.step.settings.get("asks_date"))
    complete_staff_task(
        session, task_id=task.id, actor=actor,
        key_date=dt.date.today() - dt.timedelta(days=1) if asks_date else None,
    )  # fmt: skip


@contextmanager
def step_watch(factory, step_id: int):
    """A predicate "the step has left 'pending'" that is cheap enough to ask every 10 ms: one
    connection and one compiled statement, each ask its own short transaction. (A session per
    ask costs about a millisecond of CPU, taken from the two cores the stack under test runs
    on.)"""
    from sqlalchemy import select

    from casemodel.models import Step

    statement = select(Step.state).where(Step.id == step_id)
    with factory.kw["bind"].connect() as connection:

        def started() -> bool:
            state = connection.execute(statement).scalar_one()
            connection.rollback()  # end the read, so that the next ask sees new commits
            return state != "pending"

        yield started


def pending_outbox(factory) -> bool:
    from sqlalchemy import select

    from casemodel.db import session_scope
    from casemodel.models import OutboxMessage

    with session_scope(factory) as session:
        return (
            session.scalar(select(OutboxMessage.id).where(OutboxMessage.done_at.is_(None)).limit(1))
            is not None
        )


def check_nothing_ran_twice(factory) -> None:
    """A resumed run must take its finished steps from the cache: each step's task was opened
    once and finished once."""
    from sqlalchemy import select

    from casemodel.db import session_scope
    from casemodel.models import AuditEvent

    with session_scope(factory) as session:
        rows = session.execute(
            select(AuditEvent.dossier_id, AuditEvent.action, AuditEvent.detail).where(
                AuditEvent.action.in_(["task.opened", "step.done", "step.failed"])
            )
        ).all()
    seen: dict[tuple, int] = {}
    for dossier_id, action, detail in rows:
        key = (dossier_id, action, detail.get("step"))
        seen[key] = seen.get(key, 0) + 1
    twice = {key: n for key, n in seen.items() if n > 1}
    failed = [key for key in seen if key[1] == "step.failed"]
    if twice or failed:
        raise RuntimeError(f"steps repeated {twice} or failed {failed}")
    print(f"# checked: {len(seen)} step events, none repeated, none failed", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
