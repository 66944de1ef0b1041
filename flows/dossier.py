"""The one flow that runs every dossier, whatever its case template.

Deployed from prefect.yaml as "dossier/dossier". The body reads the dossier's steps and
hands each unfinished one to the runner of its kind (flows/steps.py). After a resume the body
runs again from the top: steps the portal database records as finished are passed over without
asking Prefect anything (each would cost a cached task run, a few API calls, on the client's
wait for the next step), and a started but unfinished step's side effects come back from the
task cache instead of running twice. A step with a template `when:` runs only if the answers
of an earlier questionnaire step satisfy it (flows/steps.py:step_applies). A step sent back by
a rejected approval is unfinished again in a new attempt, and runs again under new keys.

A step that fails (its task raised after its retries, or the dossier's definition is broken)
fails the step and the dossier in the portal with the error kept, and then the run: staff see it
on the dossier and among the failed dossiers, and retry from that step (casemodel.services
.failures). If even that record cannot be written, the reconciler writes it from the run's
Failed state (flows/reconcile.py).
"""

from __future__ import annotations

from prefect import flow
from prefect.logging import get_run_logger

from casemodel.services.failures import fail_step
from flows.database import transaction
from flows.steps import RUNNERS, finish_dossier, plan_of, step_applies


@flow(name="dossier", persist_result=True, log_prints=True)
def dossier_flow(dossier_id: int) -> str:
    for step_key, kind, finished, attempt in plan_of(dossier_id):
        if finished:
            continue
        try:
            if step_applies(dossier_id, step_key):
                RUNNERS[kind](dossier_id, step_key, attempt)
        except Exception as exc:  # a suspension is no Exception: it passes through
            record_failure(dossier_id, step_key, exc)
            raise
    finish_dossier(dossier_id)
    return "completed"


def record_failure(dossier_id: int, step_key: str, exc: Exception) -> None:
    """The step failed: say so in the portal, with the error, before the run fails."""
    error = f"{type(exc).__name__}: {exc}"
    try:
        with transaction() as session:
            fail_step(session, dossier_id=dossier_id, step_key=step_key, error=error)
    except Exception:
        get_run_logger().exception("recording the failure of step %s failed", step_key)
