"""The dossier executor: a Prefect worker that starts resumed dossiers in well under a second.

    python -m flows.executor [--pool dossiers] [--name NAME] [--limit N] [--poll-seconds 5]

The stock process worker starts a fresh Python for every flow run and every resume; importing
prefect and flows/ is most of the 3+ seconds a client waits for the next step. This worker does
the same job from a process that imported all of that once:

- It is a worker of the "dossiers" pool built on Prefect's BaseWorker: it polls the pool,
  claims each run by proposing Pending (a second claimer is refused by the server), sends
  heartbeats, and uses the pool's process job template (env, working_dir).
- Each run executes in a child forked from a multiprocessing forkserver that preloaded prefect
  and flows/, running `prefect.engine` exactly as `python -m prefect.engine` would: the
  deployment's pull steps, suspend, resume and the task cache behave as with the process worker.
- It polls every few seconds, and after a nudge (flows/nudge.py: the relay after a resume or a
  new run; the server's flow-run Scheduled/Resuming events) it polls every 0.1 s for a few
  seconds: a nudge can arrive before the new state is readable, and a lost one only delays.

SIGINT or SIGTERM stops polling and lets running flow runs finish (they end at their next
suspension) for up to --grace seconds, then terminates them; a second signal kills them at once.
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
from functools import partial
from pathlib import Path
from typing import Any

import anyio
import anyio.abc
from prefect.client.schemas.objects import FlowRun
from prefect.events.clients import get_events_subscriber
from prefect.events.filters import EventFilter, EventNameFilter
from prefect.exceptions import InfrastructureNotFound
from prefect.logging import get_logger
from prefect.utilities.services import critical_service_loop
from prefect.workers.base import BaseWorker
from prefect.workers.process import (
    ProcessJobConfiguration,
    ProcessVariables,
    ProcessWorkerResult,
)

from flows.nudge import DEFAULT_ADDRESS, nudge_addresses

log = get_logger("dossierflow.executor")

#: Imported once by the forkserver; every flow run's child starts with them in memory.
PRELOAD = [
    "flows.executor",
    "prefect.engine",
    "prefect.flow_engine",
    "prefect.task_engine",
    "prefect.deployments.steps",
    "prefect.utilities.visualization",
    "flows.dossier",
    "flows.relay",
    # create_engine() imports the dialect and the driver on first use: 0.8 s in every child
    # unless it happens here. Modules that are not installed are skipped.
    "sqlalchemy.dialects.sqlite",
    "sqlalchemy.dialects.postgresql",
    "psycopg",
]
#: The server's events that mean a run of the pool may just have become due.
WAKE_EVENTS = ["prefect.flow-run.Scheduled", "prefect.flow-run.Resuming"]
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def execute_flow_run(flow_run_id: str, env: dict[str, str | None], cwd: str) -> None:
    """The body of a flow run's child: what `python -m prefect.engine <id>` does, minus the
    interpreter start and the imports."""
    if "flows.dossier" not in sys.modules:  # the forkserver could not preload (see Forker)
        print("dossier executor: flows/ was not preloaded; check PYTHONPATH", file=sys.stderr)
    # A Ctrl-C in the executor's terminal reaches the whole process group; the executor decides
    # when its runs stop (it lets them reach their suspension).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for name, value in env.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    os.chdir(cwd)
    sys.argv = ["prefect.engine", flow_run_id]
    profile_dir = os.environ.get("DOSSIERFLOW_EXECUTOR_PROFILE")
    if not profile_dir:
        runpy.run_module("prefect.engine", run_name="__main__", alter_sys=True)
        return
    import cProfile  # where a run's time goes: python -m pstats <dir>/<flow run>-<pid>.prof

    profiler = cProfile.Profile()
    try:
        profiler.runcall(runpy.run_module, "prefect.engine", run_name="__main__", alter_sys=True)
    finally:
        profiler.dump_stats(os.path.join(profile_dir, f"{flow_run_id}-{os.getpid()}.prof"))


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
        child = self.context.Process(target=_warm_up, daemon=False)
        child.start()
        child.join()
        return time.monotonic() - started

    def start(self, flow_run_id: str, env: dict[str, str | None], cwd: str):
        child = self.context.Process(
            target=execute_flow_run,
            args=(flow_run_id, env, cwd),
            name=f"flow-run-{flow_run_id}",
            daemon=False,
        )
        child.start()
        return child


class DossierExecutor(BaseWorker[ProcessJobConfiguration, ProcessVariables, ProcessWorkerResult]):
    """A worker for process pools that runs each flow run in a child of a preloaded
    forkserver. It uses the process job template, so it can serve the "dossiers" pool beside
    (or instead of) stock process workers."""

    type = "dossier-executor"
    job_configuration = ProcessJobConfiguration
    job_configuration_variables = ProcessVariables
    _description = "Runs flow runs in children forked from a process that preloaded the flows."
    _display_name = "Dossier executor"

    def __init__(
        self,
        *args: Any,
        forker: Forker,
        poll_seconds: float = 5.0,
        burst_seconds: float = 3.0,
        burst_interval: float = 0.1,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._forker = forker
        self._poll_seconds = poll_seconds
        self._burst_seconds = burst_seconds
        self._burst_interval = burst_interval
        self._burst_until = 0.0
        self._wake = anyio.Event()
        self._children: dict[int, Any] = {}

    def _record_work_pool_snapshot(self, work_pool) -> None:
        # A process pool is what this worker serves: no "type mismatch" warning for it.
        if work_pool.type == "process":
            work_pool = work_pool.model_copy(update={"type": self.type})
        super()._record_work_pool_snapshot(work_pool)

    # -- running one flow run -------------------------------------------------------------

    async def run(
        self,
        flow_run: FlowRun,
        configuration: ProcessJobConfiguration,
        task_status: anyio.abc.TaskStatus[int] | None = None,
    ) -> ProcessWorkerResult:
        task_status = task_status or anyio.TASK_STATUS_IGNORED
        with tempfile.TemporaryDirectory(suffix="prefect") as scratch:
            cwd = str(configuration.working_dir or scratch)
            env = dict(configuration.env)
            env["PREFECT__FLOW_RUN_ID"] = str(flow_run.id)
            child = self._forker.start(str(flow_run.id), env, cwd)
            self._children[child.pid] = child
            task_status.started(child.pid)
            try:
                while child.exitcode is None:
                    await anyio.sleep(0.1)
            finally:
                self._children.pop(child.pid, None)
        return ProcessWorkerResult(status_code=child.exitcode, identifier=str(child.pid))

    async def kill_infrastructure(
        self, infrastructure_pid: str, configuration: ProcessJobConfiguration,
        grace_seconds: int = 30,
    ) -> None:  # fmt: skip
        child = self._children.get(int(str(infrastructure_pid).rpartition(":")[2]))
        if child is None:
            raise InfrastructureNotFound(f"no flow run child with pid {infrastructure_pid}")
        child.terminate()
        with anyio.move_on_after(grace_seconds):
            while child.exitcode is None:
                await anyio.sleep(0.1)
        if child.exitcode is None:
            child.kill()

    # -- finding work ------------------------------------------------------------------------

    def nudged(self) -> None:
        """Poll at once, then often for a little while."""
        self._burst_until = time.monotonic() + self._burst_seconds
        self._wake.set()

    async def _poll_loop(self) -> None:
        while True:
            try:
                await self.get_and_submit_flow_runs()
            except Exception:
                self._logger.exception("polling the work pool failed")
            fast = time.monotonic() < self._burst_until
            with anyio.move_on_after(self._burst_interval if fast else self._poll_seconds):
                await self._wake.wait()
            if self._wake.is_set():
                self._wake = anyio.Event()

    async def _listen_for_nudges(self, host: str, port: int) -> None:
        async with await anyio.create_udp_socket(local_host=host, local_port=port) as udp:
            self._logger.info("listening for nudges on %s:%s (udp)", host, port)
            async for _packet, _sender in udp:
                self.nudged()

    async def _listen_for_events(self) -> None:
        """The server's own nudges: a run of any pool became due (cheap to poll for nothing)."""
        event_filter = EventFilter(event=EventNameFilter(name=WAKE_EVENTS))
        while True:
            try:
                async with get_events_subscriber(filter=event_filter) as subscriber:
                    self._logger.info("listening for the server's flow-run events")
                    async for _event in subscriber:
                        self.nudged()
            except Exception as exc:
                self._logger.debug("event subscription lost (%r); reconnecting", exc)
            await anyio.sleep(5)

    # -- life cycle ----------------------------------------------------------------------------

    async def serve(self, *, nudge_address: tuple[str, int] | None, events: bool,
                    grace_seconds: float) -> None:  # fmt: skip
        """Run until SIGINT/SIGTERM, then let running flow runs finish (up to grace_seconds)."""
        stop = anyio.Event()
        async with anyio.create_task_group() as outer:
            outer.start_soon(self._handle_signals, stop)
            async with self:
                async with anyio.create_task_group() as loops:
                    loops.start_soon(self._poll_loop)
                    loops.start_soon(
                        partial(
                            critical_service_loop,
                            workload=self._sync_and_initialize,
                            interval=self.heartbeat_interval_seconds,
                            jitter_range=0.3,
                            backoff=4,
                        )
                    )
                    if nudge_address:
                        loops.start_soon(self._listen_for_nudges, *nudge_address)
                    if events:
                        loops.start_soon(self._listen_for_events)
                    self._started_event = await self._emit_worker_started_event()
                    self._logger.info("dossier executor %r started", self.name)
                    await stop.wait()
                    loops.cancel_scope.cancel()
                await self._drain(grace_seconds)
            outer.cancel_scope.cancel()
        self._logger.info("dossier executor %r stopped", self.name)

    async def _handle_signals(self, stop: anyio.Event) -> None:
        with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            async for signum in signals:
                if not stop.is_set():
                    self._logger.info(
                        "%s: no new runs; waiting for %d running", signal.Signals(signum).name,
                        len(self._children),
                    )  # fmt: skip
                    stop.set()
                else:
                    self._logger.warning("second signal: killing %d runs", len(self._children))
                    for child in list(self._children.values()):
                        child.kill()

    async def _drain(self, grace_seconds: float) -> None:
        with anyio.move_on_after(grace_seconds):
            while self._children:
                await anyio.sleep(0.1)
        if self._children:
            self._logger.warning("terminating %d runs still running", len(self._children))
            for child in list(self._children.values()):
                child.terminate()
            with anyio.move_on_after(10):
                while self._children:
                    await anyio.sleep(0.1)
            for child in list(self._children.values()):
                child.kill()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pool", default="dossiers", help="the process work pool to serve")
    parser.add_argument("--queue", action="append", help="work queue(s) (default: all)")
    parser.add_argument("--name", default=None, help="worker name (default: host and pid)")
    parser.add_argument("--limit", type=int, default=None, help="most flow runs at once")
    parser.add_argument("--poll-seconds", type=float, default=5.0, help="the slow poll")
    parser.add_argument(
        "--nudge-address", default=None,
        help=f"udp host:port to listen on (default: first of $DOSSIERFLOW_EXECUTOR_NUDGE "
        f"or {DEFAULT_ADDRESS}; 'off' for none)",
    )  # fmt: skip
    parser.add_argument("--no-events", action="store_true", help="ignore the server's events")
    parser.add_argument("--grace", type=float, default=30.0, help="seconds to let runs finish")
    args = parser.parse_args(argv)

    if args.nudge_address == "off":
        nudge_address = None
    elif args.nudge_address:
        host, _, port = args.nudge_address.rpartition(":")
        nudge_address = (host, int(port))
    else:
        nudge_address = (nudge_addresses() or [None])[0]

    forker = Forker()
    log.info("forkserver with preloaded flows ready in %.2fs", forker.warm_up())
    executor = DossierExecutor(
        work_pool_name=args.pool,
        work_queues=args.queue,
        name=args.name or f"dossier-executor-{os.uname().nodename}-{os.getpid()}",
        limit=args.limit,
        create_pool_if_not_found=False,
        forker=forker,
        poll_seconds=args.poll_seconds,
    )
    anyio.run(
        partial(
            executor.serve,
            nudge_address=nudge_address,
            events=not args.no_events,
            grace_seconds=args.grace,
        )
    )


if __name__ == "__main__":
    # multiprocessing would run this module again in every child (as "__mp_main__") because
    # it is __main__ here; the children need only what the forkserver preloaded. So __main__
    # forgets where it came from, and the code runs from the imported module flows.executor.
    __spec__ = None
    del __file__
    from flows.executor import main as executor_main

    executor_main()
