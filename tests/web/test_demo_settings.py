"""Demo-only settings (plain-http cookies, the dev mailbox) never reach a deployment: the portal
refuses to start with them unless its public address is on the loopback, and logs which are on."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import pytest

from casemodel.config import PROJECT_ROOT
from webapp import create_app
from webapp.demo_settings import UnsafeSettings, is_loopback_url


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, tmp_path, web_database_url: str):
    monkeypatch.setenv("DOSSIERFLOW_INSTANCE", str(tmp_path / "instance"))
    monkeypatch.setenv("DOSSIERFLOW_DATABASE_URL", web_database_url)
    for name in ("DOSSIERFLOW_INSECURE_COOKIES", "DOSSIERFLOW_DEV_MAILBOX", "DOSSIERFLOW_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.mark.parametrize("setting", ["DOSSIERFLOW_INSECURE_COOKIES", "DOSSIERFLOW_DEV_MAILBOX"])
def test_a_demo_setting_on_a_public_address_refuses_to_start(environment, setting: str):
    environment.setenv(setting, "1")
    environment.setenv("DOSSIERFLOW_BASE_URL", "https://portaal.notaris.example")
    with pytest.raises(UnsafeSettings) as refused:
        create_app()
    assert setting in str(refused.value)
    assert "https://portaal.notaris.example" in str(refused.value)


def test_on_the_loopback_the_demo_starts_and_the_log_says_which_settings_are_on(
    environment, caplog: pytest.LogCaptureFixture
):
    environment.setenv("DOSSIERFLOW_INSECURE_COOKIES", "1")
    environment.setenv("DOSSIERFLOW_DEV_MAILBOX", "1")
    environment.setenv("DOSSIERFLOW_BASE_URL", "http://127.0.0.1:5000")
    with caplog.at_level(logging.WARNING, logger="webapp.demo_settings"):
        app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] is False
    assert "devmail" in app.blueprints
    [record] = caplog.records
    assert "DOSSIERFLOW_INSECURE_COOKIES" in record.getMessage()
    assert "DOSSIERFLOW_DEV_MAILBOX" in record.getMessage()


def test_a_deployment_without_demo_settings_starts_silently(
    environment, caplog: pytest.LogCaptureFixture
):
    environment.setenv("DOSSIERFLOW_BASE_URL", "https://portaal.notaris.example")
    with caplog.at_level(logging.WARNING, logger="webapp.demo_settings"):
        app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert "devmail" not in app.blueprints
    assert caplog.records == []


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:5000", True),
        ("http://127.8.0.3", True),
        ("http://localhost:8000/", True),
        ("http://[::1]:5000", True),
        ("https://portaal.example.nl", False),
        ("http://10.0.0.5:5000", False),
        ("http://127.0.0.1.nip.io", False),
        ("http://localhost.example.nl", False),
    ],
)
def test_what_counts_as_the_loopback(url: str, loopback: bool):
    assert is_loopback_url(url) is loopback


def test_the_portal_process_exits_with_the_reason(web_database_url: str, tmp_path):
    env = {
        **os.environ,
        "DOSSIERFLOW_INSTANCE": str(tmp_path / "instance"),
        "DOSSIERFLOW_DATABASE_URL": web_database_url,
        "DOSSIERFLOW_INSECURE_COOKIES": "1",
        "DOSSIERFLOW_BASE_URL": "https://portaal.notaris.example",
    }
    env.pop("DOSSIERFLOW_DEV_MAILBOX", None)
    command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--bind",
               "127.0.0.1:0", "webapp:create_app()"]  # fmt: skip
    result = subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                            timeout=60)  # fmt: skip
    assert result.returncode != 0
    assert "DOSSIERFLOW_INSECURE_COOKIES may only be used with a loopback" in result.stderr
