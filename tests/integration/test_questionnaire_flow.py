"""The `questionnaire` step kind on a real Prefect server and worker: the run opens the client's
questionnaire and suspends, resumes when the client has completed it (the answers passed their
definition), skips a later step whose `when:` the answers do not satisfy, and waits again for
a questionnaire the office sent back after the run had moved on."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select

from casemodel.casetemplates import parse_template
from casemodel.db import session_scope
from casemodel.filestore import FileStore
from casemodel.models import Questionnaire, Step, User
from casemodel.services import questionnaires as service
from casemodel.services.dossiers import open_dossier
from casemodel.services.questionnaires.answers import language
from flows.relay import deliver_due
from tests.fixtures.domain import make_firm
from tests.fixtures.prefect import wait_for
from tests.integration.test_dossier_flow import (
    complete,
    flow_run,
    progress,
    read,
    step_state,
    suspended_on,
    task_run_states,
)
from tests.questionnaire_forms import complete_intake

pytestmark = [pytest.mark.prefect, pytest.mark.postgres]


def step(key, kind, nl, en, **extra):
    return {"key": key, "title": {"nl": nl, "en": en}, "kind": kind, **extra}


TEMPLATE = parse_template(
    {
        "key": "questionnaire-flow-test",
        "version": 1,
        "office_kind": "notary",
        "title": {"nl": "Vragenlijsttest", "en": "Questionnaire test"},
        "steps": [
            step("intake", "questionnaire", "Vragenlijst", "Questionnaire",
                 settings={"definition": "intake-koper", "due_in_days": 7}),
            step("review", "staff_task", "Beoordelen", "Review"),
            step("mortgage-deed", "staff_task", "Hypotheekakte", "Mortgage deed",
                 when={"step": "intake", "condition": {"question": "mortgage", "equals": True}}),
            step("settle", "staff_task", "Afrekenen", "Settling"),
        ],
    },
    "questionnaire-flow-test.yaml",
)  # fmt: skip

_numbers = itertools.count(1)


@pytest.fixture
def people(flow_stack):
    """A notary office's client organisation with its client and staff, committed."""
    with session_scope(flow_stack.session_factory) as session:
        firm = make_firm(session, f"qflow{next(_numbers)}")
        return firm.organisation.id, firm.staff.id, firm.client.id


def open_test_dossier(flow_stack, organisation_id: int, staff_id: int) -> int:
    with session_scope(flow_stack.session_factory) as session:
        dossier = open_dossier(
            session, template=TEMPLATE, organisation_id=organisation_id,
            description="Herengracht 1", actor=session.get(User, staff_id),
        )  # fmt: skip
        dossier_id = dossier.id
    deliver_due(flow_stack.session_factory)
    return dossier_id


def questionnaire_of(session, dossier_id: int) -> Questionnaire:
    return session.scalar(select(Questionnaire).where(Questionnaire.dossier_id == dossier_id))


def client_completes(flow_stack, dossier_id: int, client_id: int, *, mortgage: bool) -> None:
    with session_scope(flow_stack.session_factory) as session:
        questionnaire, client = questionnaire_of(session, dossier_id), session.get(User, client_id)
        store = FileStore(flow_stack.files_path)
        complete_intake(session, questionnaire, client, store, mortgage=mortgage)
    deliver_due(flow_stack.session_factory)  # the resume, as the portal does after its commit


def staff_completes(flow_stack, dossier_id: int, key: str, staff_id: int) -> None:
    complete(flow_stack, dossier_id, key, staff_id)
    deliver_due(flow_stack.session_factory)


def pause_key(flow_stack, dossier_id: int) -> str | None:
    state = flow_run(flow_stack, dossier_id).state
    return state.state_details.pause_key if state and state.name == "Suspended" else None


