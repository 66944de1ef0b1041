"""A dossier runs as a real Prefect flow run on a real server and worker: it starts after the
commit, suspends on staff steps, resumes when staff complete them, never re-runs a finished
step, and survives Prefect being down when a step is completed."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from prefect import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from prefect.flow_runs import resume_flow_run
from prefect.utilities.asyncutils import run_coro_as_sync
from sqlalchemy import select

from casemodel.casetemplates import parse_template
from casemodel.db import session_scope, utcnow
from casemodel.models import Dossier, HumanTask, OutboxMessage, Step, User
from casemodel.queries.dossiers import progress_of
from casemodel.services.dossiers import open_dossier
from casemodel.services.steps import complete_staff_task
from flows.relay import deliver_due, resume_dossier_flow
from tests.fixtures.domain import make_firm
from tests.fixtures.prefect import wait_for

pytestmark = [pytest.mark.prefect, pytest.mark.postgres]

TEMPLATE = parse_template(
    {
        "key": "flow-test",
        "version": 1,
        "office_kind": "notary",
        "title": {"nl": "Flowtest", "en": "Flow test"},
        "steps": [
            {
                "key": "prepare",
                "title": {"nl": "Voorbereiden", "en": "Prepare"},
                "kind": "automatic",
                "settings": {"action": "record_milestone"},
            },
            {"key": "intake", "title": {"nl": "Intake", "en": "Intake"}, "kind": "staff_task"},
            {
                "key": "check",
                "title": {"nl": "Controle", "en": "Check"},
                "kind": "automatic",
                "progress": False,
                "settings": {"action": "check_key_dates"},
            },
            {
                "key": "plan",
                "title": {"nl": "Plannen", "en": "Plan"},
                "kind": "staff_task",
                "settings": {"asks_date": "signing"},
            },
            {
                "key": "until-signing",
                "title": {"nl": "Wachten", "en": "Wait"},
                "kind": "wait_until",
                "progress": False,
                "settings": {"date": "signing"},
            },
            {"key": "sign", "title": {"nl": "Tekenen", "en": "Sign"}, "kind": "staff_task"},
        ],
    },
    "flow-test.yaml",
)

_numbers = itertools.count(1)


@pytest.fixture
def office_setup(flow_stack):
    """A notary office with a client organisation and a staff member, committed for real: the
    worker's flow runs read them from their own connections."""
    with session_scope(flow_stack.session_factory) as session:
        firm = make_firm(session, f"flow{next(_numbers)}")
        return firm.organisation.id, firm.staff.id


def open_test_dossier(flow_stack, organisation_id: int, staff_id: int) -> int:
    with session_scope(flow_stack.session_factory) as session:
        dossier = open_dossier(
            session,
            template=TEMPLATE,
            organisation_id=organisation_id,
            description="Teststraat 1",
            actor=session.get(User, staff_id),
        )
        dossier_id = dossier.id
    # As the office page does: the flow run is created after the commit.
    deliver_due(flow_stack.session_factory)
    return dossier_id


def read(flow_stack, fn):
    with session_scope(flow_stack.session_factory) as session:
        return fn(session)


def step_state(flow_stack, dossier_id: int, key: str) -> str:
    return read(
        flow_stack,
        lambda s: s.scalar(
            select(Step.state).where(Step.dossier_id == dossier_id, Step.key == key)
        ),
    )


def flow_run(flow_stack, dossier_id: int):
    flow_run_id = read(flow_stack, lambda s: s.get(Dossier, dossier_id).flow_run_id)

    async def fetch():
        async with get_client() as client:
            return await client.read_flow_run(flow_run_id)

    return run_coro_as_sync(fetch())


def suspended_on(flow_stack, dossier_id: int, key: str) -> bool:
    state = flow_run(flow_stack, dossier_id).state
    return (
        step_state(flow_stack, dossier_id, key) == "waiting"
        and state is not None
        and state.name == "Suspended"
    )


