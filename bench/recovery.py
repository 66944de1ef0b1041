"""How long a dossier stands still after its worker's machine dies mid-run, until it is at its
next human step again: heartbeats stop, Prefect's automation marks the run Crashed, the
reconciler reschedules it, another worker continues it.

    .venv/bin/python -m bench.recovery [-n 10]

With the production settings (heartbeats every 30 s, the automation after 90 s without one,
the reconciler every 30 s, DOSSIERFLOW_* unset): a PostgreSQL cluster (tests/pgcluster.py), a
Prefect server on it with its API credentials, one dossier worker and the relay. N dossiers
of a three-step template (a staff step, an automatic step, a staff step) wait at their first
step; the bench holds the automatic step's rows locked (so each run will be mid-step), has the
first step completed, and once every run waits on its lock SIGKILLs the worker with all its
processes (a machine gone) and lets the locks go. A second worker starts at once. Timed per
dossier: from the kill until the task of the next human step exists. Prints

    recovery_after_kill_p95_s <seconds> s
    recovery_after_kill_p50_s <seconds> s
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import host_speed_line, production_stack  # noqa: E402
from bench.resume_latency import percentile, wait_for  # noqa: E402

TEMPLATE = {
    "key": "recovery-bench",
    "version": 1,
    "office_kind": "notary",
    "title": {"nl": "Herstel", "en": "Recovery"},
    "steps": [
        {"key": "intake", "title": {"nl": "Intake", "en": "Intake"}, "kind": "staff_task"},
        {"key": "prepare", "title": {"nl": "Voorbereiden", "en": "Prepare"},
         "kind": "automatic", "settings": {"action": "record_milestone"}},
        {"key": "plan", "title": {"nl": "Plannen", "en": "Plan"}, "kind": "staff_task"},
    ],
}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=10, help="dossiers killed mid-step at once")
    args = parser.parse_args(argv)

    from sqlalchemy import select, text

    from casemodel.casetemplates import parse_template
    from casemodel.db import make_engine, make_session_factory, session_scope
    from casemodel.models import HumanTask, Step, User
    from casemodel.services.dossiers import open_dossier
    from casemodel.services.steps import complete_staff_task
    from tests.fixtures.domain import make_firm
    from tests.processes import kill

    template = parse_template(TEMPLATE, "recovery-bench.yaml")
    tmp = Path(tempfile.mkdtemp(prefix="dossierflow-bench-recovery-"))
    with ExitStack() as cleanups:
        stack, portal_url, env, _cluster = cleanups.enter_context(production_stack(tmp))
        first = stack.start_worker(env, name="bench-first")
        stack.start_relay(env, interval=1.0)
        engine = make_engine(portal_url)
        cleanups.callback(engine.dispose)
        factory = make_session_factory(engine)

        from flows.relay import deliver_due

        with session_scope(factory) as session:
            firm = make_firm(session, "recovery")
            ids = [open_dossier(session, template=template, organisation_id=firm.organisation.id,
                                description=f"Herstelstraat {n}", actor=firm.staff).id
                   for n in range(args.n)]  # fmt: skip
            staff_id = firm.staff.id
        deliver_due(factory)

        def open_task(key: str) -> dict[int, int]:
            with session_scope(factory) as session:
                rows = session.execute(
                    select(HumanTask.dossier_id, HumanTask.id).join(HumanTask.step)
                    .where(HumanTask.dossier_id.in_(ids), Step.key == key)
                ).all()  # fmt: skip
            return dict(rows)

        intake = wait_for(lambda: len(open_task("intake")) == args.n and open_task("intake"),
                          120, "every dossier at its first step")  # fmt: skip
        time.sleep(2)  # the runs suspend after they opened their task
        with engine.connect() as held:
            locks = held.begin()
            held.execute(select(Step.id).where(Step.dossier_id.in_(ids), Step.key == "prepare")
                         .with_for_update())  # fmt: skip
            with session_scope(factory) as session:
                for task_id in intake.values():
                    complete_staff_task(session, task_id=task_id, actor=session.get(User, staff_id))
            deliver_due(factory)

            def waiting() -> int:
                with engine.connect() as probe:
                    return probe.scalar(text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                        " AND wait_event_type = 'Lock'"))  # fmt: skip

            wait_for(lambda: waiting() >= args.n, 120, "every run to be mid-step")
            killed_at = time.monotonic()
            kill(first, with_children=True)
            locks.rollback()
        stack.start_worker(env, name="bench-second")
        recovered: dict[int, float] = {}
        deadline = killed_at + 600
        while len(recovered) < args.n and time.monotonic() < deadline:
            for dossier_id in open_task("plan"):
                recovered.setdefault(dossier_id, time.monotonic() - killed_at)
            time.sleep(0.5)
        if len(recovered) < args.n:
            print(f"only {len(recovered)} of {args.n} recovered in 10 minutes; logs in {tmp}",
                  file=sys.stderr)  # fmt: skip
            return 1
    samples = sorted(recovered.values())
    print(f"# n={len(samples)} samples_s={' '.join(f'{s:.1f}' for s in samples)}", file=sys.stderr)
    print(host_speed_line(), file=sys.stderr)
    print(f"recovery_after_kill_p95_s {percentile(samples, 0.95):.1f} s")
    print(f"recovery_after_kill_p50_s {percentile(samples, 0.50):.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
