"""How many dossiers an office can open per second, how long each takes to reach its first
human step, and how long its flow run takes to catch up, on the production stack.

    .venv/bin/python -m bench.dossier_open [-n 100] [--concurrency 10] [--workers 2]

A PostgreSQL cluster (tests/pgcluster.py) with the portal's database and Prefect's, a Prefect
server on it (with its API credentials), two dossier workers and the relay. This process is the
portal: ten threads open dossiers of the notary's home transfer (levering-woning, whose first
step is the handler's intake) through the service, as the office's form does (one transaction,
which wakes the relay after its commit; the relay creates the flow run), ten at a time, until N
are open. Timed per dossier from the start of its opening:
- to its first step's task existing: what the handler (or client) waits for. The opening's
  transaction opens a human first step itself (casemodel.services.dossiers.start_first_step);
- to its flow run waiting (Paused) on that step: the run has caught up, as it must before a
  completion can take it further (a completion before that stays queued until then).
Prints

    dossier_open_per_s <dossiers a second>      N / (last first step - first opening)
    dossier_first_step_p95_s <seconds> s
    dossier_first_step_p50_s <seconds> s
    dossier_run_waiting_per_s <runs a second>   N / (last run waiting - first opening)
    dossier_run_waiting_p95_s <seconds> s
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import host_speed_line, production_stack  # noqa: E402
from bench.login import process_tree  # noqa: E402
from bench.resume_latency import percentile  # noqa: E402


def tree_cpu(root: int | None) -> float:
    """CPU seconds of the process and its descendants, with the children they have reaped
    (the flow runs' processes, reaped by the workers' forkservers)."""
    if root is None:
        return 0.0
    total = 0
    for pid in process_tree(root):
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(field) for field in fields[11:15])  # utime stime cutime cstime
    return total / os.sysconf("SC_CLK_TCK")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=100, help="dossiers to open")
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2, help="dossier workers")
    args = parser.parse_args(argv)

    from sqlalchemy import select

    from casemodel.casetemplates import TemplateRegistry
    from casemodel.db import make_engine, make_session_factory, session_scope
    from casemodel.models import Dossier, HumanTask, OutboxMessage, User
    from casemodel.services.dossiers import open_dossier
    from tests.fixtures.domain import make_firm

    template = TemplateRegistry.from_folder().latest("levering-woning")
    tmp = Path(tempfile.mkdtemp(prefix="dossierflow-bench-open-"))
    with ExitStack() as cleanups:
        stack, portal_url, env, cluster = cleanups.enter_context(production_stack(tmp))
        for number in range(args.workers):  # each with a nudge port of its own
            stack.start_worker(env, name=f"bench-open-{number}")
        engine = make_engine(portal_url, pool_size=args.concurrency + 2)
        cleanups.callback(engine.dispose)
        factory = make_session_factory(engine)
        with session_scope(factory) as session:
            firm = make_firm(session, "open")
            organisation_id, staff_id = firm.organisation.id, firm.staff.id
        time.sleep(3)  # the workers' forkservers are ready

        from relay.wake import wake_addresses, wake_after_commit

        stack.start_relay(env, interval=1.0)
        wake_after_commit(factory, wake_addresses())  # as the portal does (webapp.extensions)

        opened_at: dict[int, float] = {}
        first_step_at: dict[int, float] = {}
        run_waiting_at: dict[int, float] = {}
        lock = threading.Lock()
        counter = iter(range(args.n))
        errors: list[BaseException] = []

        def opener() -> None:
            for index in counter:
                started = time.monotonic()
                try:
                    with session_scope(factory) as session:
                        dossier = open_dossier(
                            session, template=template, organisation_id=organisation_id,
                            description=f"Openingsstraat {index}",
                            actor=session.get(User, staff_id),
                        )  # fmt: skip
                        dossier_id = dossier.id
                    with lock:
                        opened_at[dossier_id] = started
                except BaseException as exc:  # noqa: BLE001 - reported below
                    errors.append(exc)

        def watcher(stop: threading.Event) -> None:
            try:
                watch_until(stop)
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        def watch_until(stop: threading.Event) -> None:
            from prefect import get_client
            from prefect.client.schemas.filters import (
                FlowRunFilter,
                FlowRunFilterState,
                FlowRunFilterStateType,
            )
            from prefect.client.schemas.objects import StateType

            paused = FlowRunFilter(state=FlowRunFilterState(
                type=FlowRunFilterStateType(any_=[StateType.PAUSED])))  # fmt: skip
            asked_prefect = 0.0
            with get_client(sync_client=True) as client:
                while not stop.is_set():
                    with session_scope(factory) as session:
                        with_task = session.scalars(
                            select(HumanTask.dossier_id).where(
                                HumanTask.dossier_id.not_in(list(first_step_at) or [0])
                            )
                        ).all()
                        runs = dict(session.execute(
                            select(Dossier.flow_run_id, Dossier.id)
                            .where(Dossier.flow_run_id.is_not(None))
                        ).all())  # fmt: skip
                    now = time.monotonic()
                    for dossier_id in with_task:
                        first_step_at.setdefault(dossier_id, now)
                    # Prefect once a second: each answer is a page of runs, which costs the
                    # server (on the same two cores) what the bench would then charge the runs.
                    if len(run_waiting_at) < args.n and now - asked_prefect >= 1.0:
                        asked_prefect = now
                        waiting = client.read_flow_runs(flow_run_filter=paused, limit=200)
                        now = time.monotonic()
                        for run in waiting:
                            if str(run.id) in runs:
                                run_waiting_at.setdefault(runs[str(run.id)], now)
                    stop.wait(0.1)

        postmaster = int((cluster.data_dir / "postmaster.pid").read_text().split()[0])
        roots = {
            "prefect server": [stack.server.pid],
            "workers, flow runs and relay": [p.pid for p in stack.processes],
            "postgresql": [postmaster],
        }

        def cpu_now() -> dict[str, float]:
            usage = {name: sum(tree_cpu(pid) for pid in pids) for name, pids in roots.items()}
            usage["this process (the portal)"] = time.process_time()
            return usage

        cpu_before = cpu_now()
        stop = threading.Event()
        watch = threading.Thread(target=watcher, args=(stop,), daemon=True)
        watch.start()
        began = time.monotonic()
        threads = [threading.Thread(target=opener) for _ in range(args.concurrency)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        print(f"# opened and started (flow runs created) in {time.monotonic() - began:.1f}s",
              file=sys.stderr)  # fmt: skip
        deadline = time.monotonic() + 300
        while len(run_waiting_at) < args.n and time.monotonic() < deadline and not errors:
            time.sleep(0.2)
        stop.set()
        watch.join(5)
        cpu = {name: used - cpu_before[name] for name, used in cpu_now().items()}
        if errors or len(run_waiting_at) < args.n:
            with session_scope(factory) as session:
                failures = session.scalars(
                    select(OutboxMessage.last_error).where(OutboxMessage.last_error.is_not(None))
                ).all()
            from prefect import get_client

            with get_client(sync_client=True) as client:
                states = [r.state.name for r in client.read_flow_runs(limit=5)]
            print(f"runs: {states}; done: {sorted(first_step_at)}; opened: {sorted(opened_at)}",
                  file=sys.stderr)  # fmt: skip
            print(
                f"errors {errors[:3]!r}; {len(first_step_at)} of {args.n} reached their first "
                f"step, {len(run_waiting_at)} runs waited on it; outbox errors "
                f"{failures[:3]!r}; logs in {tmp}",
                file=sys.stderr,
            )
            return 1
    samples = sorted(first_step_at[d] - opened_at[d] for d in opened_at)
    elapsed = max(first_step_at.values()) - began
    caught_up = sorted(run_waiting_at[d] - opened_at[d] for d in opened_at)
    run_elapsed = max(run_waiting_at.values()) - began
    print(f"# n={args.n} concurrency={args.concurrency} workers={args.workers} "
          f"elapsed {elapsed:.1f}s", file=sys.stderr)  # fmt: skip
    print("# CPU per dossier: " + ", ".join(
        f"{name} {used / args.n * 1000:.0f} ms" for name, used in cpu.items()
    ) + f" ({os.cpu_count()} cores)", file=sys.stderr)  # fmt: skip
    print(host_speed_line(), file=sys.stderr)
    print(f"dossier_open_per_s {args.n / elapsed:.1f} /s")
    print(f"dossier_first_step_p95_s {percentile(samples, 0.95):.2f} s")
    print(f"dossier_first_step_p50_s {percentile(samples, 0.50):.2f} s")
    print(f"dossier_run_waiting_per_s {args.n / run_elapsed:.1f} /s")
    print(f"dossier_run_waiting_p95_s {percentile(caught_up, 0.95):.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
