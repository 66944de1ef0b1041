"""The step primitives: what the generic dossier flow does for each kind of step.

Every side effect lives in a task whose cache key is (flow run, dossier, step), persisted, so
that the flow body, which runs again from the top after each resume, gets finished steps back
from the cache instead of doing them again. The key leaves out the source code on purpose: a
redeploy must not re-run finished steps. The domain work itself is in casemodel.services.steps.
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
from casemodel.services import publishing, requests
from casemodel.services import steps as step_services
from casemodel.services.steps import FINISHED_STATES
from flows.database import transaction

#: A suspended run waits for a person for up to this long before Prefect fails it: longer than
#: any dossier stays open (a signing date can lie months ahead).
SUSPEND_TIMEOUT_SECONDS = 400 * 24 * 3600


def step_cache_key(context: TaskRunContext, parameters: dict[str, Any]) -> str:
    flow_run_id = context.task_run.flow_run_id
    return f"dossier-{parameters['dossier_id']}-{parameters['step_key']}-{flow_run_id}"


step_task = task(
    cache_key_fn=step_cache_key,
    persist_result=True,
    retries=2,
    retry_delay_seconds=5,
)


@step_task(task_run_name="automatic:{step_key}")
def run_automatic(dossier_id: int, step_key: str) -> str:
    with transaction() as session:
        step_services.run_automatic_step(session, dossier_id=dossier_id, step_key=step_key)
    return "done"


@step_task(task_run_name="open-task:{step_key}")
def open_task(dossier_id: int, step_key: str) -> int:
    with transaction() as session:
        return step_services.open_human_task(session, dossier_id=dossier_id, step_key=step_key).id


@step_task(task_run_name="publish:{step_key}")
def run_publish(dossier_id: int, step_key: str) -> bool:
    """True when the drafts are published; False when the step waits for staff to upload."""
    with transaction() as session:
        return publishing.run_publish_step(session, dossier_id=dossier_id, step_key=step_key)


@step_task(task_run_name="request-files:{step_key}")
def open_request(dossier_id: int, step_key: str) -> int:
    with transaction() as session:
        return requests.open_upload_request(session, dossier_id=dossier_id, step_key=step_key).id


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


def step_finished(dossier_id: int, step_key: str) -> bool:
    """Read-only, so it may run in the flow body on every pass."""
    with transaction() as session:
        state = step_services.get_step(session, dossier_id=dossier_id, step_key=step_key).state
    return state in FINISHED_STATES


def wait_for_person(dossier_id: int, step_key: str) -> None:
    """Suspend the run until the step is finished in the portal.

    Each suspension has its own key, "<step>#<n>". Prefect refuses a key it has seen before and
    then returns at once, so after a resume the loop walks past the keys already used and
    suspends again only if the step is still not finished (a resume from the Prefect UI, say).
    """
    for attempt in itertools.count():
        if step_finished(dossier_id, step_key):
            return
        suspend_flow_run(key=f"{step_key}#{attempt}", timeout=SUSPEND_TIMEOUT_SECONDS)


def staff_task(dossier_id: int, step_key: str) -> None:
    open_task(dossier_id, step_key)
    wait_for_person(dossier_id, step_key)


def automatic(dossier_id: int, step_key: str) -> None:
    run_automatic(dossier_id, step_key)


def wait_until(dossier_id: int, step_key: str) -> None:
    if not plan_wait(dossier_id, step_key):
        wait_for_person(dossier_id, step_key)


def publish(dossier_id: int, step_key: str) -> None:
    if not run_publish(dossier_id, step_key):
        wait_for_person(dossier_id, step_key)


def upload_request(dossier_id: int, step_key: str) -> None:
    open_request(dossier_id, step_key)
    wait_for_person(dossier_id, step_key)


#: How the flow runs each step kind; casemodel.casetemplates.STEP_KINDS validates the settings.
RUNNERS: dict[str, Callable[[int, str], None]] = {
    "staff_task": staff_task,
    "automatic": automatic,
    "wait_until": wait_until,
    "publish": publish,
    "upload_request": upload_request,
}


def plan_of(dossier_id: int) -> list[tuple[str, str, bool]]:
    """The dossier's steps in order, as (key, kind, finished): read from the step mirror, which
    holds the steps of the template version the dossier was opened with."""
    with transaction() as session:
        rows = session.execute(step_plan(dossier_id))
        return [(key, kind, state in FINISHED_STATES) for key, kind, state in rows]
