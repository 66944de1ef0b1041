"""What the dossier worker's forkserver (flows/worker.py) does once, so that no flow run's child
does it while a client waits for the next step.

Each of these is otherwise paid on first use in every child, because a child lives for one run
(or one resume) only. Measured in a child resuming past the buyer's intake to the questionnaire
after it (bench/resume_latency.py): the questionnaire definitions, read and checked, 0.1-0.4 s;
the step kinds' modules and the services they import (mail templates, approvals), 0.2 s;
the portal database's engine, dialect and first statements, 0.2-0.3 s (flows/database.py).

The forkserver imports this module last (flows.worker.PRELOAD) with DOSSIERFLOW_FORKSERVER set;
imported anywhere else it does nothing. What is loaded here is what the child would load, from
the same files: a worker serves the release it was started with, as it already does for the
flow's code. Nothing here may fail the forkserver: what cannot be loaded now is loaded (and
fails, with its error in the run) in the child, as before.
"""

from __future__ import annotations

import importlib
import os

from prefect.logging import get_logger

from flows.worker import FORKSERVER_ENV

#: Imported by Prefect on a task's first call, not at import.
IMPORTED_ON_FIRST_TASK = ["prefect.utilities.visualization"]


def load_what_every_run_needs() -> None:
    from casemodel.definitions import questionnaire_definitions
    from casemodel.stepkinds import kind_names
    from flows import database

    loads = {
        "Prefect's task helpers": lambda: [importlib.import_module(name)
                                           for name in IMPORTED_ON_FIRST_TASK],
        "the step kinds": kind_names,  # imports every kind's module
        "the questionnaire definitions": questionnaire_definitions,
    }  # fmt: skip
    for what, load in loads.items():
        try:
            load()
        except Exception:  # e.g. a broken definition file: the run that needs it says so
            get_logger("dossierflow.worker").exception("%s not preloaded", what)
    database.prepare()  # catches its own: the database may not answer yet


if os.environ.get(FORKSERVER_ENV) == "1":
    load_what_every_run_needs()
