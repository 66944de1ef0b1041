"""The demo's supervisor (devtools/supervise.py) with real processes: one that dies is started
again and the log says so, the others go on; a stop asks each to end (SIGTERM) and kills only
one that does not."""

from __future__ import annotations

import io
import os
import signal
import sys
import threading
import time

from devtools.supervise import Supervisor, read_procfile

PY = sys.executable


def supervise(tmp_path, procfile: str, *, stop_after, stop_seconds: float = 10):
    (tmp_path / "Procfile").write_text(procfile)
    out = io.StringIO()
    supervisor = Supervisor(read_procfile(tmp_path / "Procfile"), tmp_path, out, stop_seconds)
    # run() installs its signal handlers, which only the main thread may: it runs here, and a
    # timer sends this process the SIGINT a Ctrl-C would.
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    timer = threading.Timer(stop_after, os.kill, args=(os.getpid(), signal.SIGINT))
    timer.start()
    try:
        code = supervisor.run()
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
