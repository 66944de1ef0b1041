"""The domain services that both the office pages and the flow tasks call, on SQLite and
PostgreSQL alike."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from casemodel.casetemplates import parse_template
from casemodel.db import utcnow
from casemodel.models import AuditEvent, HumanTask, OutboxMessage
from casemodel.queries.dossiers import (
    current_steps,
    dossier_counts,
    dossiers_for,
    get_dossier_for,
    progress_of,
)
from casemodel.services import steps as step_services
from casemodel.services.audit import verify_chain
from casemodel.services.dossiers import open_dossier
from casemodel.services.errors import InvalidState, MissingDate, NotAllowed, NotFound
from casemodel.services.outbox import due_messages, enqueue, mark_failed


def open_transfer(session, firm, template, description="Dorpsstraat 1"):
    return open_dossier(
        session,
        template=template,
        organisation_id=firm.organisation.id,
        description=description,
        actor=firm.staff,
    )


def test_opening_copies_the_steps_numbers_and_queues_the_flow_run(session, firm, transfer_template):
    first = open_transfer(session, firm, transfer_template)
    second = open_transfer(session, firm, transfer_template, "Dorpsstraat 2")

    year = utcnow().year
    assert (first.number, second.number) == (f"{year}-00001", f"{year}-00002")
    assert [s.key for s in first.steps] == [s.key for s in transfer_template.steps]
    assert first.template_version == transfer_template.version
    assert first.handler_id == firm.staff.id
    starts = session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "start_flow_run")
    ).all()
    assert sorted(m.payload["dossier_id"] for m in starts) == sorted([first.id, second.id])
    progress = progress_of(session, [first.id])[first.id]
    assert (progress.done, progress.total) == (0, 11)


def test_clients_and_other_offices_cannot_open_dossiers(
    session, firm, other_firm, transfer_template
):
    with pytest.raises(NotAllowed):
        open_dossier(
            session,
            template=transfer_template,
            organisation_id=firm.organisation.id,
            description="x",
            actor=firm.client,
        )
    with pytest.raises(NotFound):
        open_dossier(
            session,
            template=transfer_template,
            organisation_id=firm.organisation.id,
            description="x",
            actor=other_firm.staff,
        )


def test_a_template_for_another_kind_of_office_is_refused(session, firm):
    annual = parse_template(
        {
            "key": "annual",
            "version": 1,
            "office_kind": "accountancy",
            "title": {"nl": "Jaar", "en": "Year"},
            "steps": [],
        }
    )
    with pytest.raises(NotAllowed, match="accountancy"):
        open_dossier(
            session,
            template=annual,
            organisation_id=firm.organisation.id,
            description="x",
            actor=firm.staff,
        )


def test_completing_a_staff_task_moves_progress_and_queues_one_resume(
    session, firm, transfer_template
):
    dossier = open_transfer(session, firm, transfer_template)
    task = step_services.open_human_task(session, dossier_id=dossier.id, step_key="intake")
    again = step_services.open_human_task(session, dossier_id=dossier.id, step_key="intake")
    assert again.id == task.id
    assert current_steps(session, [dossier.id])[dossier.id].key == "intake"

    step_services.complete_staff_task(session, task_id=task.id, actor=firm.staff)

    assert task.state == "done" and task.completed_by_id == firm.staff.id
    assert progress_of(session, [dossier.id])[dossier.id].done == 1
    assert current_steps(session, [dossier.id])[dossier.id].key == "buyer-questionnaire"
    resumes = session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "resume_flow_run")
    ).all()
    assert [m.payload for m in resumes] == [{"dossier_id": dossier.id, "step_key": "intake"}]
    with pytest.raises(InvalidState):
        step_services.complete_staff_task(session, task_id=task.id, actor=firm.staff)


def test_staff_of_another_office_and_clients_cannot_complete_a_task(
    session, firm, other_firm, transfer_template
):
    dossier = open_transfer(session, firm, transfer_template)
    task = step_services.open_human_task(session, dossier_id=dossier.id, step_key="intake")
    for outsider in (other_firm.staff, firm.client):
        with pytest.raises(NotFound):
            step_services.complete_staff_task(session, task_id=task.id, actor=outsider)
    assert session.get(HumanTask, task.id).state == "open"


def test_a_manager_step_needs_a_manager(session, firm):
    template = parse_template(
        {
            "key": "review",
            "version": 1,
            "office_kind": "notary",
            "title": {"nl": "Review", "en": "Review"},
            "steps": [
                {
                    "key": "review",
                    "title": {"nl": "Review", "en": "Review"},
                    "kind": "staff_task",
                    "settings": {"role": "manager"},
                }
            ],
        }
    )
    dossier = open_dossier(
        session,
        template=template,
        organisation_id=firm.organisation.id,
        description="x",
        actor=firm.staff,
    )
    task = step_services.open_human_task(session, dossier_id=dossier.id, step_key="review")
    with pytest.raises(NotAllowed):
        step_services.complete_staff_task(session, task_id=task.id, actor=firm.staff)
    step_services.complete_staff_task(session, task_id=task.id, actor=firm.manager)
    assert task.state == "done"


def test_a_step_that_asks_a_date_needs_it_and_schedules_the_wait(session, firm, transfer_template):
    dossier = open_transfer(session, firm, transfer_template)
    task = step_services.open_human_task(session, dossier_id=dossier.id, step_key="appointment")
    with pytest.raises(MissingDate):
        step_services.complete_staff_task(session, task_id=task.id, actor=firm.staff)
    assert task.state == "open"

    signing = (utcnow() + dt.timedelta(days=30)).date()
    step_services.complete_staff_task(session, task_id=task.id, actor=firm.staff, key_date=signing)
    assert dossier.key_dates == {"signing": signing.isoformat()}

    due = step_services.wait_until_due(session, dossier_id=dossier.id, step_key="until-signing")
    assert due == step_services.start_of_day(signing)
    assert (
        step_services.get_step(session, dossier_id=dossier.id, step_key="until-signing").state
        == "waiting"
    )
    scheduled = session.scalar(
        select(OutboxMessage).where(
            OutboxMessage.payload["step_key"].as_string() == "until-signing"
        )
    )
    assert scheduled.due_at == due
    assert scheduled not in due_messages(session)


def test_a_wait_whose_date_has_passed_finishes_at_once(session, firm, transfer_template):
    dossier = open_transfer(session, firm, transfer_template)
    step_services.set_key_date(
        session, dossier=dossier, name="signing", value=dt.date(2020, 1, 1), actor=firm.staff
    )
    assert (
        step_services.wait_until_due(session, dossier_id=dossier.id, step_key="until-signing")
        is None
    )
    assert (
        step_services.get_step(session, dossier_id=dossier.id, step_key="until-signing").state
        == "done"
    )


def test_automatic_steps_run_their_action_and_record_the_result(session, firm, transfer_template):
    dossier = open_transfer(session, firm, transfer_template)
    step_services.run_automatic_step(session, dossier_id=dossier.id, step_key="dates-check")
    event = session.scalar(
        select(AuditEvent)
        .where(AuditEvent.dossier_id == dossier.id, AuditEvent.action == "step.done")
        .order_by(AuditEvent.id.desc())
    )
    assert event.detail["result"] == {"needed": ["signing"], "missing": ["signing"]}


def test_the_audit_chain_shows_tampering(session, firm, transfer_template):
    dossier = open_transfer(session, firm, transfer_template)
    step_services.finish_step(session, dossier_id=dossier.id, step_key="intake", actor=firm.staff)
    assert verify_chain(session, dossier.id)

    session.execute(
        update(AuditEvent)
        .where(AuditEvent.dossier_id == dossier.id, AuditEvent.action == "step.done")
        .values(actor_id=firm.client.id)
    )
    session.expire_all()
    assert not verify_chain(session, dossier.id)


def test_the_outbox_queues_an_effect_once_and_backs_off(session):
    first = enqueue(session, kind="resume_flow_run", dedupe_key="resume:1:x", payload={"a": 1})
    second = enqueue(session, kind="resume_flow_run", dedupe_key="resume:1:x", payload={"a": 2})
    assert first.id == second.id and second.payload == {"a": 1}
    assert first in due_messages(session)
    mark_failed(first, "ConnectError")
    assert first.attempts == 1 and first not in due_messages(session)


def test_clients_see_only_their_organisations_dossiers(
    session, firm, other_firm, transfer_template
):
    mine = open_transfer(session, firm, transfer_template, "Mijn huis")
    theirs = open_dossier(
        session,
        template=transfer_template,
        organisation_id=other_firm.organisation.id,
        description="Hun huis",
        actor=other_firm.staff,
    )
    visible = session.scalars(dossiers_for(firm.client)).all()
    assert visible == [mine]
    assert get_dossier_for(session, mine.id, firm.client) is mine
    with pytest.raises(NotFound):
        get_dossier_for(session, theirs.id, firm.client)
    # Staff see their own office's dossiers only.
    with pytest.raises(NotFound):
        get_dossier_for(session, theirs.id, firm.staff)
    counts = dossier_counts(session, firm.client, firm.organisation.id)
    assert (counts.in_progress, counts.total) == (1, 1)


def test_search_matches_number_or_description_and_escapes_wildcards(
    session, firm, transfer_template
):
    keizer = open_transfer(session, firm, transfer_template, "Keizersgracht 12")
    open_transfer(session, firm, transfer_template, "Prinsengracht 3")
    found = session.scalars(dossiers_for(firm.client, search="keizer")).all()
    assert found == [keizer]
    assert session.scalars(dossiers_for(firm.client, search=keizer.number)).all() == [keizer]
    assert session.scalars(dossiers_for(firm.client, search="%")).all() == []
