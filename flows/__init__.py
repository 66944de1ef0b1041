"""Prefect side: one generic flow runs every dossier (flows/dossier.py), the step primitives
(flows/steps.py), the dossier worker (flows/worker.py) and the reconciler (flows/reconcile.py).
The outbox relay that starts and resumes flow runs is a package of its own (relay/)."""

import os
import sys

# Never fall back to Prefect's ephemeral in-process server: a dossier's flow run must land on the
# real server that the worker polls. The defaults match `make demo`; production sets both.
os.environ.setdefault("PREFECT_API_URL", "http://127.0.0.1:4200/api")
os.environ.setdefault("PREFECT_SERVER_ALLOW_EPHEMERAL_MODE", "false")
if "prefect.context" in sys.modules:
    # Prefect reads its settings once, at import: let it see the defaults above.
    from prefect.context import refresh_global_settings_context

    refresh_global_settings_context()
