"""`make demo`: the whole system on one machine, in the foreground, stopped by one Ctrl-C.

`python -m devtools.demo` migrates the portal database, prints where everything is, and runs the
Procfile under devtools/supervise.py, which restarts a process that dies (and says so) and stops
them all on Ctrl-C. While the portal starts, it seeds the demo data itself (idempotent, so its
dossiers' flow runs start once); the portal answers "being prepared" until the seed's one
commit (webapp/demo_gate.py). Prefect, the worker and the relay start after the seed, and the
relay starts the dossiers' flow runs once Prefect and its deployments answer. The `worker` entry
(`python -m devtools.demo worker`) waits for the Prefect server, applies the work pool and
prefect.yaml's deployments, and then runs the dossier worker, a worker of the pool that starts
resumed runs in well under a second (flows/worker.py).
"""

from __future__ import annotations

import os
import secrets
import sys
import time
import urllib.error
import urllib.request

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
    return Supervisor(entries, config.PROJECT_ROOT).run(alongside=("seed", seed),
                                                        after_it=AFTER_THE_SEED)  # fmt: skip


#: Started once the demo data is there and the portal answers: nobody waits for them to see the
#: login page, and starting them (the Prefect server above all) on the same two cores as the
#: portal and the seed made the login page wait 4.7 s instead of 2.9 s. The relay then starts
#: the dossiers' flow runs as soon as Prefect and its deployments answer.
AFTER_THE_SEED = ("prefect", "worker", "relay")
PORTAL_WAIT_SECONDS = 60


def seed() -> str:
    """The demo data, in one transaction, in this process (it has the models imported already;
    a new process would import them again on the cores the portal starts on); then wait until
    the portal answers, or a minute has passed."""
    message = seed_demo_data()
    deadline = time.monotonic() + PORTAL_WAIT_SECONDS
    while not portal_answers() and time.monotonic() < deadline:
        time.sleep(0.05)
    return message


def portal_answers() -> bool:
    try:
        with urllib.request.urlopen(f"{PORTAL_URL}/login", timeout=2):
            return True
    except urllib.error.HTTPError:
        return True  # "being prepared" (503) is an answer too
    except OSError:
        return False


def seed_demo_data() -> str:
    from casemodel.db import make_engine, make_session_factory, session_scope
    from devtools.seed import seed_demo

    engine = make_engine()
    try:
        with session_scope(make_session_factory(engine)) as session:
            created = seed_demo(session)
    finally:
        engine.dispose()
    return f"demo data: {created} dossier(s) opened" if created else "demo data already there"


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
    """Set up Prefect, then become the dossier worker (flows/worker.py). The dossiers' flow
    starts wait in the outbox until Prefect and its deployments answer (the relay retries)."""
    env = demo_environment()
    prefect_stack.wait_healthy(env["PREFECT_API_URL"], timeout=180)
    prefect_stack.deploy(env)
    python = os.path.join(os.path.dirname(sys.executable), "python")
    # A stop waits up to 15 s for a run to reach its next step, well within the supervisor's.
    worker = [python, "-m", "flows.worker", "--pool", "dossiers", "--name", "demo", "--grace", "15"]
    os.execv(python, worker)


if __name__ == "__main__":
    sys.exit(worker() if sys.argv[1:] == ["worker"] else run())
