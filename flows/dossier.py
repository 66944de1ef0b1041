"""The one flow that runs every dossier, whatever its case template.

Deployed from prefect.yaml as "dossier/dossier". The body reads the dossier's steps and
hands each unfinished one to the runner of its kind (flows/steps.py). After a resume the body
runs again from the top: steps the portal database records as finished are passed over without
asking Prefect anything (each would cost a cached task run, a few API calls, on the client's
wait for the next step), and a started but unfinished step's side effects come back from the
task cache instead of running twice. A step with a template `when:` runs only if the answers
of an earlier questionnaire step satisfy it (flows/steps.py:step_applies). A step sent back by
a rejected approval is unfinished again in a new attempt, and runs again under new keys.
"""

from __future__ import annotations

from prefect import flow

from flows.steps import RUNNERS, finish_dossier, plan_of, step_applies


@flow(name="dossier", persist_result=True, log_prints=True)
def dossier_flow(dossier_id: int) -> str:
    for step_key, kind, finished, attempt in plan_of(dossier_id):
        if not finished and step_applies(dossier_id, step_key):
            RUNNERS[kind](dossier_id, step_key, attempt)
    finish_dossier(dossier_id)
    return "completed"
