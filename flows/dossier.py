"""The one flow that runs every dossier, whatever its case template.

Deployed from prefect.yaml as "dossier/dossier". The body is deterministic: it reads the
dossier's steps and hands each to the runner of its kind (flows/steps.py); every side effect is
in a cached task, so running the body again after a resume repeats nothing.
"""

from __future__ import annotations

from prefect import flow

from flows.steps import RUNNERS, finish_dossier, plan_of


@flow(name="dossier", persist_result=True, log_prints=True)
def dossier_flow(dossier_id: int) -> str:
    for step_key, kind in plan_of(dossier_id):
        RUNNERS[kind](dossier_id, step_key)
    finish_dossier(dossier_id)
    return "completed"
