"""The `questionnaire` step kind, kept in one module: the check of its template settings, what
its flow task opens, and the answers a later step's `when:` decides on once the client has
completed it (flows/steps.py:questionnaire runs it).

    - key: intake
      title: {nl: Vragenlijst intake, en: Intake questionnaire}
      kind: questionnaire
      settings:
        definition: intake-koper     # forms/definitions/intake-koper.v<n>.yaml, the newest
        filled_by: client            # the dossier's client organisation (the only one yet)
        due_in_days: 14              # optional: the due date shown under "Acties"

A later step may depend on the answers: `when: {step: intake, condition: <condition>}` (see
casemodel.casetemplates and services.step_conditions).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from casemodel.definitions import questionnaire_definitions
from casemodel.models import Questionnaire, Step
from casemodel.services.questionnaires.answers import (
    definition_of,
    language,
    page_rows,
    saved_answers,
)
from casemodel.services.questionnaires.sending import create_questionnaire
from casemodel.services.steps import get_step, open_human_task
from forms import Definition, office_today, validate_answers

KIND = "questionnaire"
#: Who may fill it: the dossier's client organisation.
FILLED_BY = ("client",)


def check_settings(settings: dict[str, Any], office_kind: str) -> Definition:
    """The step's settings as a case template gives them; the definition they name. Raises
    ValueError saying what is wrong (the template loader adds the file and the step)."""
    unknown = set(settings) - {"definition", "filled_by", "due_in_days"}
    if unknown:
        raise ValueError(f"unknown setting(s): {', '.join(sorted(unknown))}")
    key = settings.get("definition")
    if not isinstance(key, str):
        raise ValueError("settings.definition is required (the key of a questionnaire)")
    registry = questionnaire_definitions()
    try:
        definition = registry.latest(key)
    except KeyError:
        raise ValueError(
            f"settings.definition: no questionnaire {key!r}; known: {', '.join(registry.keys())}"
        ) from None
    if definition.office_kind != office_kind:
        raise ValueError(
            f"settings.definition: {key!r} is for a {definition.office_kind} office, "
            f"not a {office_kind} office"
        )
    if settings.get("filled_by", "client") not in FILLED_BY:
        raise ValueError(f"settings.filled_by must be one of: {', '.join(FILLED_BY)}")
    days = settings.get("due_in_days")
    if days is not None and (isinstance(days, bool) or not isinstance(days, int) or days < 1):
        raise ValueError("settings.due_in_days must be a whole number of days, at least 1")
    return definition


def open_for_step(session: Session, *, dossier_id: int, step_key: str) -> Questionnaire:
    """The flow reached the step: its client task and its questionnaire, in the newest version
    of the definition, once (a second call returns the first)."""
    task = open_human_task(session, dossier_id=dossier_id, step_key=step_key)
    existing = session.scalar(select(Questionnaire).where(Questionnaire.step_id == task.step_id))
    if existing is not None:
        return existing
    step = task.step
    definition = questionnaire_definitions().latest(step.settings["definition"])
    days = step.settings.get("due_in_days")
    due_date = office_today() + dt.timedelta(days=days) if days else None
    return create_questionnaire(
        session, dossier=task.dossier, definition=definition, actor=None, step=step, task=task,
        due_date=due_date,
    )  # fmt: skip


def of_step(session: Session, step: Step) -> Questionnaire | None:
    """The questionnaire a step sent, if it has."""
    return session.scalar(select(Questionnaire).where(Questionnaire.step_id == step.id))


def answers_for_step(session: Session, *, dossier_id: int, step_key: str) -> dict[str, Any]:
    """The completed answers of a questionnaire step, checked again with the definition
    version it was sent with: what a later step's `when:` decides on. Empty when the step has
    no completed questionnaire (it was skipped itself).

    Raises:
        AnswersInvalid (forms): stored answers the definition refuses (they never reach the
        flow; the step that asked fails, for a person to see).
    """
    questionnaire = of_step(session, get_step(session, dossier_id=dossier_id, step_key=step_key))
    if questionnaire is None or questionnaire.state != "completed":
        return {}
    definition = definition_of(questionnaire)
    answers = saved_answers(definition, page_rows(session, questionnaire))
    return validate_answers(
        definition, answers, language(questionnaire.language),
        today=office_today(questionnaire.completed_at),
    )  # fmt: skip
