"""What keeps a dossier from stopping or doubling, in the domain: dossier numbers from a
sequence, outbox leases and dead letters, failed dossiers and their retry, recoveries within a
limit, cancellation. On SQLite and PostgreSQL, with real commits from several connections
where it matters."""

from __future__ import annotations

import threading
import uuid

import pytest
from sqlalchemy import func, select

from casemodel.db import utcnow
from casemodel.models import AuditEvent, Dossier, HumanTask, OutboxMessage, Step, User
from casemodel.queries.dossiers import dossier_counts
from casemodel.queries.failures import dead_messages, failed_dossiers
from casemodel.services.dossiers import cancel_dossier, open_dossier
from casemodel.services.errors import InvalidState, NotAllowed, NotFound
from casemodel.services.failures import MAX_RECOVERIES, fail_step, may_reschedule, retry_dossier
from casemodel.services.outbox import (
    claim_message,
    due_messages,
    enqueue,
    held_message,
    mark_done,
    mark_failed,
    retry_message,
    take_queued_ids,
)
from casemodel.services.steps import open_human_task
from tests.concurrency import two_at_once
from tests.fixtures.domain import make_firm


def open_transfer(session, firm, template, description="Dorpsstraat 1"):
    return open_dossier(session, template=template, organisation_id=firm.organisation.id,
                        description=description, actor=firm.staff)  # fmt: skip


# -- dossier numbers ----------------------------------------------------------------------------


def test_thirty_openings_ten_at_a_time_give_thirty_numbers_and_no_error(
    own_session_factory, transfer_template
):
    factory = own_session_factory
    with factory() as session:
        firm = make_firm(session, uuid.uuid4().hex[:8])
        session.commit()
        organisation_id, staff_id = firm.organisation.id, firm.staff.id
    errors: list[BaseException] = []
    numbers: list[str] = []
    lock = threading.Lock()

    def open_one(index: int) -> None:
        try:
            with factory() as session:
                dossier = open_dossier(
                    session, template=transfer_template, organisation_id=organisation_id,
                    description=f"Straat {index}", actor=session.get(User, staff_id),
                )  # fmt: skip
                session.commit()
                with lock:
                    numbers.append(dossier.number)
        except BaseException as exc:  # noqa: BLE001 - every failure is the test's finding
            errors.append(exc)

    for batch in range(3):
        threads = [threading.Thread(target=open_one, args=(batch * 10 + i,)) for i in range(10)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)

    year = utcnow().year
    assert errors == []
    assert sorted(numbers) == [f"{year}-{n:05d}" for n in range(1, 31)]


def test_each_office_counts_its_own_numbers(session, firm, other_firm, transfer_template):
    first = open_transfer(session, firm, transfer_template)
    elsewhere = open_dossier(
        session,
        template=transfer_template,
        description="Elders 1",
        organisation_id=other_firm.organisation.id,
        actor=other_firm.staff,
    )
    second = open_transfer(session, firm, transfer_template, "Dorpsstraat 2")

    year = utcnow().year
    assert (first.number, second.number) == (f"{year}-00001", f"{year}-00002")
    assert elsewhere.number == f"{year}-00001"


# -- the outbox: leases, dead letters ------------------------------------------------------------


def test_a_message_is_claimed_by_one_relay_only(own_session_factory):
    key = f"mail:{uuid.uuid4().hex}"
    with own_session_factory() as session:
        message_id = enqueue(session, kind="send_mail", dedupe_key=key, payload={"to": "a"}).id
        session.commit()

    def claim(session):
        return claim_message(session, message=session.get(OutboxMessage, message_id))

    first, second = two_at_once(own_session_factory, claim)
    assert [token is not None for token in (first, second)].count(True) == 1
    with own_session_factory() as session:
        assert due_messages(session, ids=[message_id]) == []  # held: no one else sees it due
        token = first or second
        assert held_message(session, message_id=message_id, token=token) is not None
        assert held_message(session, message_id=message_id, token="f" * 32) is None


