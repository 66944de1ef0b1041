"""A Prefect server, the `dossiers` work pool, the deployments and a worker, on this machine.

Used by `make demo` (through devtools/demo.py), by the integration tests and by the benchmarks,
so that all three run the stack the same way. Everything listens on 127.0.0.1.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from casemodel.config import PROJECT_ROOT

BIN = Path(sys.executable).parent


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    """A port free on 127.0.0.1 just now (TCP, or UDP with kind=socket.SOCK_DGRAM)."""
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prefect_env(
    home: Path, port: int, database_url: str | None = None, auth_string: str | None = None
) -> dict[str, str]:
    """The environment every Prefect process of one stack shares. With auth_string ("user:
    password"), the server's API answers only requests that carry it (Prefect's basic
    authentication), and every client of the stack sends it."""
    env = {
        "PREFECT_HOME": str(home),
        "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
        "PREFECT_SERVER_API_HOST": "127.0.0.1",
        "PREFECT_SERVER_API_PORT": str(port),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_ALLOW_EPHEMERAL_MODE": "false",
        "PREFECT_WORKER_QUERY_SECONDS": "1",
        "PREFECT_WORKER_PREFETCH_SECONDS": "1",
        "PREFECT_WORKER_WEBSERVER_HOST": "127.0.0.1",
        "PREFECT_RESULTS_LOCAL_STORAGE_PATH": str(home / "results"),
        # Runs send heartbeats; flows/automations.py marks a run Crashed when they stop.
        "PREFECT_FLOWS_HEARTBEAT_FREQUENCY": "30",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "PREFECT_CLI_COLORS": "false",
    }
    if database_url:
        env["PREFECT_SERVER_DATABASE_CONNECTION_URL"] = database_url
    if auth_string:
        env["PREFECT_SERVER_API_AUTH_STRING"] = auth_string
        env["PREFECT_API_AUTH_STRING"] = auth_string
    return env


def wait_healthy(api_url: str, timeout: float = 90, process: subprocess.Popen | None = None):
    """Poll /health until the server answers; fail early if its process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the Prefect server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{api_url}/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"the Prefect server at {api_url} did not answer within {timeout:.0f}s")


def deploy(env: dict[str, str]) -> None:
    """Put the work pool and the automation in place (flows/setup.py) and apply prefect.yaml's
    deployments.

    DOSSIERFLOW_HOME is left out on purpose: prefect.yaml's "{{ $DOSSIERFLOW_HOME }}" is then
    resolved when a run starts, from the worker's environment, instead of being frozen into the
    deployment (docs/DESIGN-notes.md)."""
    full = {**os.environ, **env}
    full.pop("DOSSIERFLOW_HOME", None)
    run = dict(cwd=PROJECT_ROOT, env=full, check=True, capture_output=True, text=True)
    try:
        subprocess.run([str(BIN / "python"), "-m", "flows.setup"], **run)
        subprocess.run([str(BIN / "prefect"), "--no-prompt", "deploy", "--all"], **run)
    except subprocess.CalledProcessError as exc:
        raise RuntimeError(f"{' '.join(exc.cmd)} failed:\n{exc.stdout}\n{exc.stderr}") from None


def stop(process: subprocess.Popen | None, timeout: float = 15) -> None:
    """Stop with SIGINT (the Prefect worker ignores SIGTERM), a second SIGINT, then SIGKILL,
    each to the process group; then SIGKILL whatever of the group is left (flow-run children,
    the executor's forkserver)."""
    if process is None:
        return
    if process.poll() is None:
        for sig in (signal.SIGINT, signal.SIGINT, signal.SIGKILL):
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                break
            try:
                process.wait(timeout=timeout / 2)
                break
            except subprocess.TimeoutExpired:
                continue
    try:
        os.killpg(process.pid, signal.SIGKILL)  # leftovers of the group
    except (ProcessLookupError, PermissionError):
        pass


