"""A case template's `when:` on a step: the step runs only if the answers of an earlier
questionnaire step satisfy a condition (forms' condition format), e.g. the mortgage deed only
when the buyer takes out a mortgage:

    - key: mortgage-deed
      kind: staff_task
      when:
        step: intake                              # an earlier step of kind questionnaire
        condition: {question: mortgage, equals: true}

The flow decides when it reaches the step, once (flows/steps.py caches the decision per run),
on the answers as completed then. A step that does not apply is skipped: recorded so in the
step mirror, and left out of the client's progress count. A questionnaire sent back for rework
afterwards does not undo a decision already taken.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from casemodel.services.questionnaires.step_kind import answers_for_step
from casemodel.services.steps import FINISHED_STATES, get_step, skip_step
from forms import evaluate, parse_condition


def step_applies(session: Session, *, dossier_id: int, step_key: str) -> bool:
    """Whether the step runs; a step that does not is recorded as skipped here.

    Raises:
        AnswersInvalid (forms): the questionnaire's stored answers fail their definition.
    """
    step = get_step(session, dossier_id=dossier_id, step_key=step_key)
    if step.state in FINISHED_STATES:
        return step.state != "skipped"
    if step.condition is None:
        return True
    source = step.condition["step"]
    answers = answers_for_step(session, dossier_id=dossier_id, step_key=source)
    if evaluate(parse_condition(step.condition["condition"]), answers):
        return True
    because = {"step": source, "condition": step.condition["condition"]}
    skip_step(session, dossier_id=dossier_id, step_key=step_key, detail={"because": because})
    return False
