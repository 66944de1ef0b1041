"""The flow's side of a step, the same for every kind: the kind's `start`
(casemodel/stepkinds/<kind>.py) in a task, then, for a kind that may wait, a suspension until
the step is finished in the portal.

Every side effect lives in a task whose cache key is (flow run, dossier, step, attempt),
persisted, so that the flow body, which runs again from the top after each resume, gets finished
steps back from the cache instead of doing them again. The key leaves out the source code on
purpose: a redeploy must not re-run finished steps. A step's attempt is 1 until a rejected
approval sends the dossier back over it (`on_reject`); its next attempt has new cache and
suspension keys, so it runs again. Whether the run goes on is read from the portal's step
mirror, never from a task's result: a result cached by an earlier release means nothing here.
"""

from __future__ import annotations

import itertools
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.context import TaskRunContext
from prefect.flow_runs import suspend_flow_run

from casemodel.models import Dossier
from casemodel.queries.dossiers import step_plan
from casemodel.services import dossiers as dossier_services
from casemodel.services import step_conditions
from casemodel.services import steps as step_services
from casemodel.services.failures import fail_step
from casemodel.services.steps import FINISHED_STATES
from casemodel.stepkinds import kind_of
from flows.database import transaction
from forms import AnswersInvalid

#: A suspended run waits for a person for up to this long before Prefect fails it: longer than
#: any dossier stays open (a signing date can lie months ahead).
SUSPEND_TIMEOUT_SECONDS = 400 * 24 * 3600


def step_cache_key(context: TaskRunContext, parameters: dict[str, Any]) -> str:
    flow_run_id = context.task_run.flow_run_id
    key = f"dossier-{parameters['dossier_id']}-{parameters['step_key']}-{flow_run_id}"
    attempt = parameters.get("attempt", 1)
    # The first attempt's key is what it always was: a run under way keeps its cache hits.
    return key if attempt == 1 else f"{key}-attempt-{attempt}"


@task(task_run_name="{kind}:{step_key}", cache_key_fn=step_cache_key, persist_result=True,
      retries=2, retry_delay_seconds=5)  # fmt: skip
def start_step(dossier_id: int, step_key: str, kind: str, attempt: int = 1) -> str:
    """The kind's start, once per (run, step, attempt)."""
    with transaction() as session:
        kind_of(kind).start(session, dossier_id=dossier_id, step_key=step_key)
    return "started"


# Not cached (Prefect's default policy would cache it by its inputs within the run): after a
# resume the kind decides again (a wait_until looks at its date, which may have moved or come).
@task(task_run_name="{kind}:{step_key}", retries=2, retry_delay_seconds=5,
      cache_policy=NO_CACHE)  # fmt: skip
def start_step_again(dossier_id: int, step_key: str, kind: str, attempt: int = 1) -> str:
    """The kind's start, on every pass of the flow body."""
    with transaction() as session:
        kind_of(kind).start(session, dossier_id=dossier_id, step_key=step_key)
    return "started"


def run_step(dossier_id: int, step_key: str, kind: str, attempt: int = 1) -> None:
    """What the flow does for one unfinished step of any kind."""
    step_kind = kind_of(kind)
    start = start_step_again if step_kind.start_each_pass else start_step
    start(dossier_id, step_key, kind, attempt)
    if step_kind.waits:
        wait_for_person(dossier_id, step_key, attempt)


def record_failure(dossier_id: int, step_key: str, kind: str, error: str) -> None:
    """The step failed: the kind records it in the portal, with the error, before the run
    fails."""
    with transaction() as session:
        kind_of(kind).fail(session, dossier_id=dossier_id, step_key=step_key, error=error)


@task(
    task_run_name="when:{step_key}",
    cache_key_fn=lambda context, parameters: (
        f"dossier-{parameters['dossier_id']}-{parameters['step_key']}-when-"
        f"{context.task_run.flow_run_id}"
    ),
    persist_result=True,
    retries=2,
    retry_delay_seconds=5,
)
def decide_when(dossier_id: int, step_key: str) -> bool:
    """Whether a step with a template `when:` runs, on the completed answers of the
    questionnaire step it names, checked with their definition (answers it refuses fail the
    task, for a person to see, and never steer the run). Decided once per run; a step that does
    not run is recorded as skipped."""
    try:
        with transaction() as session:
            return step_conditions.step_applies(session, dossier_id=dossier_id, step_key=step_key)
    except AnswersInvalid as refused:  # the office's step table shows it failed, and why
        with transaction() as session:
            fail_step(session, dossier_id=dossier_id, step_key=step_key, error=str(refused))
        raise


@task(
    task_run_name="finish-dossier",
    cache_key_fn=lambda context, parameters: (
        f"dossier-{parameters['dossier_id']}-finish-{context.task_run.flow_run_id}"
    ),
    persist_result=True,
)
def finish_dossier(dossier_id: int) -> str:
    with transaction() as session:
        dossier_services.mark_completed(session, dossier=session.get(Dossier, dossier_id))
    return "completed"


def step_applies(dossier_id: int, step_key: str) -> bool:
    """Whether the flow runs the step: always, unless it has a `when:` that the answers of an
    earlier questionnaire step do not satisfy. Only a step with a `when:` costs a task."""
    with transaction() as session:
        step = step_services.get_step(session, dossier_id=dossier_id, step_key=step_key)
        conditional = step.condition is not None
    return not conditional or decide_when(dossier_id, step_key)


def step_finished(dossier_id: int, step_key: str) -> bool:
    """Read-only, so it may run in the flow body on every pass."""
    with transaction() as session:
        state = step_services.get_step(session, dossier_id=dossier_id, step_key=step_key).state
    return state in FINISHED_STATES


def wait_for_person(dossier_id: int, step_key: str, attempt: int = 1) -> None:
    """Suspend the run until the step is finished in the portal (by a person, or by the run's
    resume on a wait_until's date).

    Each suspension has its own key, "<step>#<n>" ("<step>@<attempt>#<n>" from the second
    attempt on). Prefect refuses a key it has seen before and then returns at once, so after a
    resume the loop walks past the keys already used and suspends again only if the step is
    still not finished (a resume from the Prefect UI, say).
    """
    prefix = step_key if attempt == 1 else f"{step_key}@{attempt}"
    for number in itertools.count():
        if step_finished(dossier_id, step_key):
            return
        suspend_flow_run(key=f"{prefix}#{number}", timeout=SUSPEND_TIMEOUT_SECONDS)


def plan_of(dossier_id: int) -> list[tuple[str, str, bool, int]]:
    """The dossier's steps in order, as (key, kind, finished, attempt): read from the step
    mirror, which holds the steps of the template version the dossier was opened with."""
    with transaction() as session:
        rows = session.execute(step_plan(dossier_id))
        return [
            (key, kind, state in FINISHED_STATES, attempt) for key, kind, state, attempt in rows
        ]