def complete(flow_stack, dossier_id: int, key: str, staff_id: int, **kwargs) -> None:
    with session_scope(flow_stack.session_factory) as session:
        task_id = session.scalar(
            select(HumanTask.id)
            .join(HumanTask.step)
            .where(Step.dossier_id == dossier_id, Step.key == key)
        )
        complete_staff_task(session, task_id=task_id, actor=session.get(User, staff_id), **kwargs)


def progress(flow_stack, dossier_id: int):
    return read(flow_stack, lambda s: progress_of(s, [dossier_id])[dossier_id])


def task_run_states(flow_stack, dossier_id: int) -> dict[str, list[str]]:
    """Every task run of the dossier's flow run, by task run name, with its final state names."""
    flow_run_id = flow_run(flow_stack, dossier_id).id

    async def fetch():
        async with get_client() as client:
            return await client.read_task_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
            )

    states: dict[str, list[str]] = {}
    for task_run in run_coro_as_sync(fetch()):
        states.setdefault(task_run.name, []).append(task_run.state.name)
    return states


def test_a_dossier_runs_suspends_resumes_and_completes(flow_stack, office_setup):
    organisation_id, staff_id = office_setup
    dossier_id = open_test_dossier(flow_stack, organisation_id, staff_id)

    run = flow_run(flow_stack, dossier_id)
    number = read(flow_stack, lambda s: s.get(Dossier, dossier_id).number)
    office = read(flow_stack, lambda s: s.get(Dossier, dossier_id).office.name)
    assert run.name == f"dossier {number} · {office}"
    assert f"dossier:{number}" in run.tags

    # The automatic step runs, then the run suspends on the staff step; the counter shows it.
    wait_for(lambda: suspended_on(flow_stack, dossier_id, "intake"), what="suspend on intake")
    assert step_state(flow_stack, dossier_id, "prepare") == "done"
    assert (progress(flow_stack, dossier_id).done, progress(flow_stack, dossier_id).total) == (1, 4)

    complete(flow_stack, dossier_id, "intake", staff_id)
    assert progress(flow_stack, dossier_id).done == 2  # at once, before Prefect has resumed
    deliver_due(flow_stack.session_factory)
    wait_for(lambda: suspended_on(flow_stack, dossier_id, "plan"), what="suspend on plan")
    assert step_state(flow_stack, dossier_id, "check") == "done"

    # A signing date in the past: the wait_until step passes at once.
    yesterday = (utcnow() - dt.timedelta(days=1)).date()
    complete(flow_stack, dossier_id, "plan", staff_id, key_date=yesterday)
    deliver_due(flow_stack.session_factory)
    wait_for(lambda: suspended_on(flow_stack, dossier_id, "sign"), what="suspend on sign")
    assert step_state(flow_stack, dossier_id, "until-signing") == "done"

    complete(flow_stack, dossier_id, "sign", staff_id)
    deliver_due(flow_stack.session_factory)
    wait_for(
        lambda: read(flow_stack, lambda s: s.get(Dossier, dossier_id).status == "completed"),
        what="the dossier to complete",
    )
    wait_for(lambda: flow_run(flow_stack, dossier_id).state.is_completed(), what="run completed")
    assert (progress(flow_stack, dossier_id).done, progress(flow_stack, dossier_id).total) == (4, 4)

    # No step ran twice: one execution ("Completed") per step task, over four passes of the
    # flow body (the start and three resumes).
    states = task_run_states(flow_stack, dossier_id)
    for name in ("automatic:prepare", "open-task:intake", "automatic:check", "open-task:plan"):
        assert states[name] == ["Completed"], (name, states[name])
    assert states["open-task:sign"] == ["Completed"]