def test_an_expired_lease_lets_another_relay_take_the_message(session):
    message = enqueue(session, kind="send_mail", dedupe_key="mail:lease", payload={})
    first = claim_message(session, message=message)
    assert claim_message(session, message=message) is None
    message.claimed_until = utcnow()  # the first relay died; its lease ran out
    session.flush()
    second = claim_message(session, message=message)
    assert second and second != first
    assert held_message(session, message_id=message.id, token=first) is None
    mark_done(message)
    assert message.claim_token is None and message.done_at is not None


def test_a_message_failing_too_often_is_given_up_and_staff_retry_it(
    session, firm, transfer_template, monkeypatch
):
    monkeypatch.setenv("DOSSIERFLOW_OUTBOX_MAX_ATTEMPTS", "3")
    dossier = open_transfer(session, firm, transfer_template)
    message = enqueue(session, kind="resume_flow_run", dedupe_key="resume:dead",
                      payload={"dossier_id": dossier.id, "step_key": "intake"})  # fmt: skip
    assert [mark_failed(message, f"ConnectError({n})") for n in range(3)] == [False, False, True]
    assert message.dead_at is not None and message.last_error == "ConnectError(2)"
    session.flush()
    assert message not in due_messages(session)
    shown = dead_messages(session, firm.staff)
    assert [(m.id, m.kind, m.attempts) for m in shown] == [(message.id, "resume_flow_run", 3)]
    assert shown[0].dossier.id == dossier.id

    with pytest.raises(NotAllowed):
        retry_message(session, message_id=message.id, actor=firm.client)
    retry_message(session, message_id=message.id, actor=firm.staff)
    assert (message.dead_at, message.attempts) == (None, 0)
    assert message in due_messages(session)
    with pytest.raises(InvalidState):
        retry_message(session, message_id=message.id, actor=firm.staff)
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "outbox.retried"))
    assert event.detail["error"] == "ConnectError(2)" and event.actor_id == firm.staff.id


def test_staff_of_another_office_do_not_see_a_dead_message_of_this_one(
    session, firm, other_firm, transfer_template
):
    dossier = open_transfer(session, firm, transfer_template)
    message = enqueue(session, kind="start_flow_run", dedupe_key="start:dead-x",
                      payload={"dossier_id": dossier.id})  # fmt: skip
    mail = enqueue(
        session,
        kind="send_mail",
        dedupe_key="mail:dead-x",
        payload={"to": "k@example.nl", "subject": "Welkom", "text": "secret link"},
    )
    message.dead_at = mail.dead_at = utcnow()
    session.flush()
    assert [m.id for m in dead_messages(session, other_firm.staff)] == []
    mine = dead_messages(session, firm.staff)
    assert [m.id for m in mine] == [message.id]  # a mail of no dossier: managers only
    managers = {m.id: m for m in dead_messages(session, firm.manager)}
    assert set(managers) == {message.id, mail.id}
    assert managers[mail.id].recipient == "k@example.nl" and "text" not in vars(managers[mail.id])


# -- failed dossiers -----------------------------------------------------------------------------


