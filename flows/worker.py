"""The dossier worker: a Prefect worker type that starts each flow run from a preloaded process.

    python -m flows.worker [--pool dossiers] [--name NAME] [--limit N] [--grace 30]

Prefect's stock process worker starts a fresh Python for every flow run and every resume, and
importing prefect and flows/ is most of the seconds a client would wait for the next step. This
worker is written against Prefect's documented worker extension points only (a BaseWorker
subclass with its `type`, the process job configuration, `run()` and `kill_infrastructure()`,
driven through the public `get_and_submit_flow_runs()` and `sync_with_backend()`):

- It claims runs like every worker (BaseWorker proposes Pending; a second claimer is refused).
- `run()` forks a child from a multiprocessing forkserver that imported prefect, flows/ and the
  database driver once, and the child runs Prefect's own engine entry point
  (`python -m prefect.engine <flow run id>`, the process worker's default command) with
  `runpy`: the same code, without starting and importing a new interpreter.
- It polls the pool every few seconds, and at once when nudged (flows/nudge.py: the relay,
  right after it resumed or created a run). A lost nudge only delays a run until the next poll.
- A run cancelled from the Prefect UI while it runs is stopped and marked Cancelled.
- SIGTERM or SIGINT: no new runs; running ones get up to --grace seconds to reach their next
  suspension or finish; what is still running then is stopped and rescheduled (AwaitingRetry),
  never left Crashed. A second signal does that at once.

Each child starts a session of its own: a Ctrl-C in the worker's terminal, or a supervisor that
signals the worker's process group, reaches the worker only, which decides when runs stop.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import runpy
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from uuid import UUID

import anyio
import anyio.abc
import prefect.engine
from prefect.client.schemas.filters import (
    FlowRunFilter,
    FlowRunFilterId,
    FlowRunFilterState,
    FlowRunFilterStateName,
)
from prefect.client.schemas.objects import FlowRun
from prefect.context import refresh_global_settings_context
from prefect.events.clients import get_events_subscriber
from prefect.events.filters import EventFilter, EventNameFilter
from prefect.exceptions import InfrastructureNotFound
from prefect.logging import get_logger
from prefect.settings import get_current_settings
from prefect.states import AwaitingRetry, Cancelled
from prefect.workers.base import BaseWorker
from prefect.workers.process import (
    ProcessJobConfiguration,
    ProcessVariables,
    ProcessWorkerResult,
)

from flows.nudge import nudge_addresses

log = get_logger("dossierflow.worker")

#: Imported once by the forkserver; every flow run's child starts with them in memory.
PRELOAD = [
    "flows.worker",
    "prefect.engine",
    "prefect.flow_engine",
    "prefect.task_engine",
    "prefect.deployments.steps",
    "flows.dossier",
    "flows.database",
    # create_engine() imports the dialect and the driver on first use: 0.8 s in every child
    # unless it happens here. Modules that are not installed are skipped.
    "sqlalchemy.dialects.sqlite",
    "sqlalchemy.dialects.postgresql",
    "psycopg",
    # Last: with FORKSERVER_ENV set it loads what each run would load on first use.
    "flows.preload",
]
#: Set for the forkserver only: flows/preload.py then loads what every run needs.
FORKSERVER_ENV = "DOSSIERFLOW_FORKSERVER"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
#: After a nudge whose poll found nothing (the run's new state not yet visible), poll again
#: this many times, this far apart.
NUDGE_RETRIES = 3
NUDGE_RETRY_SECONDS = 0.3


def execute_flow_run(flow_run_id: str, env: dict[str, str | None], cwd: str) -> None:
    """The body of a flow run's child: `python -m prefect.engine <id>` in an interpreter that
    has imported prefect and flows/ already."""
    os.setsid()  # signals meant for the worker's process group are not for this run
    os.environ.clear()
    os.environ.update({name: value for name, value in env.items() if value is not None})
    os.chdir(cwd)
    refresh_global_settings_context()  # Prefect read its settings in the forkserver
    database = sys.modules.get("flows.database")
    if database is not None:
        database.after_fork()
    else:  # the forkserver could not preload (see Forker)
        print("dossier worker: flows/ was not preloaded; check PYTHONPATH", file=sys.stderr)
    sys.argv = ["prefect.engine", flow_run_id]
    # As `python -m prefect.engine` runs it; by path, because the module is imported already
    # (run_module would warn that it runs a second copy of an imported module).
    runpy.run_path(prefect.engine.__file__, run_name="__main__")


def _warm_up() -> None:
    pass


class Forker:
    """Starts children from a forkserver that has imported PRELOAD once."""

    def __init__(self) -> None:
        # On Python 3.11 the forkserver imports its preload modules before it applies the
        # parent's sys.path, and silently skips a module it cannot import: only PYTHONPATH,
        # which it inherits, makes flows/ importable there.
        paths = [str(PROJECT_ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(":"))]
        os.environ["PYTHONPATH"] = ":".join(dict.fromkeys(paths))
        self.context = multiprocessing.get_context("forkserver")
        self.context.set_forkserver_preload(PRELOAD)

    def warm_up(self) -> float:
        """Start the forkserver now rather than on the first run; returns the seconds it took."""
        started = time.monotonic()
        # The forkserver inherits this environment when it starts (now): it tells
        # flows/preload.py to load there, once, what every run would load on first use.
        os.environ[FORKSERVER_ENV] = "1"
        try:
            child = self.context.Process(target=_warm_up)
            child.start()
        finally:
            os.environ.pop(FORKSERVER_ENV, None)
        child.join()
        return time.monotonic() - started

    def start(self, flow_run_id: str, env: dict[str, str | None], cwd: str):
        child = self.context.Process(
            target=execute_flow_run, args=(flow_run_id, env, cwd), name=f"flow-run-{flow_run_id}"
        )
        child.start()
        return child


class DossierWorker(BaseWorker[ProcessJobConfiguration, ProcessVariables, ProcessWorkerResult]):
    """A worker for process pools that runs each flow run in a child of a preloaded
    forkserver. It reads the process job template (env, working_dir), so it serves the
    "dossiers" pool beside, or instead of, stock process workers."""

    type = "dossier"
    job_configuration = ProcessJobConfiguration
    job_configuration_variables = ProcessVariables
    _description = "Runs flow runs in children forked from a process that preloaded the flows."

    def __init__(self, *args: Any, forker: Forker, poll_seconds: float | None = None,
                 **kwargs: Any) -> None:  # fmt: skip
        super().__init__(*args, **kwargs)
        self._forker = forker
        self._poll_seconds = poll_seconds or get_current_settings().worker.query_seconds
        #: The process of each run this worker runs now. (A resumed run's new process may start
        #: while the one that suspended it still exits: the newest counts.)
        self._children: dict[UUID, Any] = {}
        #: Processes this worker stopped itself, giving their run its next state (rescheduled
        #: or cancelled): their exit status is not a crash.
        self._taken_over: set[int] = set()
        self._wake = anyio.Event()

    # -- the documented extension points ----------------------------------------------------

    async def run(
        self,
        flow_run: FlowRun,
        configuration: ProcessJobConfiguration,
        task_status: anyio.abc.TaskStatus[int] | None = None,
    ) -> ProcessWorkerResult:
        task_status = task_status or anyio.TASK_STATUS_IGNORED
        with tempfile.TemporaryDirectory(suffix="prefect") as scratch:
            cwd = str(configuration.working_dir or scratch)
            child = self._forker.start(str(flow_run.id), dict(configuration.env), cwd)
            self._children[flow_run.id] = child
            task_status.started(child.pid)
            try:
                while child.exitcode is None:
                    await anyio.sleep(0.1)
            finally:
                if self._children.get(flow_run.id) is child:
                    del self._children[flow_run.id]
        status = 0 if child.pid in self._taken_over else child.exitcode
        self._taken_over.discard(child.pid)
        return ProcessWorkerResult(status_code=status, identifier=str(child.pid))

    async def kill_infrastructure(
        self, infrastructure_pid: str, configuration: ProcessJobConfiguration,
        grace_seconds: int = 30,
    ) -> None:  # fmt: skip
        pid = int(str(infrastructure_pid).rpartition(":")[2])
        child = next((c for c in self._children.values() if c.pid == pid), None)
        if child is None:
            raise InfrastructureNotFound(f"no flow run child with pid {infrastructure_pid}")
        child.terminate()
        with anyio.move_on_after(grace_seconds):
            while child.exitcode is None:
                await anyio.sleep(0.1)
        if child.exitcode is None:
            child.kill()

    # -- finding work ---------------------------------------------------------------------------

    def nudged(self) -> None:
        self._wake.set()

    async def _poll_loop(self) -> None:
        retries = 0
        while True:
            # This poll serves the nudges so far; one that arrives while it runs wakes the next.
            woken, self._wake = self._wake.is_set(), anyio.Event()
            try:
                found = await self.get_and_submit_flow_runs()
            except Exception:
                log.exception("polling the work pool failed")
                found = []
            retries = NUDGE_RETRIES if woken and not found else max(retries - 1, 0)
            if found:
                retries = 0
            wait = NUDGE_RETRY_SECONDS if retries else self._poll_seconds
            with anyio.move_on_after(wait):
                await self._wake.wait()

    async def _sync_loop(self) -> None:
        """The worker's heartbeat to the server, and a look at whether a run it holds is being
        cancelled (the event below may have been missed)."""
        while True:
            await anyio.sleep(self.heartbeat_interval_seconds)
            try:
                await self.sync_with_backend()
                await self._stop_cancelled_runs()
            except Exception:
                log.exception("synchronising with the Prefect server failed")

    async def _listen_for_nudges(self, host: str, port: int) -> None:
        try:
            udp = await anyio.create_udp_socket(local_host=host, local_port=port)
        except OSError as exc:  # taken by another worker: this one polls, it is only slower
            log.warning("no nudges on %s:%s (%s); polling only", host, port, exc)
            return
        async with udp:
            log.info("listening for nudges on %s:%s (udp)", host, port)
            async for _packet, _sender in udp:
                self.nudged()

    # -- cancellation of a running run ------------------------------------------------------------
    # BaseWorker stops a cancelled run only before it started; a started one is this
    # worker's to stop. It is killed (a SIGTERM would make the engine report Crashed) and
    # then marked Cancelled, which is what the person in the UI asked for.

    async def _listen_for_cancellations(self) -> None:
        event_filter = EventFilter(event=EventNameFilter(name=["prefect.flow-run.Cancelling"]))
        while True:
            try:
                async with get_events_subscriber(filter=event_filter) as subscriber:
                    async for event in subscriber:
                        resource = event.resource.get("prefect.resource.id", "")
                        try:
                            flow_run_id = UUID(resource.removeprefix("prefect.flow-run."))
                        except ValueError:
                            continue
                        if flow_run_id in self._children:
                            await self._cancel(flow_run_id)
            except Exception as exc:
                log.debug("event subscription lost (%r); reconnecting", exc)
            await anyio.sleep(5)

    async def _stop_cancelled_runs(self) -> None:
        if not self._children:
            return
        cancelling = await self.client.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                id=FlowRunFilterId(any_=list(self._children)),
                state=FlowRunFilterState(name=FlowRunFilterStateName(any_=["Cancelling"])),
            )
        )
        for flow_run in cancelling:
            await self._cancel(flow_run.id)

    async def _cancel(self, flow_run_id: UUID) -> None:
        if not await self._stop_child(flow_run_id):
            return
        log.info("flow run %s cancelled from outside: stopped", flow_run_id)
        await self.client.set_flow_run_state(
            flow_run_id, Cancelled(message="Cancelled; the dossier worker stopped the run."),
            force=True,
        )  # fmt: skip

    async def _stop_child(self, flow_run_id: UUID) -> bool:
        """Kill the run's child (no state reported by it); whether there was one to kill."""
        child = self._children.get(flow_run_id)
        if child is None or child.exitcode is not None:
            return False
        self._taken_over.add(child.pid)
        child.kill()
        while child.exitcode is None:
            await anyio.sleep(0.05)
        return True

    # -- life cycle ----------------------------------------------------------------------------

    async def serve(self, *, nudge_address: tuple[str, int] | None, grace_seconds: float) -> None:
        """Run until SIGINT/SIGTERM, then stop as the module docstring says."""
        stop = anyio.Event()
        hurry = anyio.Event()
        async with anyio.create_task_group() as outer:
            outer.start_soon(self._handle_signals, stop, hurry)
            async with self:
                async with anyio.create_task_group() as loops:
                    loops.start_soon(self._poll_loop)
                    loops.start_soon(self._sync_loop)
                    loops.start_soon(self._listen_for_cancellations)
                    if nudge_address:
                        loops.start_soon(self._listen_for_nudges, *nudge_address)
                    log.info("dossier worker %r started", self.name)
                    await stop.wait()
                    loops.cancel_scope.cancel()
                await self._drain(grace_seconds, hurry)
            outer.cancel_scope.cancel()
        log.info("dossier worker %r stopped", self.name)

    async def _handle_signals(self, stop: anyio.Event, hurry: anyio.Event) -> None:
        with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            async for signum in signals:
                if not stop.is_set():
                    log.info(
                        "%s: taking no new runs; %d running may reach their next step",
                        signal.Signals(signum).name, len(self._children),
                    )  # fmt: skip
                    stop.set()
                else:
                    hurry.set()

    async def _drain(self, grace_seconds: float, hurry: anyio.Event) -> None:
        with anyio.move_on_after(grace_seconds):
            while self._children and not hurry.is_set():
                with anyio.move_on_after(0.1):
                    await hurry.wait()
        for flow_run_id in list(self._children):
            await self._reschedule(flow_run_id)

    async def _reschedule(self, flow_run_id: UUID) -> None:
        """Stop a run that did not reach its next step in time and put it back in the pool:
        another worker (or this one, restarted) continues it from its first unfinished step."""
        if not await self._stop_child(flow_run_id):
            return
        try:
            flow_run = await self.client.read_flow_run(flow_run_id)
            if flow_run.state is not None and flow_run.state.is_final():
                return  # it finished just before it was stopped
            await self.client.set_flow_run_state(
                flow_run_id,
                AwaitingRetry(message="The dossier worker stopped; rescheduled."),
                force=True,
            )
            log.warning("flow run %s stopped and rescheduled", flow_run_id)
        except Exception:
            # The reconciler finds a run left Running without a process (its heartbeats stop).
            log.exception("flow run %s could not be rescheduled", flow_run_id)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pool", default="dossiers", help="the process work pool to serve")
    parser.add_argument("--queue", action="append", help="work queue(s) (default: all)")
    parser.add_argument("--name", default=None, help="worker name (default: host and pid)")
    parser.add_argument("--limit", type=int, default=None, help="most flow runs at once")
    parser.add_argument(
        "--poll-seconds", type=float, default=None,
        help="seconds between polls (default: PREFECT_WORKER_QUERY_SECONDS)",
    )  # fmt: skip
    parser.add_argument(
        "--nudge-address", default=None,
        help="udp host:port to listen on (default: the first of $DOSSIERFLOW_WORKER_NUDGE; "
        "'off' for none)",
    )  # fmt: skip
    parser.add_argument("--grace", type=float, default=30.0, help="seconds to let runs finish")
    args = parser.parse_args(argv)

    if args.nudge_address == "off":
        nudge_address = None
    elif args.nudge_address:
        host, _, port = args.nudge_address.rpartition(":")
        nudge_address = (host, int(port))
    else:
        nudge_address = (nudge_addresses() or [None])[0]

    # Heartbeats every 30 s (Prefect's default is 180): flows/automations.py and the reconciler
    # take a run that has been silent for 90 s for one whose process is gone.
    os.environ.setdefault("PREFECT_FLOWS_HEARTBEAT_FREQUENCY", "30")
    forker = Forker()
    log.info("forkserver with preloaded flows ready in %.2fs", forker.warm_up())
    worker = DossierWorker(
        work_pool_name=args.pool,
        work_queues=args.queue,
        name=args.name or f"dossier-worker-{os.uname().nodename}-{os.getpid()}",
        limit=args.limit,
        create_pool_if_not_found=False,
        forker=forker,
        poll_seconds=args.poll_seconds,
    )
    anyio.run(lambda: worker.serve(nudge_address=nudge_address, grace_seconds=args.grace))


if __name__ == "__main__":
    # multiprocessing would run this module again in every child (as "__mp_main__") because
    # it is __main__ here; the children need only what the forkserver preloaded. So __main__
    # forgets where it came from, and the code runs from the imported module flows.worker.
    __spec__ = None
    del __file__
    from flows.worker import main as worker_main

    worker_main()
