"""The dossier executor: a Prefect worker that starts resumed dossiers in well under a second.

    python -m flows.executor [--pool dossiers] [--name NAME] [--limit N] [--poll-seconds 5]

The stock process worker starts a fresh Python for every flow run and every resume; importing
prefect and flows/ is most of the 3+ seconds a client waits for the next step. This worker does
the same job from a process that imported all of that once:

- It is a worker of the "dossiers" pool built on Prefect's BaseWorker: it polls the pool,
  claims each run by proposing Pending (a second claimer is refused by the server), sends
  heartbeats, and uses the pool's process job template (env, working_dir).
- The claim makes fewer API calls than BaseWorker's, and none twice (see _submit_run): the
  deployment is read beside the Pending proposal, the flow once, no "Submitting" sub-state,
  worker labels only when missing, and the child gets the claimed run.
- Each run executes in a child forked from a multiprocessing forkserver that preloaded prefect
  and flows/ (and created the portal database engine and a Prefect client's TLS context). For
  a deployment whose pull steps only set the working directory and whose flow is preloaded,
  the child changes directory itself and runs that flow object through Prefect's `run_flow`
  as `python -m prefect.engine` does; otherwise it runs `prefect.engine` itself. Either way
  suspend, resume and the task cache behave as with the process worker.
- It polls every few seconds, and after a nudge (flows/nudge.py: the relay after a resume or a
  new run; the server's flow-run Scheduled/Resuming events) it polls every 0.1 s for a few
  seconds or until a poll finds work: a nudge can arrive before the new state is readable, and
  a lost one only delays.

SIGINT or SIGTERM stops polling and lets running flow runs finish (they end at their next
suspension) for up to --grace seconds, then terminates them; a second signal kills them at once.
"""

from __future__ import annotations

import argparse
import copy
import multiprocessing
import os
import runpy
import signal
import ssl
import sys
import tempfile
import time
from collections import OrderedDict
from datetime import UTC, datetime
from functools import cache, partial
from pathlib import Path
from typing import Any
from uuid import UUID

import anyio
import anyio.abc
from prefect._internal.infrastructure_exit_codes import get_infrastructure_exit_info
from prefect.client.schemas.objects import FlowRun
from prefect.events.clients import get_events_subscriber
from prefect.events.filters import EventFilter, EventNameFilter
from prefect.exceptions import InfrastructureNotFound, ObjectNotFound
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
    "flows.database",
    # create_engine() imports the dialect and the driver on first use: 0.8 s in every child
    # unless it happens here. Modules that are not installed are skipped.
    "sqlalchemy.dialects.sqlite",
    "sqlalchemy.dialects.postgresql",
    "psycopg",
]
#: The server's events that mean a run of the pool may just have become due.
WAKE_EVENTS = ["prefect.flow-run.Scheduled", "prefect.flow-run.Resuming"]
#: How many recent claims the executor remembers, to tell a late event from a new one.
CLAIMS_REMEMBERED = 1024
#: Set for the forkserver only: flows/database.py then creates the portal engine at import.
FORKSERVER_ENV = "DOSSIERFLOW_FORKSERVER"
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def execute_flow_run(
    flow_run_id: str, env: dict[str, str | None], cwd: str,
    deployment: dict[str, Any] | None = None, flow_run: FlowRun | None = None,
) -> None:  # fmt: skip
    """The body of a flow run's child: what `python -m prefect.engine <id>` does, minus the
    interpreter start and the imports.

    With `deployment` (its entrypoint and pull steps, read by the executor when it claimed the
    run) and a flow that the forkserver preloaded, the child skips reading the deployment again,
    running the pull steps through Prefect's step machinery and importing the flow file: it
    changes to the pull steps' directory itself and hands the preloaded flow object to
    Prefect's own `run_flow`, as `prefect.engine` would (see _run_flow). Anything else (other
    pull steps, a flow that was not preloaded) goes the whole `prefect.engine` way.

    `flow_run` is the run as the executor claimed it; the engine reads it again as soon as the
    run is Running (setup_run_context), so a state older than the claim does not matter."""
    if "flows.dossier" not in sys.modules:  # the forkserver could not preload (see Forker)
        print("dossier executor: flows/ was not preloaded; check PYTHONPATH", file=sys.stderr)
    # A Ctrl-C in the executor's terminal reaches the whole process group; the executor decides
    # when its runs stop (it lets them reach their suspension).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ.pop(FORKSERVER_ENV, None)
    for name, value in env.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    os.chdir(cwd)
    _after_fork()
    _share_tls_contexts()
    sys.argv = ["prefect.engine", flow_run_id]
    profile_dir = os.environ.get("DOSSIERFLOW_EXECUTOR_PROFILE")
    if not profile_dir:
        _run_flow(flow_run_id, deployment, flow_run)
        return
    import cProfile  # where a run's time goes: python -m pstats <dir>/<flow run>-<pid>.prof

    profiler = cProfile.Profile()
    try:
        profiler.runcall(_run_flow, flow_run_id, deployment, flow_run)
    finally:
        profiler.dump_stats(os.path.join(profile_dir, f"{flow_run_id}-{os.getpid()}.prof"))