def test_the_run_resumes_with_the_answers_and_branches_on_one(flow_stack, people):
    organisation_id, staff_id, client_id = people
    without = open_test_dossier(flow_stack, organisation_id, staff_id)
    with_mortgage = open_test_dossier(flow_stack, organisation_id, staff_id)
    for dossier_id in (without, with_mortgage):
        wait_for(lambda d=dossier_id: suspended_on(flow_stack, d, "intake"), what="on intake")
    sent = read(flow_stack, lambda s: questionnaire_of(s, without))
    assert (sent.state, sent.definition_key, sent.definition_version) == ("open", "intake-koper", 2)

    client_completes(flow_stack, without, client_id, mortgage=False)
    client_completes(flow_stack, with_mortgage, client_id, mortgage=True)
    for dossier_id in (without, with_mortgage):
        wait_for(lambda d=dossier_id: suspended_on(flow_stack, d, "review"), what="on review")
        states = task_run_states(flow_stack, dossier_id)
        assert states["questionnaire:intake"].count("Completed") == 1, states
        staff_completes(flow_stack, dossier_id, "review", staff_id)

    # No mortgage: the mortgage deed is skipped and left out of the count.
    wait_for(lambda: suspended_on(flow_stack, without, "settle"), what="on settle")
    assert step_state(flow_stack, without, "mortgage-deed") == "skipped"
    assert (progress(flow_stack, without).done, progress(flow_stack, without).total) == (2, 3)
    assert task_run_states(flow_stack, without)["when:mortgage-deed"] == ["Completed"]
    # A mortgage: the run waits for the mortgage deed.
    wait_for(lambda: suspended_on(flow_stack, with_mortgage, "mortgage-deed"), what="on deed")
    assert (progress(flow_stack, with_mortgage).done,
            progress(flow_stack, with_mortgage).total) == (2, 4)  # fmt: skip


def test_a_questionnaire_sent_back_after_the_run_moved_on_is_waited_for_again(flow_stack, people):
    organisation_id, staff_id, client_id = people
    dossier_id = open_test_dossier(flow_stack, organisation_id, staff_id)
    wait_for(lambda: suspended_on(flow_stack, dossier_id, "intake"), what="on intake")
    client_completes(flow_stack, dossier_id, client_id, mortgage=False)
    wait_for(lambda: suspended_on(flow_stack, dossier_id, "review"), what="on review")

    # The office reviews, sends the questionnaire back, and finishes its review step before
    # the client has answered again: the run comes back to wait for the questionnaire.
    with session_scope(flow_stack.session_factory) as session:
        service.send_back(session, questionnaire=questionnaire_of(session, dossier_id),
                          actor=session.get(User, staff_id), remark="Klopt het BSN?")  # fmt: skip
    assert step_state(flow_stack, dossier_id, "intake") == "waiting"
    staff_completes(flow_stack, dossier_id, "review", staff_id)
    wait_for(lambda: pause_key(flow_stack, dossier_id) == "intake#1", what="waiting on intake")

    with session_scope(flow_stack.session_factory) as session:
        questionnaire = questionnaire_of(session, dossier_id)
        service.complete_questionnaire(
            session, questionnaire=questionnaire, actor=session.get(User, client_id),
            lang=language("en"), store=FileStore(flow_stack.files_path),
            revision=questionnaire.revision,
        )  # fmt: skip
    deliver_due(flow_stack.session_factory)

    wait_for(lambda: suspended_on(flow_stack, dossier_id, "settle"), what="on settle")
    assert step_state(flow_stack, dossier_id, "mortgage-deed") == "skipped"
    assert read(flow_stack, lambda s: s.scalar(select(Step.state).where(
        Step.dossier_id == dossier_id, Step.key == "intake"))) == "done"  # fmt: skip
    states = task_run_states(flow_stack, dossier_id)
    assert states["questionnaire:intake"].count("Completed") == 1  # opened once, reopened
    assert states["when:mortgage-deed"] == ["Completed"]  # decided on the answers of now