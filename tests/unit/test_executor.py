"""The dossier executor's bookkeeping that keeps API calls off a client's wait (flows/executor.py).
Its behaviour against a real Prefect is in tests/integration (every flow test runs under it)."""

from __future__ import annotations

import datetime as dt
import uuid
from types import SimpleNamespace

import anyio

from flows.executor import CLAIMS_REMEMBERED, DossierExecutor, DossierJobConfiguration
from flows.executor import _FlowsFromMemory as FlowsFromMemory


def executor() -> DossierExecutor:
    return DossierExecutor(work_pool_name="dossiers", forker=None, name="unit")


def event(flow_run_id, occurred: dt.datetime):
    return SimpleNamespace(
        resource={"prefect.resource.id": f"prefect.flow-run.{flow_run_id}"}, occurred=occurred
    )


def test_an_event_about_a_state_the_executor_has_claimed_since_is_no_nudge():
    worker = executor()
    run, other = uuid.uuid4(), uuid.uuid4()
    before = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    worker._note_claim(run)
    after = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)

    assert worker._acted_on(event(run, before))  # the Resuming it claimed, arriving late
    assert not worker._acted_on(event(run, after))  # the same run resumed again later
    assert not worker._acted_on(event(other, before))  # a run it never claimed
    assert not worker._acted_on(
        SimpleNamespace(resource={"prefect.resource.id": "prefect.deployment.x"}, occurred=before)
    )


def test_the_claims_remembered_are_bounded_and_the_oldest_go_first():
    worker = executor()
    runs = [uuid.uuid4() for _ in range(CLAIMS_REMEMBERED + 5)]
    for run in runs:
        worker._note_claim(run)
    assert len(worker._claims) == CLAIMS_REMEMBERED
    assert runs[0] not in worker._claims and runs[-1] in worker._claims


def test_a_flow_is_read_once_and_everything_else_is_the_client():
    reads = []

    class Client:
        async def read_flow(self, flow_id):
            reads.append(flow_id)
            return f"flow {flow_id}"

        def read_deployment(self):
            return "the client's own"

    client = FlowsFromMemory(Client(), {})
    assert anyio.run(client.read_flow, "a") == "flow a"
    assert anyio.run(client.read_flow, "a") == "flow a"
    assert anyio.run(client.read_flow, "b") == "flow b"
    assert reads == ["a", "b"]
    assert client.read_deployment() == "the client's own"


def test_the_settings_environment_is_computed_once_and_handed_out_as_a_copy():
    first = DossierJobConfiguration._base_environment()
    first["PREFECT_API_URL"] = "http://changed.invalid/api"
    assert DossierJobConfiguration._base_environment().get("PREFECT_API_URL") != (
        "http://changed.invalid/api"
    )


def polls_within(seconds: float, found: list) -> int:
    """How often the executor polls in `seconds` after a nudge, each poll finding `found`."""
    worker = DossierExecutor(
        work_pool_name="dossiers", forker=None, name="unit", poll_seconds=60,
        burst_seconds=10, burst_interval=0.02,
    )  # fmt: skip
    polls = []

    async def poll():
        polls.append(1)
        return found

    worker.get_and_submit_flow_runs = poll

    async def run():
        worker.nudged()
        with anyio.move_on_after(seconds):
            await worker._poll_loop()

    anyio.run(run)
    return len(polls)


def test_a_burst_of_fast_polls_goes_on_while_nothing_is_found_and_ends_when_work_is():
    assert polls_within(0.3, found=[]) >= 5
    assert polls_within(0.3, found=["a run"]) == 1