def _after_fork() -> None:
    """The portal database engine that the forkserver created (flows/database.py) is valid
    here only without the forkserver's connections: SQLAlchemy's multiprocessing pattern."""
    database = sys.modules.get("flows.database")
    if database is not None:
        database.after_fork()


class _SharedTLSContexts:
    """The `ssl` module as Prefect's client module sees it in a flow run's child.

    Every Prefect client (a flow run makes several) builds a verified TLS context from the
    certifi bundle, even for an http:// API: 70-120 ms each here, reading and parsing the bundle.
    The forkserver builds that context once (_TLS_CONTEXTS) and the child's Prefect clients get
    it. Only verified contexts for a CA file are shared: Prefect changes none of those after
    creating them. Everything else is the real `ssl` module.
    """

    def __getattr__(self, name: str) -> Any:
        return getattr(ssl, name)

    def create_default_context(
        self, purpose: ssl.Purpose = ssl.Purpose.SERVER_AUTH, *, cafile: str | None = None,
        capath: str | None = None, cadata: Any = None,
    ) -> ssl.SSLContext:  # fmt: skip
        if purpose == ssl.Purpose.SERVER_AUTH and cafile and capath is None and cadata is None:
            context = _TLS_CONTEXTS.get(cafile)
            if context is None:
                context = _TLS_CONTEXTS[cafile] = ssl.create_default_context(cafile=cafile)
            return context
        return ssl.create_default_context(purpose, cafile=cafile, capath=capath, cadata=cadata)


#: Verified TLS contexts by CA file, built in the forkserver (see _SharedTLSContexts).
_TLS_CONTEXTS: dict[str, ssl.SSLContext] = {}


def _prepare_tls_contexts() -> None:
    """In the forkserver: the context every Prefect client of a child would build, and one
    client built and thrown away (the first one in a process pays 0.1 s of lazy set-up)."""
    try:
        import certifi
        from prefect.client.orchestration import PrefectClient, SyncPrefectClient

        _TLS_CONTEXTS[certifi.where()] = ssl.create_default_context(cafile=certifi.where())
        _share_tls_contexts()
        for client_class in (SyncPrefectClient, PrefectClient):
            client_class("http://127.0.0.1:9/api")  # never entered: no connection
    except Exception:
        pass


def _share_tls_contexts() -> None:
    import prefect.client.orchestration as orchestration

    if orchestration.ssl is ssl:
        orchestration.ssl = _SharedTLSContexts()


def _run_flow(
    flow_run_id: str, deployment: dict[str, Any] | None, claimed: FlowRun | None = None
) -> None:
    flow = _preloaded_flow(deployment) if deployment else None
    if flow is None:
        runpy.run_module("prefect.engine", run_name="__main__", alter_sys=True)
        return
    # prefect/engine.py's __main__ block, with the flow already loaded.
    from prefect._internal.control_listener import configure_from_env
    from prefect._internal.metrics import RunMetrics
    from prefect.engine import _drive_run_flow_result, handle_engine_signals
    from prefect.flow_engine import flow_run_logger, load_flow_run, run_flow

    run_id = UUID(flow_run_id)
    configure_from_env()
    early_observer = _EarlySuspensionObserver(run_id)
    try:
        with handle_engine_signals(run_id):
            flow_run = claimed if claimed is not None else load_flow_run(flow_run_id=run_id)
            run_logger = flow_run_logger(flow_run=flow_run)
            with RunMetrics(flow_run, flow):
                result = run_flow(flow, flow_run=flow_run, error_logger=run_logger)
                _drive_run_flow_result(flow, result)
    finally:
        early_observer.close()


