"""Fixtures shared by every test tier, one module per concern under tests/fixtures/."""

import os
import tempfile

# Before anything imports Prefect (it reads its settings once): tests talk only to the Prefect
# stack they start themselves (tests/fixtures/prefect.py), never to a demo running on this
# machine nor to an ephemeral in-process server. Nothing listens on port 9.
os.environ["PREFECT_API_URL"] = "http://127.0.0.1:9/api"
os.environ["PREFECT_SERVER_ALLOW_EPHEMERAL_MODE"] = "false"
os.environ["PREFECT_HOME"] = tempfile.mkdtemp(prefix="dossierflow-test-prefect-")
os.environ["PREFECT_CLIENT_MAX_RETRIES"] = "1"

pytest_plugins = [
    "tests.fixtures.db",
    "tests.fixtures.prefect",
    "tests.fixtures.domain",
    "tests.fixtures.browser",
    "tests.fixtures.clamav",
    "tests.fixtures.web",
    "tests.fixtures.routes",
    "tests.fixtures.limits",
    "tests.fixtures.receiver",
]
