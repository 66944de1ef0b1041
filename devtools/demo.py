"""`make demo`: the whole system on one machine, in the foreground, stopped by one Ctrl-C.

`python -m devtools.demo` migrates the portal database, prints where everything is, and runs the
Procfile under devtools/supervise.py, which restarts a process that dies (and says so) and stops
them all on Ctrl-C. The `worker` entry (`python -m devtools.demo worker`) seeds the demo data
(idempotent, so its dossiers' flow runs start once) while it waits for the Prefect server,
applies the work pool and prefect.yaml's deployments, and then runs the dossier worker, a worker
of the pool that starts resumed runs in well under a second (flows/worker.py).
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

from casemodel import config, migrate
from devtools import prefect_stack
from devtools.seed import DEMO_PASSWORD

PORTAL_URL = "http://127.0.0.1:5000"
PREFECT_URL = "http://127.0.0.1:4200"
LOGINS = [
    ("klant@example.nl", "client, private person, 2 dossiers at the notary office"),
    ("directeur@example.nl", "client, company, 3 dossiers at the accountancy firm"),
    ("medewerker@example.nl", "staff, working for both offices"),
    ("manager@example.nl", "manager of both offices"),
]


def prefect_auth_string() -> str:
    """The demo's Prefect credentials ("dossierflow:<random>"), made once and kept in
    instance/prefect-auth (readable by this user only): the API answers nobody without them,
    not even another user of this machine."""
    path = config.instance_path() / "prefect-auth"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(f"dossierflow:{secrets.token_urlsafe(18)}")
    return path.read_text().strip()


def demo_environment() -> dict[str, str]:
    instance = config.instance_path()
    env = prefect_stack.prefect_env(instance / "prefect", 4200, auth_string=prefect_auth_string())
    env.update(
        DOSSIERFLOW_HOME=str(config.PROJECT_ROOT),
        DOSSIERFLOW_INSTANCE=str(instance),
        DOSSIERFLOW_DATABASE_URL=config.database_url(),
        # The demo is served over plain http on loopback; production keeps cookies Secure.
        DOSSIERFLOW_INSECURE_COOKIES="1",
        DOSSIERFLOW_BASE_URL=PORTAL_URL,
        # Only here do `flask demo ...` commands run (webapp/cli.py).
        DOSSIERFLOW_DEMO="1",
        DOSSIERFLOW_DEV_MAILBOX="1",
        DOSSIERFLOW_SMTP_HOST="127.0.0.1",
        DOSSIERFLOW_SMTP_PORT="8025",
        PREFECT_LOGGING_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
    )
    return env


def run() -> int:
    os.environ.update(demo_environment())
    config.instance_path().mkdir(parents=True, exist_ok=True)
    migrate.upgrade()
    print(banner(), flush=True)
    bin_dir = os.path.dirname(sys.executable)
    os.environ["PATH"] = f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"
    from devtools.supervise import Supervisor, read_procfile

    entries = read_procfile(config.PROJECT_ROOT / "Procfile")
    return Supervisor(entries, config.PROJECT_ROOT).run()


def banner() -> str:
    logins = "\n".join(f"    {email:<24} {who}" for email, who in LOGINS)
    return f"""
  Dossierflow demo
    portal        {PORTAL_URL}
    Prefect UI    {PREFECT_URL}  (it asks for {os.environ["PREFECT_API_AUTH_STRING"]})
    mail sink     smtp://127.0.0.1:8025, read at {PORTAL_URL}/dev/mailbox
  Logins (password {DEMO_PASSWORD}):
{logins}
  Ctrl-C stops everything.
"""


def worker() -> int:
    """Set up Prefect, seed, then become the dossier worker (flows/worker.py)."""
    env = demo_environment()
    bin_dir = os.path.dirname(sys.executable)
    # The portal says "the demo is being prepared" until the seed is done (webapp/demo_gate.py):
    # seed while Prefect starts, not after. The dossiers' flow starts wait in the outbox until
    # Prefect and its deployments answer (the relay retries).
    seed = subprocess.Popen([os.path.join(bin_dir, "flask"), "--app", "webapp", "demo", "seed"])
    prefect_stack.wait_healthy(env["PREFECT_API_URL"], timeout=180)
    prefect_stack.deploy(env)
    if seed.wait() != 0:
        raise SystemExit("the demo seed failed")
    python = os.path.join(bin_dir, "python")
    # A stop waits up to 15 s for a run to reach its next step, well within the supervisor's.
    worker = [python, "-m", "flows.worker", "--pool", "dossiers", "--name", "demo", "--grace", "15"]
    os.execv(python, worker)


if __name__ == "__main__":
    sys.exit(worker() if sys.argv[1:] == ["worker"] else run())
