"""Where the portal keeps its data, read from the environment with sensible local defaults."""

import os
import secrets
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


def forms_path() -> Path:
    """The folder with the questionnaire definitions (YAML): DOSSIERFLOW_FORMS, or the shipped
    forms/definitions/. The portal and the flow workers must agree on it."""
    return Path(
        os.environ.get("DOSSIERFLOW_FORMS", PROJECT_ROOT / "forms" / "definitions")
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


def outbox_lease_seconds() -> int:
    """How long a relay's claim on an outbox message holds: longer than a handler may take (the
    mail server's, the SMS gateway's and Prefect's calls time out after 30 s). A relay that dies
    mid-delivery leaves the message to the others after that."""
    return int(os.environ.get("DOSSIERFLOW_OUTBOX_LEASE_SECONDS", "60"))


def outbox_max_attempts() -> int:
    """Failed deliveries after which an outbox message is given up (dead) for staff to retry:
    with the back-off capped at five minutes, 20 attempts keep trying for about 80 minutes."""
    return int(os.environ.get("DOSSIERFLOW_OUTBOX_MAX_ATTEMPTS", "20"))


def clamd_address() -> str | None:
    """ClamAV's daemon, for scanning uploads: DOSSIERFLOW_CLAMD, the path of its local socket or
    host:port. None (unset): uploads are not scanned."""
    return os.environ.get("DOSSIERFLOW_CLAMD") or None


def code_key() -> bytes:
    """The server secret that keys the hashes of short codes kept in the database (SMS codes,
    recovery codes: services.second_factor), so that a copy of the database alone does not let
    anyone try all six-digit codes in a second: DOSSIERFLOW_CODE_KEY (a long random string, kept
    out of the database and its backups), or, for running locally without configuration, a key
    made once under instance/. Changing it makes the stored recovery codes unusable."""
    configured = os.environ.get("DOSSIERFLOW_CODE_KEY")
    if configured:
        return configured.encode()
    path = instance_path() / "code_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip().encode()
