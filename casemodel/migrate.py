"""Applying the Alembic migrations from code (the CLI `flask db upgrade`, tests, the demo)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from casemodel import config as settings

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", (url or settings.database_url()).replace("%", "%%"))
    cfg.set_main_option("file_template", "%%(year)d%%(month).2d%%(day).2d_%%(rev)s_%%(slug)s")
    return cfg


def upgrade(url: str | None = None) -> None:
    """Bring the database at url (default: the configured one) to the newest revision."""
    url = url or settings.database_url()
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url), "head")


def autogenerate(message: str, url: str) -> None:
    """Write a new revision from the difference between the models and the database at url.
    Read the script it writes before you commit it."""
    command.revision(alembic_config(url), message=message, autogenerate=True)