class _EarlySuspensionObserver:
    """Prefect's suspension observer for this flow run, subscribed in the background.

    Before a flow run's body starts, Prefect's engine subscribes to the server's events for a
    suspension of the run requested from outside (observe_flow_run_suspension) and waits until
    the subscription stands: 0.15-0.35 s here, on the client's wait for the next step. This
    starts the same observer in the background as the child starts, and hands it to the engine
    at once when the engine asks for it, without waiting for it to stand. Nothing is missed for
    that: the observer's first act, once subscribed, is to read the run's state, so a
    suspension requested before it stood is seen then (FlowRunSuspendingObserver
    .watch_flow_run_id); the engine learns of it a moment later, as it would of one requested
    while the body runs. What the observer sees goes where it would have gone: to the run's
    registered suspension request (the engine registers it before it asks for the observer),
    or, if it came before that, it is passed on when the engine asks. Any other observer the
    engine asks for (a subflow's) is Prefect's own.
    """

    def __init__(self, flow_run_id: Any) -> None:
        import threading

        import prefect.flow_engine as flow_engine
        from prefect._flow_run_suspension import FlowRunSuspensionRequest

        self.flow_run_id = flow_run_id
        self._flow_engine = flow_engine
        self._original = flow_engine.observe_flow_run_suspension
        self._request = FlowRunSuspensionRequest()
        self._observer = None
        self._closed = False
        self._lock = threading.Lock()
        flow_engine.observe_flow_run_suspension = self._observe
        threading.Thread(target=self._enter, name="early-suspension-observer", daemon=True).start()

    def _enter(self) -> None:
        observer = None
        for _attempt in range(2):  # a start that failed is tried once more
            try:
                observer = self._original(self.flow_run_id, self._request)
                observer.__enter__()
                break
            except Exception:
                log.debug("suspension observer for %s did not start", self.flow_run_id)
                observer = None
        with self._lock:
            if self._closed and observer is not None:  # closed before it stood
                observer.__exit__(None, None, None)
                observer = None
            self._observer = observer

    def _observe(self, flow_run_id: Any, suspension_request: Any, *args: Any, **kwargs: Any):
        from contextlib import contextmanager

        if flow_run_id != self.flow_run_id or args or kwargs:
            return self._original(flow_run_id, suspension_request, *args, **kwargs)
        self._flow_engine.observe_flow_run_suspension = self._original  # once only

        @contextmanager
        def handed_over():
            if state := self._request.get_state():
                suspension_request.mark_requested(state)
            try:
                yield
            finally:
                self.close()

        return handed_over()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            observer, self._observer = self._observer, None
        if self._flow_engine.observe_flow_run_suspension == self._observe:
            self._flow_engine.observe_flow_run_suspension = self._original
        if observer is not None:
            observer.__exit__(None, None, None)


#: Pull steps the child can do itself: they only change the working directory.
LOCAL_PULL_STEPS = {
    "prefect.deployments.steps.set_working_directory",
    "prefect.deployments.steps.pull.set_working_directory",
}


def _preloaded_flow(deployment: dict[str, Any]):
    """Do what load_flow_from_flow_run would do for this deployment, if that is only changing
    the directory and importing a flow that the forkserver already imported; None otherwise
    (the caller then takes Prefect's own way). Changes the working directory as the pull steps
    would."""
    from prefect.flows import Flow
    from prefect.utilities.templating import apply_values

    if os.environ.get("PREFECT__FLOW_ENTRYPOINT"):
        return None
    entrypoint = deployment.get("entrypoint") or ""
    path, _, name = entrypoint.rpartition(":")
    if not path.endswith(".py") or not name.isidentifier():
        return None
    directories = []
    for step in deployment.get("pull_steps") or []:
        if not step:
            continue
        if len(step) != 1:
            return None
        ((fqn, inputs),) = step.items()
        if fqn not in LOCAL_PULL_STEPS or set(inputs or {}) != {"directory"}:
            return None
        directory = inputs["directory"]
        # Blocks and variables need the API: leave those to Prefect.
        if not isinstance(directory, str) or "prefect." in directory:
            return None
        directory = apply_values({"directory": directory}, os.environ)["directory"]
        if not isinstance(directory, str) or not directory or "{{" in directory:
            return None
        directories.append(directory)
    target = None
    base = Path.cwd()
    for directory in directories:
        base = (base / Path(directory).expanduser()).resolve()
    target = (base / path).resolve()
    for module in list(sys.modules.values()):
        module_file = getattr(module, "__file__", None)
        if (
            isinstance(module_file, str)
            and os.path.basename(module_file) == target.name  # cheap, before resolving
            and Path(module_file).resolve() == target
        ):
            flow = getattr(module, name, None)
            if isinstance(flow, Flow):
                for directory in directories:
                    os.chdir(os.path.expanduser(directory))  # what set_working_directory does
                return flow
    return None


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
        # flows/database.py to create the engine and initialise the dialect there, once.
        os.environ[FORKSERVER_ENV] = "1"
        try:
            child = self.context.Process(target=_warm_up, daemon=False)
            child.start()
        finally:
            os.environ.pop(FORKSERVER_ENV, None)
        child.join()
        return time.monotonic() - started

    def start(self, flow_run_id: str, env: dict[str, str | None], cwd: str,
              deployment: dict[str, Any] | None = None,
              flow_run: FlowRun | None = None):  # fmt: skip
        child = self.context.Process(
            target=execute_flow_run,
            args=(flow_run_id, env, cwd, deployment, flow_run),
            name=f"flow-run-{flow_run_id}",
            daemon=False,
        )
        child.start()
        return child