class PrefectStack:
    """A throwaway stack for tests and benchmarks: server, pool, deployments, workers (and,
    for tests that need it, the outbox relay as a process of its own)."""

    def __init__(
        self, home: Path, *, database_url: str | None = None, port: int | None = None,
        auth_string: str | None = None,
    ):  # fmt: skip
        self.home = Path(home)
        self.port = port or free_port()
        self.env = prefect_env(self.home, self.port, database_url, auth_string)
        self.api_url = self.env["PREFECT_API_URL"]
        self.server: subprocess.Popen | None = None
        self.worker: subprocess.Popen | None = None
        #: Every worker and relay started, for stop().
        self.processes: list[subprocess.Popen] = []

    def start(
        self, worker_env: dict[str, str], worker: str = "dossier", *,
        worker_name: str | None = None,
    ) -> PrefectStack:  # fmt: skip
        self.start_server()
        deploy(self.env)
        self.start_worker(worker_env, worker, name=worker_name)
        return self

    def start_server(self, timeout: float = 90) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        self.server = self._spawn(self._server_command(), "server.log")
        wait_healthy(self.api_url, timeout=timeout, process=self.server)

    def start_worker(
        self, worker_env: dict[str, str], kind: str = "dossier", *, name: str | None = None,
        args: list[str] | None = None,
    ) -> subprocess.Popen:  # fmt: skip
        """Start the dossier worker (flows/worker.py, what the demo runs) or Prefect's stock
        process worker. A dossier worker's nudge port is a free one, added to this process's
        DOSSIERFLOW_WORKER_NUDGE so that the relay here nudges it."""
        extra = {"DOSSIERFLOW_HOME": str(PROJECT_ROOT), **worker_env}
        if kind == "dossier":
            nudge = f"127.0.0.1:{free_port(socket.SOCK_DGRAM)}"
            known = os.environ.get("DOSSIERFLOW_WORKER_NUDGE")
            os.environ["DOSSIERFLOW_WORKER_NUDGE"] = f"{known},{nudge}" if known else nudge
            extra["DOSSIERFLOW_WORKER_NUDGE"] = nudge
            command = [str(BIN / "python"), "-m", "flows.worker", "--pool", "dossiers"]
            command += ["--name", name or "test-dossier-worker"]
        elif kind == "process":
            # The pool is of the dossier worker's type (flows/setup.py): say which one to be.
            command = [str(BIN / "prefect"), "worker", "start", "--pool", "dossiers"]
            command += ["--type", "process"]
            if name:
                command += ["--name", name]
        else:
            raise ValueError(f"unknown worker kind {kind!r}")
        self.worker = self._spawn([*command, *(args or [])], "worker.log", extra=extra)
        self.processes.append(self.worker)
        return self.worker

    def start_relay(self, env: dict[str, str], interval: float = 0.2) -> subprocess.Popen:
        """`flask outbox relay` (with its reconciler) against this stack."""
        command = [str(BIN / "flask"), "--app", "webapp", "outbox", "relay"]
        relay = self._spawn([*command, "--interval", str(interval)], "relay.log", extra=env)
        self.processes.append(relay)
        return relay

    def stop_server(self) -> None:
        stop(self.server)

    def restart_server(self) -> None:
        stop(self.server)
        self.server = self._spawn(self._server_command(), "server.log")
        wait_healthy(self.api_url, process=self.server)

    def stop(self) -> None:
        for process in self.processes:
            stop(process)
        stop(self.server)

    def _server_command(self) -> list[str]:
        port = str(self.port)
        # On SQLite, the server whose writes take turns (devtools/prefect_server.py); on
        # PostgreSQL, Prefect's own command.
        on_sqlite = not self.env.get("PREFECT_SERVER_DATABASE_CONNECTION_URL", "sqlite").startswith(
            "postgresql"
        )
        launcher = [str(BIN / "python"), "-m", "devtools.prefect_server"]
        return [
            *(launcher if on_sqlite else [str(BIN / "prefect"), "server"]),
            *("start", "--host", "127.0.0.1", "--port", port, "--no-ui"),
        ]

    def _spawn(self, command: list[str], log_name: str, extra: dict[str, str] | None = None):
        log = open(self.home / log_name, "ab")  # noqa: SIM115 (closed with the process)
        return subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env={**os.environ, **self.env, **(extra or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
