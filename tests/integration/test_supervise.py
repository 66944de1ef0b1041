"""The demo's supervisor (devtools/supervise.py) with real processes: one that dies is started
again and the log says so, the others go on; a stop asks each to end (SIGTERM) and kills only
one that does not; a one-off task runs beside them, and what waits for it starts after it."""

from __future__ import annotations

import io
import os
import signal
import sys
import threading
import time

from devtools.supervise import Supervisor, read_procfile

PY = sys.executable


def supervise(tmp_path, procfile: str, *, stop_after, stop_seconds: float = 10, **run_args):
    (tmp_path / "Procfile").write_text(procfile)
    out = io.StringIO()
    supervisor = Supervisor(read_procfile(tmp_path / "Procfile"), tmp_path, out, stop_seconds)
    # run() installs its signal handlers, which only the main thread may: it runs here, and a
    # timer sends this process the SIGINT a Ctrl-C would.
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    timer = threading.Timer(stop_after, os.kill, args=(os.getpid(), signal.SIGINT))
    timer.start()
    try:
        code = supervisor.run(**run_args)
    finally:
        timer.join()
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    return code, out.getvalue(), supervisor


def test_a_process_that_dies_is_restarted_and_said_so_and_ctrl_c_stops_all_cleanly(tmp_path):
    procfile = (
        f"steady: {PY} -c \"import time; print('up', flush=True); time.sleep(600)\"\n"
        f"flaky: {PY} -c \"import os; open('starts', 'a').write('x'); raise SystemExit(3)\"\n"
    )
    code, log, supervisor = supervise(tmp_path, procfile, stop_after=4)

    assert code == 0
    assert "exited with status 3 after 0s; restarting in 2s" in log
    assert (tmp_path / "starts").read_text().count("x") >= 2  # started again, more than once
    steady = next(e for e in supervisor.entries if e.name == "steady")
    assert steady.restarts == 0 and "steady    | up" in log
    assert "SIGINT: stopping everything" in log
    assert "SIGKILL" not in log
    assert "steady    | stopped (signal SIGTERM)" in log
    assert all(e.process.poll() is not None for e in supervisor.entries)


def test_one_that_ignores_sigterm_is_killed_after_the_wait_and_the_log_says_so(tmp_path):
    procfile = (
        f'stubborn: {PY} -c "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN);'
        f" print('ready', flush=True); time.sleep(600)\"\n"
    )
    started = time.monotonic()
    code, log, supervisor = supervise(tmp_path, procfile, stop_after=2, stop_seconds=2)

    assert code == 0 and time.monotonic() - started < 15
    assert "still running 2s after SIGTERM: SIGKILL" in log
    assert supervisor.entries[0].process.returncode == -signal.SIGKILL


STAMP = "import sys, time; open(sys.argv[1], 'w').write(repr(time.time())); time.sleep(600)"


def test_entries_named_for_the_task_start_only_once_it_returned(tmp_path):
    procfile = f'early: {PY} -c "{STAMP}" early\nlate: {PY} -c "{STAMP}" late\n'
    seen = {}

    def task() -> str:
        deadline = time.monotonic() + 20
        while not (tmp_path / "early").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)  # time enough for "late" to have started, had it not waited
        seen["late before the task returned"] = (tmp_path / "late").exists()
        seen["returned at"] = time.time()
        return "seeded"

    code, log, supervisor = supervise(tmp_path, procfile, stop_after=6,
                                      alongside=("task", task), after_it=["late"])  # fmt: skip

    assert code == 0
    assert seen["late before the task returned"] is False
    assert float((tmp_path / "late").read_text()) > seen["returned at"]
    assert "task      | seeded" in log
    assert all(e.process.poll() is not None for e in supervisor.entries)


def test_a_task_that_fails_stops_everything_with_its_error(tmp_path):
    procfile = f'early: {PY} -c "{STAMP}" early\nlate: {PY} -c "{STAMP}" late\n'

    def task() -> str:
        raise RuntimeError("the seed could not be written")

    started = time.monotonic()
    code, log, supervisor = supervise(tmp_path, procfile, stop_after=3,
                                      alongside=("task", task), after_it=["late"])  # fmt: skip

    assert code == 1 and time.monotonic() - started < 20
    assert "RuntimeError: the seed could not be written" in log
    assert "task      | failed: stopping everything" in log
    late = next(e for e in supervisor.entries if e.name == "late")
    assert late.process is None and not (tmp_path / "late").exists()
    early = next(e for e in supervisor.entries if e.name == "early")
    assert early.process.poll() is not None