class _FlowsFromMemory:
    """The executor's Prefect client as resolve_for_flow_run sees it: a flow is read once and
    then answered from memory (a flow's id and name do not change); everything else is the
    client itself."""

    def __init__(self, client: Any, flows: dict[Any, Any]) -> None:
        self._client = client
        self._flows = flows

    async def read_flow(self, flow_id: Any) -> Any:
        flow = self._flows.get(flow_id)
        if flow is None:
            flow = self._flows[flow_id] = await self._client.read_flow(flow_id)
        return flow

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


class DossierJobConfiguration(ProcessJobConfiguration):
    """The process job configuration, with the Prefect settings' environment computed once:
    BaseJobConfiguration derives it from the settings for every run (30-100 ms of CPU, on the
    client's wait), and this process's settings do not change while it runs."""

    @classmethod
    def _base_environment(cls) -> dict[str, str]:
        return dict(_settings_environment())


@cache
def _settings_environment() -> dict[str, str]:
    return ProcessJobConfiguration._base_environment()


class DossierExecutor(BaseWorker[DossierJobConfiguration, ProcessVariables, ProcessWorkerResult]):
    """A worker for process pools that runs each flow run in a child of a preloaded
    forkserver. It uses the process job template, so it can serve the "dossiers" pool beside
    (or instead of) stock process workers."""

    type = "dossier-executor"
    job_configuration = DossierJobConfiguration
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
        self._claims: OrderedDict[Any, Any] = OrderedDict()
        self._wake = anyio.Event()
        self._children: dict[int, Any] = {}
        self._deployments: dict[Any, dict[str, Any]] = {}
        self._flows: dict[Any, Any] = {}

    def _record_work_pool_snapshot(self, work_pool) -> None:
        # A process pool is what this worker serves: no "type mismatch" warning for it.
        if work_pool.type == "process":
            work_pool = work_pool.model_copy(update={"type": self.type})
        super()._record_work_pool_snapshot(work_pool)

    # -- claiming a flow run ------------------------------------------------------------------
    #
    # BaseWorker._submit_run, with fewer API calls on the client's wait (each one is a queued
    # write on the embedded stack's SQLite server, 20-150 ms under load):
    # - the deployment is read while Pending is proposed (the claim: a second claimer is
    #   refused); it also tells the child which flow to run;
    # - the flow, which the job configuration needs, is read once per flow, not per run;
    # - the informational "Submitting" sub-state of Pending is not proposed: the claim is
    #   Pending, and the child proposes Running;
    # - the worker labels are given once (a resumed run has them), and not on the wait;
    # - the child gets the claimed flow run instead of reading it again.
    # Each call made is the same as BaseWorker's, and a failure is handled as there.

    async def _submit_run(self, flow_run: FlowRun) -> None:
        run_logger = self.get_flow_run_logger(flow_run)
        try:
            deployment = None
            missing = False
            if flow_run.deployment_id:

                async def read_deployment() -> None:
                    nonlocal deployment, missing
                    try:
                        deployment = await self.client.read_deployment(flow_run.deployment_id)
                    except ObjectNotFound:
                        missing = True

                async with anyio.create_task_group() as claim:
                    claim.start_soon(read_deployment)
                    ready_to_submit = await self._propose_pending_state(flow_run)
            else:
                ready_to_submit = await self._propose_pending_state(flow_run)
            if missing:
                self._logger.error(
                    "Deployment %s no longer exists. Flow run %s will not be submitted for"
                    " execution", flow_run.deployment_id, flow_run.id,
                )  # fmt: skip
                await self._mark_flow_run_as_cancelled(
                    flow_run,
                    state_updates=dict(
                        message=f"Deployment {flow_run.deployment_id} no longer exists, "
                        "cancelled run."
                    ),
                )
                self._release_limit_slot(flow_run.id)
                return
            self._logger.debug(f"Ready to submit {flow_run.id}: {ready_to_submit}")
            if not ready_to_submit:
                self._release_limit_slot(flow_run.id)
                return
            self._note_claim(flow_run.id)
            readiness_result = await self._runs_task_group.start(
                self._submit_claimed_run, flow_run, deployment
            )
            if readiness_result and not isinstance(readiness_result, Exception):
                try:
                    await self.client.update_flow_run(
                        flow_run_id=flow_run.id, infrastructure_pid=str(readiness_result)
                    )
                except Exception:
                    run_logger.exception(
                        "An error occurred while setting the `infrastructure_pid` on flow run "
                        f"{flow_run.id!r}. The flow run will not be cancellable."
                    )
                run_logger.info(f"Flow run '{flow_run.name}' submitted to infrastructure")
            else:
                self._release_limit_slot(flow_run.id)
        finally:
            self._submitting_flow_run_ids.discard(flow_run.id)
            if self._cancelling_observer is not None:
                self._cancelling_observer.remove_in_flight_flow_run_id(flow_run.id)

    async def _submit_claimed_run(
        self, flow_run: FlowRun, deployment: Any,
        task_status: anyio.abc.TaskStatus[int | Exception] | None = None,
    ) -> Any:  # fmt: skip
        """BaseWorker._submit_run_and_capture_errors with the deployment already read."""
        run_logger = self.get_flow_run_logger(flow_run)
        configuration: DossierJobConfiguration | None = None
        try:
            work_pool = copy.deepcopy(self.work_pool)

            async def configure() -> None:
                nonlocal configuration
                configuration = await self.job_configuration.resolve_for_flow_run(
                    flow_run,
                    client=_FlowsFromMemory(self.client, self._flows),
                    work_pool=work_pool,
                    worker_name=self.name,
                    worker_id=self.backend_id,
                    deployment=deployment,
                )

            await configure()
            if not self._has_worker_labels(flow_run):
                # Not on the client's wait: the child does not need them.
                self._runs_task_group.start_soon(self._give_worker_labels_to_flow_run, flow_run.id)
            submitted_event = self._emit_flow_run_submitted_event(configuration)
            if deployment is not None:
                self._deployments[flow_run.id] = {
                    "entrypoint": deployment.entrypoint,
                    "pull_steps": deployment.pull_steps,
                }
            try:
                result = await self.run(
                    flow_run=flow_run, task_status=task_status, configuration=configuration
                )
            finally:
                self._deployments.pop(flow_run.id, None)
        except Exception as exc:
            if task_status and not task_status._future.done():
                run_logger.exception(
                    f"Failed to submit flow run '{flow_run.name}' to infrastructure."
                )
                task_status.started(exc)
                message = (
                    f"Failed to submit flow run to infrastructure: {type(exc).__name__}: {exc}"
                )
                await self._propose_crashed_state(flow_run, message)
            else:
                run_logger.exception(
                    f"Lost connection to flow run '{flow_run.name}' infrastructure. The flow "
                    "run's final state will be determined by the execution environment."
                )
            return exc
        finally:
            self._release_limit_slot(flow_run.id)

        if task_status and not task_status._future.done():
            task_status.started(
                RuntimeError(
                    "Infrastructure returned without reporting flow run as started or raising "
                    "an error."
                )
            )
        if result.status_code != 0:
            info = get_infrastructure_exit_info(result.status_code)
            await self._propose_crashed_state(
                flow_run,
                "Flow run infrastructure exited with non-zero status code"
                f" {result.status_code}. {info.explanation}",
            )
            if info.resolution:
                run_logger.info(info.resolution)
        if submitted_event:
            self._emit_flow_run_executed_event(result, configuration, submitted_event)
        return result

    # -- running one flow run -------------------------------------------------------------

    async def run(
        self,
        flow_run: FlowRun,
        configuration: DossierJobConfiguration,
        task_status: anyio.abc.TaskStatus[int] | None = None,
    ) -> ProcessWorkerResult:
        task_status = task_status or anyio.TASK_STATUS_IGNORED
        with tempfile.TemporaryDirectory(suffix="prefect") as scratch:
            cwd = str(configuration.working_dir or scratch)
            env = dict(configuration.env)
            env["PREFECT__FLOW_RUN_ID"] = str(flow_run.id)
            deployment = self._deployments.get(flow_run.id)
            child = self._forker.start(str(flow_run.id), env, cwd, deployment, flow_run)
            self._children[child.pid] = child
            task_status.started(child.pid)
            try:
                while child.exitcode is None:
                    await anyio.sleep(0.1)
            finally:
                self._children.pop(child.pid, None)
        return ProcessWorkerResult(status_code=child.exitcode, identifier=str(child.pid))

    def _has_worker_labels(self, flow_run: FlowRun) -> bool:
        labels = flow_run.labels or {}
        return labels.get("prefect.worker.name") == self.name and (
            self._work_pool is None or labels.get("prefect.work-pool.id") == str(self._work_pool.id)
        )

    async def kill_infrastructure(
        self, infrastructure_pid: str, configuration: DossierJobConfiguration,
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

    # A poll is not cheap for the server: besides the query it takes SQLite's write lock and
    # queues two bookkeeping tasks that write. Polling every 0.1 s for seconds after each nudge
    # made the server answer the starting run's own calls two to four times slower. So a burst
    # ends as soon as a poll found work (the nudge was for it), and the server's event about a
    # state this executor has already acted on (events arrive late) is not a nudge.

    def nudged(self) -> None:
        """Poll at once, then often for a little while, until a poll finds work."""
        self._burst_until = time.monotonic() + self._burst_seconds
        self._wake.set()

    def _note_claim(self, flow_run_id: Any) -> None:
        self._claims[flow_run_id] = datetime.now(UTC)
        self._claims.move_to_end(flow_run_id)
        while len(self._claims) > CLAIMS_REMEMBERED:
            self._claims.popitem(last=False)

    def _acted_on(self, event: Any) -> bool:
        """Whether the event is about a run this executor claimed after the event occurred."""
        resource_id = event.resource.get("prefect.resource.id", "")
        try:
            flow_run_id = UUID(resource_id.removeprefix("prefect.flow-run."))
        except ValueError:
            return False
        claimed = self._claims.get(flow_run_id)
        return claimed is not None and event.occurred <= claimed

    async def _poll_loop(self) -> None:
        while True:
            # This poll serves the nudges so far; one that arrives while it runs wakes the next.
            if self._wake.is_set():
                self._wake = anyio.Event()
            try:
                if await self.get_and_submit_flow_runs():
                    self._burst_until = 0.0
            except Exception:
                self._logger.exception("polling the work pool failed")
            fast = time.monotonic() < self._burst_until
            with anyio.move_on_after(self._burst_interval if fast else self._poll_seconds):
                await self._wake.wait()

    async def _listen_for_nudges(self, host: str, port: int) -> None:
        async with await anyio.create_udp_socket(local_host=host, local_port=port) as udp:
            self._logger.info("listening for nudges on %s:%s (udp)", host, port)
            async for _packet, _sender in udp:
                self.nudged()

    async def _listen_for_events(self) -> None:
        """The server's own nudges: a run of any pool became due."""
        event_filter = EventFilter(event=EventNameFilter(name=WAKE_EVENTS))
        while True:
            try:
                async with get_events_subscriber(filter=event_filter) as subscriber:
                    self._logger.info("listening for the server's flow-run events")
                    async for event in subscriber:
                        if not self._acted_on(event):
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


if os.environ.get(FORKSERVER_ENV) == "1":
    _prepare_tls_contexts()


if __name__ == "__main__":
    # multiprocessing would run this module again in every child (as "__mp_main__") because
    # it is __main__ here; the children need only what the forkserver preloaded. So __main__
    # forgets where it came from, and the code runs from the imported module flows.executor.
    __spec__ = None
    del __file__
    from flows.executor import main as executor_main

    executor_main()
