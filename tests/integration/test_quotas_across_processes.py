"""Two portal processes share one count: the limits live in the portal database, so a client
whose requests land on either process (two gunicorn workers, two machines) gets no more than
the limit. Two real `flask run` servers on one database, one logged-in browser session each."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from casemodel.config import PROJECT_ROOT
from casemodel.db import make_engine
from casemodel.models import Dossier, Message, OutboxMessage, User
from devtools.seed import DEMO_PASSWORD
from tests.fixtures.browser import _free_port, _migrate_and_seed, _wait_until_serving

CLIENT = "klant@example.nl"


@pytest.fixture
def two_portals(tmp_path: Path, compiled_translations: Path) -> Iterator[tuple[str, str, str]]:
    """Two portal processes on one seeded SQLite database, with a limit of 3 messages an hour;
    their base URLs and the database URL."""
    database_url = f"sqlite:///{tmp_path / 'dossierflow.db'}"
    _migrate_and_seed(database_url, tmp_path / "files")
    secret = secrets.token_urlsafe(32)
    servers, urls = [], []
    try:
        for number in range(2):
            port = _free_port()
            base_url = f"http://127.0.0.1:{port}"
            env = {
                **os.environ,
                "DOSSIERFLOW_INSTANCE": str(tmp_path),
                "DOSSIERFLOW_DATABASE_URL": database_url,
                "DOSSIERFLOW_SECRET_KEY": secret,
                "DOSSIERFLOW_INSECURE_COOKIES": "1",
                "DOSSIERFLOW_BASE_URL": base_url,
                "DOSSIERFLOW_LIMIT_MESSAGES_PER_USER": "3",
                "PREFECT_API_URL": "http://127.0.0.1:9/api",
                "DOSSIERFLOW_SMTP_PORT": "9",  # no mail server: mails stay in the outbox
            }
            overrides = {"BABEL_TRANSLATION_DIRECTORIES": str(compiled_translations)}
            app = f"webapp:create_app({overrides!r})"
            command = [sys.executable, "-m", "flask", "--app", app, "run", "--host", "127.0.0.1",
                       "--port", str(port), "--no-reload"]  # fmt: skip
            log = tmp_path / f"portal-{number}.log"
            with log.open("wb") as output:
                server = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=output,
                                          stderr=subprocess.STDOUT)  # fmt: skip
            servers.append(server)
            _wait_until_serving(servers[-1], f"{base_url}/login", log)
            urls.append(base_url)
        yield urls[0], urls[1], database_url
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)


def csrf_token(page: httpx.Response) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)[1]


def sms_code(database_url: str) -> str:
    engine = make_engine(database_url)
    with engine.connect() as connection:
        number = connection.scalar(select(User.mobile_number).where(User.email == CLIENT))
        payloads = connection.scalars(select(OutboxMessage.payload)
                                      .where(OutboxMessage.kind == "send_sms")
                                      .order_by(OutboxMessage.id.desc()))  # fmt: skip
        code = next(re.search(r"\b(\d{6})\b", p["text"])[1] for p in payloads if p["to"] == number)
    engine.dispose()
    return code


def signed_in(base_url: str, database_url: str) -> httpx.Client:
    browser = httpx.Client(base_url=base_url, timeout=30)
    form = browser.get("/login")
    answer = browser.post("/login", data={"email": CLIENT, "password": DEMO_PASSWORD,
                                          "csrf_token": csrf_token(form)})  # fmt: skip
    assert answer.headers["Location"] == "/login/code"
    form = browser.get("/login/code")
    answer = browser.post("/login/code", data={"code": sms_code(database_url),
                                               "csrf_token": csrf_token(form)})  # fmt: skip
    assert answer.status_code == 302, answer.text
    return browser


def send(browser: httpx.Client, dossier_id: int, subject: str) -> httpx.Response:
    form = browser.get(f"/dossiers/{dossier_id}/messages/new")
    return browser.post(f"/dossiers/{dossier_id}/messages", data={
        "subject": subject, "body": "Een vraag.", "csrf_token": csrf_token(form),
    })  # fmt: skip


def test_two_portal_processes_share_the_count(two_portals):
    first_url, second_url, database_url = two_portals
    engine = make_engine(database_url)
    with engine.connect() as connection:
        dossier_id = connection.scalar(
            select(Dossier.id).where(Dossier.description.like("Levering Keizer%"))
        )
    first = signed_in(first_url, database_url)
    second = signed_in(second_url, database_url)
    outcomes = [
        send(first, dossier_id, "Eén").status_code,
        send(second, dossier_id, "Twee").status_code,
        send(first, dossier_id, "Drie").status_code,
        send(second, dossier_id, "Vier").status_code,  # the fourth, on the other process
        send(first, dossier_id, "Vijf").status_code,
    ]
    assert outcomes == [302, 302, 302, 429, 429]
    with engine.connect() as connection:
        subjects = set(connection.scalars(select(Message.subject)))
    engine.dispose()
    assert {"Eén", "Twee", "Drie"} <= subjects and not {"Vier", "Vijf"} & subjects