def test_a_failed_step_fails_the_dossier_with_its_error_and_staff_retry_from_it(
    session, firm, transfer_template
):
    dossier = open_transfer(session, firm, transfer_template)
    key = dossier.steps[0].key
    step = fail_step(session, dossier_id=dossier.id, step_key=key,
                     error="KeyError: 'no_such_action'\nTraceback ...")  # fmt: skip
    assert (step.state, dossier.status) == ("failed", "failed")
    assert step.error.startswith("KeyError")
    # Once failed, a second failure (the reconciler reading the run later) changes nothing.
    assert fail_step(session, dossier_id=dossier.id, error="The run failed") is None
    assert [d.id for d, s in session.execute(failed_dossiers(firm.staff))] == [dossier.id]
    counts = dossier_counts(session, firm.client, None)
    assert counts.in_progress == 1  # the client's dossier is delayed, still in progress

    with pytest.raises(NotAllowed):
        retry_dossier(session, dossier_id=dossier.id, actor=firm.client)
    retry_dossier(session, dossier_id=dossier.id, actor=firm.staff)
    assert (dossier.status, step.state, step.error) == ("open", "pending", None)
    queued = session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "retry_flow_run"))
    assert queued.payload == {"dossier_id": dossier.id}
    with pytest.raises(InvalidState):
        retry_dossier(session, dossier_id=dossier.id, actor=firm.staff)

    # A second failure and retry queue a second restart, not the first one again.
    fail_step(session, dossier_id=dossier.id, error="again")
    retry_dossier(session, dossier_id=dossier.id, actor=firm.staff)
    restarts = session.scalar(
        select(func.count()).select_from(OutboxMessage)
        .where(OutboxMessage.kind == "retry_flow_run")
    )  # fmt: skip
    assert restarts == 2


def test_staff_of_another_office_cannot_retry(session, firm, other_firm, transfer_template):
    dossier = open_transfer(session, firm, transfer_template)
    fail_step(session, dossier_id=dossier.id, error="boom")
    with pytest.raises(NotFound):
        retry_dossier(session, dossier_id=dossier.id, actor=other_firm.staff)


def test_without_a_step_named_the_first_unfinished_one_fails(session, firm, transfer_template):
    dossier = open_transfer(session, firm, transfer_template)
    dossier.steps[0].state = "done"
    session.flush()
    step = fail_step(session, dossier_id=dossier.id, error="The run failed: Crashed")
    assert step.key == dossier.steps[1].key


def test_a_run_is_rescheduled_a_few_times_an_hour_and_then_the_dossier_fails(
    session, firm, transfer_template
):
    dossier = open_transfer(session, firm, transfer_template)
    allowed = [
        may_reschedule(session, dossier_id=dossier.id, run_state="Crashed", message=f"lost {n}")
        for n in range(MAX_RECOVERIES + 1)
    ]
    assert allowed == [True] * MAX_RECOVERIES + [False]
    assert dossier.status == "failed"
    failed = session.scalar(select(Step).where(Step.dossier_id == dossier.id,
                                               Step.state == "failed"))  # fmt: skip
    assert "stopped 4 times" in failed.error and "Crashed: lost 3" in failed.error
    assert not may_reschedule(session, dossier_id=dossier.id, run_state="Crashed", message="x")


def test_a_cancelled_run_cancels_the_dossier_and_its_open_tasks(session, firm, transfer_template):
    dossier = open_transfer(session, firm, transfer_template)
    task = open_human_task(session, dossier_id=dossier.id, step_key=dossier.steps[0].key)
    assert cancel_dossier(session, dossier_id=dossier.id, reason="Cancelled in the UI")
    session.refresh(task)
    assert (dossier.status, task.state) == ("cancelled", "cancelled")
    assert cancel_dossier(session, dossier_id=dossier.id, reason="again") is None
    open_tasks = session.scalar(
        select(func.count()).select_from(HumanTask)
        .where(HumanTask.dossier_id == dossier.id, HumanTask.state == "open")
    )  # fmt: skip
    assert open_tasks == 0
    assert session.get(Dossier, dossier.id).status == "cancelled"


def test_a_unit_of_work_knows_what_it_queued_to_deliver_it_after_its_commit(session):
    """What the portal delivers right after a request's commit (webapp/outbox.py)."""
    first = enqueue(session, kind="send_mail", dedupe_key="mail:queued-1", payload={})
    again = enqueue(session, kind="send_mail", dedupe_key="mail:queued-1", payload={})
    second = enqueue(session, kind="send_sms", dedupe_key="sms:queued-2", payload={})
    assert again.id == first.id
    assert take_queued_ids(session) == [first.id, second.id]
    assert take_queued_ids(session) == []
