"""The portal never loads Prefect: it only writes outbox rows and wakes the relay (relay.wake),
which delivers them in a process of its own. Checked in a fresh interpreter, as a portal
process starts: import the app, serve pages, queue a mail."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

from casemodel.config import PROJECT_ROOT

PORTAL = textwrap.dedent(
    """
    import sys
    import threading

    import webapp

    app = webapp.create_app({"WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False,
                             "SESSION_COOKIE_SECURE": False})
    client = app.test_client()
    page = client.get("/login")
    assert "Inloggen" in page.get_data(as_text=True), page.status_code
    print("woken-after-get", flush=True)
    sys.stdin.readline()  # the test looked for a wake: none may have come for a page
    sent = client.post("/password/forgot", data={"email": "klant@example.nl"})
    assert "klant@example.nl" in sent.get_data(as_text=True), sent.status_code
    for thread in threading.enumerate():  # whatever the request left running, done
        if thread is not threading.main_thread():
            thread.join(60)
    # Prefect, the flows, and the relay's parts that use them (relay.wake is the portal's).
    loaded = sorted({name.split(".")[0] if not name.startswith("relay.") else name
                     for name in sys.modules
                     if name.split(".")[0] in ("prefect", "flows")
                     or name in ("relay.delivery", "relay.flow_runs", "relay.loop")})
    print("loaded:", ",".join(loaded) or "nothing", flush=True)
    """
)


def test_the_portal_serves_and_queues_mail_without_importing_prefect(
    seeded_database_file: Path, compiled_translations: Path, tmp_path: Path
):
    database = tmp_path / "portal.db"
    shutil.copyfile(seeded_database_file, database)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as relay:
        relay.bind(("127.0.0.1", 0))
        relay.settimeout(0.5)
        env = {
            **os.environ,
            "DOSSIERFLOW_DATABASE_URL": f"sqlite:///{database}",
            "DOSSIERFLOW_INSTANCE": str(tmp_path / "instance"),
            "DOSSIERFLOW_SECRET_KEY": "test-secret-key-" + "x" * 32,
            "DOSSIERFLOW_TRANSLATIONS": str(compiled_translations),
            "DOSSIERFLOW_RELAY_WAKE": f"127.0.0.1:{relay.getsockname()[1]}",
            "PYTHONPATH": str(PROJECT_ROOT),
        }
        portal = subprocess.Popen(
            [sys.executable, "-c", PORTAL], cwd=PROJECT_ROOT, env=env, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        try:
            assert portal.stdout.readline().strip() == "woken-after-get", portal.stderr.read()
            try:
                stray = relay.recv(64)
            except TimeoutError:
                stray = None
            assert stray is None, "a page that queued nothing woke the relay"
            portal.stdin.write("go on\n")
            portal.stdin.flush()
            out, err = portal.communicate(timeout=120)
        finally:
            if portal.poll() is None:
                portal.kill()
                portal.wait()
        assert portal.returncode == 0, err
        assert out.strip() == "loaded: nothing", out
        relay.settimeout(5)
        assert relay.recv(64) == b"wake"  # the mail's commit woke the relay
