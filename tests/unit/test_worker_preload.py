"""The dossier worker's forkserver loads once what every flow run would load on first use
(flows/preload.py), so a resumed run's child does not read the questionnaire definitions or
import the step kinds while a client waits for the next step."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, os, sys
os.environ[{env!r}] = {value!r}
import flows.preload
from casemodel.definitions import _load
from flows.database import session_factory
print(json.dumps({{
    "kinds": sorted(m for m in sys.modules if m.startswith("casemodel.stepkinds.")),
    "definitions_loaded": _load.cache_info().currsize,
    "engine_ready": session_factory.cache_info().currsize,
    "visualization": "prefect.utilities.visualization" in sys.modules,
}}))
"""


def probe(tmp_path: Path, *, in_forkserver: bool, **extra_env: str) -> dict:
    from casemodel.migrate import upgrade
    from flows.worker import FORKSERVER_ENV

    url = f"sqlite:///{tmp_path / 'portal.db'}"
    upgrade(url)  # the statements a resumed run asks first are compiled against the tables
    env = {**os.environ, "DOSSIERFLOW_DATABASE_URL": url, **extra_env}
    code = PROBE.format(env=FORKSERVER_ENV, value="1" if in_forkserver else "0")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120, check=True)  # fmt: skip
    return json.loads(result.stdout.splitlines()[-1])


def test_the_forkserver_loads_kinds_definitions_and_the_database_engine(tmp_path):
    loaded = probe(tmp_path, in_forkserver=True)

    from casemodel.stepkinds import kind_names

    assert {f"casemodel.stepkinds.{name}" for name in kind_names()} <= set(loaded["kinds"])
    assert loaded["definitions_loaded"] == 1
    assert loaded["engine_ready"] == 1
    assert loaded["visualization"] is True


def test_imported_anywhere_else_it_loads_nothing(tmp_path):
    loaded = probe(tmp_path, in_forkserver=False)

    assert loaded["definitions_loaded"] == 0
    assert loaded["engine_ready"] == 0


def test_a_broken_definition_file_leaves_the_rest_preloaded(tmp_path):
    forms = tmp_path / "forms"
    forms.mkdir()
    (forms / "kapot.v1.yaml").write_text("key: [unclosed\n", encoding="utf-8")

    loaded = probe(tmp_path, in_forkserver=True, DOSSIERFLOW_FORMS=str(forms))

    assert loaded["definitions_loaded"] == 0  # the run that needs them will say what is wrong
    assert "casemodel.stepkinds.questionnaire" in loaded["kinds"]
    assert loaded["engine_ready"] == 1
