"""Where the portal keeps its data, read from the environment with sensible local defaults."""

import os
from pathlib import Path

#: The project's root: the folder holding casemodel/, flows/ and webapp/.
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def instance_path() -> Path:
    """The folder for local state (SQLite files, Prefect's home, the file store, the mailbox)."""
    return Path(os.environ.get("DOSSIERFLOW_INSTANCE", PROJECT_ROOT / "instance")).resolve()


def database_url() -> str:
    """The portal database: DOSSIERFLOW_DATABASE_URL, or SQLite under instance/."""
    url = os.environ.get("DOSSIERFLOW_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{instance_path() / 'dossierflow.db'}"


def templates_path() -> Path:
    """The folder with the case templates (YAML)."""
    return Path(
        os.environ.get("DOSSIERFLOW_TEMPLATES", PROJECT_ROOT / "flows" / "templates")
    ).resolve()


def base_url() -> str:
    """Where the portal is reached from outside, for links in mails sent outside a request."""
    return os.environ.get("DOSSIERFLOW_BASE_URL", "http://127.0.0.1:5000").rstrip("/")


def digest_delay_seconds() -> int:
    """How long notifications are collected before one mail tells of all of them."""
    return int(os.environ.get("DOSSIERFLOW_DIGEST_DELAY_SECONDS", "60"))


def files_path() -> Path:
    """The file store: DOSSIERFLOW_FILES, or files/ under instance/. The portal and the flow
    workers (whose steps generate documents) must agree on it."""
    return Path(os.environ.get("DOSSIERFLOW_FILES", instance_path() / "files")).resolve()


def outbox_max_attempts() -> int:
    """Failed deliveries after which an outbox message is given up (dead) for staff to retry:
    with the back-off capped at five minutes, 20 attempts keep trying for about 80 minutes."""
    return int(os.environ.get("DOSSIERFLOW_OUTBOX_MAX_ATTEMPTS", "20"))