def test_a_stray_resume_repeats_nothing_and_suspends_again(flow_stack, office_setup):
    """Someone resumes the run from the Prefect UI while the staff step is still open: the flow
    body runs again, the step's task comes back from the cache (no second HumanTask), and the run
    suspends again under the step's next key."""
    organisation_id, staff_id = office_setup
    dossier_id = open_test_dossier(flow_stack, organisation_id, staff_id)
    wait_for(lambda: suspended_on(flow_stack, dossier_id, "intake"), what="suspend on intake")
    assert flow_run(flow_stack, dossier_id).state.state_details.pause_key == "intake#0"

    resume_flow_run(flow_run(flow_stack, dossier_id).id)
    wait_for(
        lambda: flow_run(flow_stack, dossier_id).state.state_details.pause_key == "intake#1",
        what="the second suspension",
    )

    assert sorted(task_run_states(flow_stack, dossier_id)["open-task:intake"]) == [
        "Cached",
        "Completed",
    ]
    tasks = read(
        flow_stack,
        lambda s: s.execute(
            select(HumanTask.state, Step.key)
            .join(HumanTask.step)
            .where(HumanTask.dossier_id == dossier_id)
        ).all(),
    )
    assert [tuple(t) for t in tasks] == [("open", "intake")]

    # Completing the step still carries the run on.
    complete(flow_stack, dossier_id, "intake", staff_id)
    deliver_due(flow_stack.session_factory)
    wait_for(lambda: suspended_on(flow_stack, dossier_id, "plan"), what="suspend on plan")


def test_a_resume_message_for_a_step_the_run_has_moved_past_resumes_nothing(
    flow_stack, office_setup
):
    """A late copy of a resume (say, delivered twice) must not resume the run where it waits
    for the next step: the relay sees in the mirror that a later step has started."""
    organisation_id, staff_id = office_setup
    dossier_id = open_test_dossier(flow_stack, organisation_id, staff_id)
    wait_for(lambda: suspended_on(flow_stack, dossier_id, "intake"), what="suspend on intake")
    complete(flow_stack, dossier_id, "intake", staff_id)
    deliver_due(flow_stack.session_factory)
    wait_for(lambda: suspended_on(flow_stack, dossier_id, "plan"), what="suspend on plan")

    with session_scope(flow_stack.session_factory) as session:
        resume_dossier_flow(session, {"dossier_id": dossier_id, "step_key": "intake"})

    # A resume would have moved the run out of Suspended before the call returned.
    state = flow_run(flow_stack, dossier_id).state
    assert state.name == "Suspended" and state.state_details.pause_key == "plan#0"


def test_a_step_completed_while_prefect_is_down_is_kept_and_resumed_later(flow_stack, office_setup):
    organisation_id, staff_id = office_setup
    dossier_id = open_test_dossier(flow_stack, organisation_id, staff_id)
    wait_for(lambda: suspended_on(flow_stack, dossier_id, "intake"), what="suspend on intake")

    flow_stack.stack.stop_server()
    try:
        complete(flow_stack, dossier_id, "intake", staff_id)
        resume = read(
            flow_stack,
            lambda s: s.scalar(
                select(OutboxMessage).where(
                    OutboxMessage.dedupe_key == f"resume:{dossier_id}:intake"
                )
            ),
        )
        # Only this resume: other tests' mails in the shared outbox are deliverable meanwhile.
        delivered = deliver_due(flow_stack.session_factory, only=[resume.id])
        # The completion is recorded; the resume waits in the outbox with the error.
        assert delivered == 0
        assert step_state(flow_stack, dossier_id, "intake") == "done"
        message = read(flow_stack, lambda s: s.get(OutboxMessage, resume.id))
        assert message.done_at is None and message.attempts == 1 and message.last_error
    finally:
        flow_stack.stack.restart_server()

    # The relay's next round after the back-off delivers it.
    with session_scope(flow_stack.session_factory) as session:
        session.get(OutboxMessage, message.id).due_at = utcnow()
    wait_for(
        lambda: (
            deliver_due(flow_stack.session_factory) or suspended_on(flow_stack, dossier_id, "plan")
        ),
        timeout=90,
        what="the resume to be delivered",
    )
    wait_for(lambda: suspended_on(flow_stack, dossier_id, "plan"), timeout=90, what="plan")
    message = read(flow_stack, lambda s: s.get(OutboxMessage, message.id))
    assert message.done_at is not None, message.last_error
    assert step_state(flow_stack, dossier_id, "intake") == "done"
