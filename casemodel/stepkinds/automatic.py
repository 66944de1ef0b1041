"""The `automatic` step kind: the run does a registered action (casemodel/actions.py) and goes
on, without waiting for anyone.

    - key: letter
      title: {nl: Opdrachtbevestiging, en: Engagement letter}
      kind: automatic
      settings: {action: engagement_letter}
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from casemodel.actions import ACTIONS
from casemodel.models import Step
from casemodel.services.steps import FINISHED_STATES, begin_step, finish_step
from casemodel.stepkinds.base import Settings, StepKind, only


def check_settings(settings: Settings, office_kind: str) -> None:
    only(settings, {"action"})
    action = settings.get("action")
    if not action:
        raise ValueError("settings.action is required")
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}; known: {', '.join(sorted(ACTIONS))}")


def run_automatic_step(session: Session, *, dossier_id: int, step_key: str) -> Step:
    """Run the step's registered action and mark the step done, in one transaction."""
    step = begin_step(session, dossier_id=dossier_id, step_key=step_key)
    if step.state in FINISHED_STATES:
        return step
    result = ACTIONS[step.settings["action"]](session, step.dossier, step)
    return finish_step(
        session,
        dossier_id=dossier_id,
        step_key=step_key,
        detail={"action": step.settings["action"], "result": result},
    )


KIND = StepKind(
    name="automatic", check_settings=check_settings, start=run_automatic_step, waits=False
)
