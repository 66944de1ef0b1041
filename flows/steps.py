"""The step primitives: what the generic dossier flow does for each kind of step.

Every side effect lives in a task whose cache key is (flow run, dossier, step, attempt),
persisted, so that the flow body, which runs again from the top after each resume, gets finished
steps back from the cache instead of doing them again. The key leaves out the source code on
purpose: a redeploy must not re-run finished steps. A step's attempt is 1 until a rejected
approval sends the dossier back over it (`on_reject`); its next attempt has new cache and
suspension keys, so it runs again. The domain work itself is in casemodel.services.steps.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.context import TaskRunContext
from prefect.flow_runs import suspend_flow_run

from casemodel.models import Dossier
from casemodel.queries.dossiers import step_plan
from casemodel.services import dossiers as dossier_services
from casemodel.services import publishing, step_conditions, upload_requests
from casemodel.services import steps as step_services
from casemodel.services.approvals import step_kind as approval_kind
from casemodel.services.failures import fail_step
from casemodel.services.questionnaires import step_kind as questionnaire_kind
from casemodel.services.steps import FINISHED_STATES
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


step_task = task(
    cache_key_fn=step_cache_key,
    persist_result=True,
    retries=2,
    retry_delay_seconds=5,
)


@step_task(task_run_name="automatic:{step_key}")
def run_automatic(dossier_id: int, step_key: str, attempt: int = 1) -> str:
    with transaction() as session:
        step_services.run_automatic_step(session, dossier_id=dossier_id, step_key=step_key)
    return "done"


@step_task(task_run_name="open-task:{step_key}")
def open_task(dossier_id: int, step_key: str, attempt: int = 1) -> int:
    with transaction() as session:
        return step_services.open_human_task(session, dossier_id=dossier_id, step_key=step_key).id


@step_task(task_run_name="publish:{step_key}")
def run_publish(dossier_id: int, step_key: str, attempt: int = 1) -> bool:
    """True when the drafts are published; False when the step waits for staff to upload."""
    with transaction() as session:
        return publishing.run_publish_step(session, dossier_id=dossier_id, step_key=step_key)


@step_task(task_run_name="request-files:{step_key}")
def open_request(dossier_id: int, step_key: str, attempt: int = 1) -> int:
    with transaction() as session:
        task = upload_requests.open_upload_request(
            session, dossier_id=dossier_id, step_key=step_key
        )
        return task.id


@step_task(task_run_name="questionnaire:{step_key}")
def open_questionnaire(dossier_id: int, step_key: str, attempt: int = 1) -> int:
    with transaction() as session:
        return questionnaire_kind.open_for_step(
            session, dossier_id=dossier_id, step_key=step_key
        ).id


@step_task(task_run_name="approval:{step_key}")
def open_approval(dossier_id: int, step_key: str, attempt: int = 1) -> int | None:
    """The request put up for the client (its id), or None while the office places the
    document."""
    with transaction() as session:
        request = approval_kind.open_for_step(session, dossier_id=dossier_id, step_key=step_key)
        return request.id if request else None


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


# Not cached (Prefect's default policy would cache it by its inputs within the run): after a
# resume it must look at the date again, which may have moved or come.
@task(task_run_name="wait-until:{step_key}", retries=2, retry_delay_seconds=5,
      cache_policy=NO_CACHE)  # fmt: skip
def plan_wait(dossier_id: int, step_key: str) -> bool:
    """True when the step is finished (its date has passed), False when the run must wait."""
    with transaction() as session:
        return (
            step_services.wait_until_due(session, dossier_id=dossier_id, step_key=step_key) is None
        )


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
    """Suspend the run until the step is finished in the portal.

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


def staff_task(dossier_id: int, step_key: str, attempt: int = 1) -> None:
    open_task(dossier_id, step_key, attempt)
    wait_for_person(dossier_id, step_key, attempt)


def automatic(dossier_id: int, step_key: str, attempt: int = 1) -> None:
    run_automatic(dossier_id, step_key, attempt)


def wait_until(dossier_id: int, step_key: str, attempt: int = 1) -> None:
    if not plan_wait(dossier_id, step_key):
        wait_for_person(dossier_id, step_key, attempt)


def publish(dossier_id: int, step_key: str, attempt: int = 1) -> None:
    if not run_publish(dossier_id, step_key, attempt):
        wait_for_person(dossier_id, step_key, attempt)


def upload_request(dossier_id: int, step_key: str, attempt: int = 1) -> None:
    open_request(dossier_id, step_key, attempt)
    wait_for_person(dossier_id, step_key, attempt)


def questionnaire(dossier_id: int, step_key: str, attempt: int = 1) -> None:
    """The client's questionnaire; the portal finishes the step once the answers pass their
    definition. The answers reach the run where it needs them, in a later step's `when:`
    (decide_when, which checks them again), and stay out of Prefect's results: they hold BSNs
    and IBANs."""
    open_questionnaire(dossier_id, step_key, attempt)
    wait_for_person(dossier_id, step_key, attempt)


def approval(dossier_id: int, step_key: str, attempt: int = 1) -> None:
    """The client's approval of a document, gated by a code (casemodel.services.approvals).
    The portal finishes the step once it is approved and the document reached its recipient
    (the outbox relay, for a recipient outside the office); "Niet akkoord" with `on_reject`
    sends the dossier back to an earlier step, which the run, resumed, walks again in a new
    attempt."""
    open_approval(dossier_id, step_key, attempt)
    wait_for_person(dossier_id, step_key, attempt)


#: How the flow runs each step kind; casemodel.casetemplates.STEP_KINDS validates the settings.
RUNNERS: dict[str, Callable[[int, str, int], None]] = {
    "staff_task": staff_task,
    "automatic": automatic,
    "wait_until": wait_until,
    "publish": publish,
    "upload_request": upload_request,
    "questionnaire": questionnaire,
    "approval": approval,
}


def plan_of(dossier_id: int) -> list[tuple[str, str, bool, int]]:
    """The dossier's steps in order, as (key, kind, finished, attempt): read from the step
    mirror, which holds the steps of the template version the dossier was opened with."""
    with transaction() as session:
        rows = session.execute(step_plan(dossier_id))
        return [
            (key, kind, state in FINISHED_STATES, attempt) for key, kind, state, attempt in rows
        ]
