"""The systemd units shipped in deploy/systemd/ start what exists, restart what dies, and stop
the dossier workers gracefully."""

from __future__ import annotations

import configparser
import importlib.util
import re
import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
UNITS = ROOT / "deploy" / "systemd"


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read_string((UNITS / name).read_text().replace("\\\n", " "))
    return parser


def services() -> list[str]:
    return sorted(p.name for p in UNITS.glob("*.service"))


def test_every_service_runs_something_that_exists_and_restarts_when_it_dies():
    assert len(services()) == 4
    for name in services():
        service = unit(name)["Service"]
        command = shlex.split(service["ExecStart"])
        executable = command[0].removeprefix("/opt/dossierflow/.venv/bin/")
        assert executable in ("prefect", "gunicorn", "flask", "python"), (name, executable)
        if executable == "python":
            assert command[1] == "-m" and importlib.util.find_spec(command[2]), (name, command)
        if executable == "gunicorn":
            assert command[-1] == "webapp:create_app()"
        assert service["Restart"] == "always", name
        assert (UNITS / Path(service["EnvironmentFile"]).name).with_suffix(".env.example").exists()


def test_a_worker_is_stopped_gracefully_and_given_longer_than_its_grace():
    service = unit("dossierflow-worker@.service")["Service"]
    grace = int(re.search(r"--grace (\d+)", service["ExecStart"]).group(1))
    assert service["KillMode"] == "mixed"  # SIGTERM to the worker only, not to its runs
    assert int(service["TimeoutStopSec"]) > grace


def test_the_target_starts_every_service_and_two_workers():
    wanted = unit("dossierflow.target")["Unit"]["Wants"].split()
    singles = [name for name in services() if "@" not in name]
    assert set(singles) <= set(wanted)
    assert [w for w in wanted if w.startswith("dossierflow-worker@")] == [
        "dossierflow-worker@1.service", "dossierflow-worker@2.service"
    ]
