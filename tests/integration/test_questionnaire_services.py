"""The questionnaire services on both backends: sent by a step once and in the version of that
moment, saved and resumed across sessions, two saves of one page at once (one is told, none is
lost), completing while a page is saved, the rework loop with the task and the step, a step's
`when:` on the answers, and answers or files that may never reach the flow."""

from __future__ import annotations

import datetime as dt
import io
import uuid

import pytest
from sqlalchemy import select

from casemodel.filestore import FileStore
from casemodel.models import (
    Document,
    Dossier,
    HumanTask,
    OutboxMessage,
    Questionnaire,
    QuestionnaireFile,
    QuestionnairePage,
    Step,
    User,
)
from casemodel.queries.actions import client_actions
from casemodel.queries.dossiers import get_dossier_for, progress_in, progress_of
from casemodel.services import questionnaires as service
from casemodel.services.dossiers import open_dossier
from casemodel.services.errors import InvalidState, NotAllowed, NotFound
from casemodel.services.notifications import send_digest
from casemodel.services.questionnaires.answers import language
from casemodel.services.step_conditions import step_applies
from casemodel.services.stored_files import sweep_unreferenced_files
from casemodel.stepkinds.questionnaire import answers_for_step, open_for_step
from forms import AnswersInvalid
from tests.concurrency import two_at_once
from tests.fixtures.domain import make_firm
from tests.questionnaire_forms import PDF, buyer_pages, complete_intake, fill_intake

NL = language("nl")
STEP = "buyer-questionnaire"


@pytest.fixture
def store(tmp_path) -> FileStore:
    return FileStore(tmp_path / "files")


def open_transfer(session, firm, template) -> Dossier:
    description = f"Dorpsstraat {uuid.uuid4().hex[:4]}"
    return open_dossier(session, template=template, organisation_id=firm.organisation.id,
                        description=description, actor=firm.staff)  # fmt: skip


def version_of(session, questionnaire, page_key) -> int:
    return service.page_state(
        session, questionnaire=questionnaire, page_key=page_key, lang=NL
    ).version


def test_a_step_sends_its_questionnaire_once_and_it_keeps_its_version(
    session, firm, transfer_template
):
    dossier = open_transfer(session, firm, transfer_template)
    questionnaire = open_for_step(session, dossier_id=dossier.id, step_key=STEP)

    assert open_for_step(session, dossier_id=dossier.id, step_key=STEP).id == questionnaire.id
    assert (questionnaire.definition_key, questionnaire.definition_version) == ("intake-koper", 2)
    assert questionnaire.organisation_id == firm.organisation.id and questionnaire.due_date
    task = session.get(HumanTask, questionnaire.task_id)
    assert (task.kind, task.audience, task.state) == ("questionnaire", "client", "open")
    assert session.get(Step, questionnaire.step_id).state == "waiting"
    assert len(client_actions(session, firm.client, firm.organisation.id)) == 1
    # A dossier keeps the version it was sent: an older one is read as that version.
    questionnaire.definition_version = 1
    assert service.definition_of(questionnaire).question("id_copy").key == "id_copy"


def test_filling_is_saved_and_resumed_from_another_session(own_session_factory, transfer_template):
    with own_session_factory() as session:
        firm = make_firm(session, uuid.uuid4().hex[:8])
        dossier = open_transfer(session, firm, transfer_template)
        questionnaire = open_for_step(session, dossier_id=dossier.id, step_key=STEP)
        fill_intake(session, questionnaire, firm.client, until="marital")
        session.commit()
        questionnaire_id = questionnaire.id

    with own_session_factory() as later:  # another day, another device
        questionnaire = later.get(Questionnaire, questionnaire_id)
        assert service.resume_at(later, questionnaire) == "marital"
        answers = service.answers_of(later, questionnaire)
        assert answers["buyer_first_names"] == "Zoë Anna"
        assert answers["buyer_address"] == {
            "postcode": "1016 GV", "house_number": 263, "addition": "A"
        }  # fmt: skip
        assert answers["id_number"] == "NW92BD8F1" and "marital_status" not in answers


def test_the_same_page_saved_twice_at_once_keeps_the_first_and_tells_the_second(
    own_session_factory, transfer_template
):
    with own_session_factory() as session:
        firm = make_firm(session, uuid.uuid4().hex[:8])
        dossier = open_transfer(session, firm, transfer_template)
        questionnaire = open_for_step(session, dossier_id=dossier.id, step_key=STEP)
        session.commit()
        ids = questionnaire.id, firm.client.id
    opened = 0  # both opened the empty page

    def save(price):
        def request(session):
            questionnaire, client = session.get(Questionnaire, ids[0]), session.get(User, ids[1])
            form = {**buyer_pages()["buyer"], "buyer_city": price}
            outcome = service.save_page(
                session, questionnaire=questionnaire, page_key="buyer", form=form, lang=NL,
                version=opened, actor=client,
            )  # fmt: skip
            return "conflict" if outcome.conflict else outcome.go_to

        return request

    first, second = two_at_once(own_session_factory, save("Amsterdam"), save("Haarlem"))

    assert (first, second) == ("identity", "conflict")
    with own_session_factory() as session:
        row = session.scalar(
            select(QuestionnairePage).where(
                QuestionnairePage.questionnaire_id == ids[0], QuestionnairePage.page_key == "buyer"
            )
        )
        assert (row.answers["buyer_city"], row.version) == ("Amsterdam", 1)


@pytest.fixture
def filled_in(own_session_factory, transfer_template, store):
    """A questionnaire with every page saved and committed, whose client has the summary open;
    and the two requests that may meet: "Voltooien" from that summary, and a colleague saving
    the last page (opened before) at the same moment."""
    with own_session_factory() as session:
        firm = make_firm(session, uuid.uuid4().hex[:8])
        dossier = open_transfer(session, firm, transfer_template)
        questionnaire = open_for_step(session, dossier_id=dossier.id, step_key=STEP)
        fill_intake(session, questionnaire, firm.client)
        session.commit()
        ids, revision = (questionnaire.id, firm.client.id), questionnaire.revision
        other_version = version_of(session, questionnaire, "other")

    def complete(session):
        try:
            service.complete_questionnaire(
                session, questionnaire=session.get(Questionnaire, ids[0]),
                actor=session.get(User, ids[1]), lang=NL, store=store, revision=revision,
            )  # fmt: skip
            return "completed"
        except service.AnswersChanged:
            return "changed"

    def save(session):
        form = {**buyer_pages()["other"], "remarks": "Liever na vijven bellen."}
        try:
            service.save_page(
                session, questionnaire=session.get(Questionnaire, ids[0]), page_key="other",
                form=form, lang=NL, version=other_version, actor=session.get(User, ids[1]),
            )  # fmt: skip
            return "saved"
        except InvalidState:
            return "refused"

    def state_and_remarks():
        with own_session_factory() as session:
            questionnaire = session.get(Questionnaire, ids[0])
            remarks = service.answers_of(session, questionnaire).get("remarks")
            return questionnaire.state, remarks

    return complete, save, state_and_remarks


def test_completing_while_a_page_is_saved_completes_exactly_what_was_checked(
    own_session_factory, filled_in
):
    complete, save, state_and_remarks = filled_in
    assert two_at_once(own_session_factory, complete, save) == ("completed", "refused")
    assert state_and_remarks() == ("completed", None)


def test_a_save_before_completing_makes_completion_look_again(own_session_factory, filled_in):
    complete, save, state_and_remarks = filled_in
    assert two_at_once(own_session_factory, save, complete) == ("saved", "changed")
    assert state_and_remarks() == ("open", "Liever na vijven bellen.")


def test_the_rework_loop_reopens_task_and_step_and_adds_a_pdf_version(
    session, firm, transfer_template, store
):
    dossier = open_transfer(session, firm, transfer_template)
    questionnaire = open_for_step(session, dossier_id=dossier.id, step_key=STEP)
    complete_intake(session, questionnaire, firm.client, store)
    task, step = session.get(HumanTask, questionnaire.task_id), questionnaire.step
    assert (task.state, step.state) == ("done", "done")
    assert progress_of(session, [dossier.id])[dossier.id].done == 1
    with pytest.raises(InvalidState):
        service.send_back(session, questionnaire=questionnaire, actor=firm.staff, remark=" ")

    service.send_back(session, questionnaire=questionnaire, actor=firm.staff,
                      remark="Uw BSN klopt niet.")  # fmt: skip

    assert (questionnaire.state, questionnaire.rework_remark) == ("open", "Uw BSN klopt niet.")
    assert (task.state, step.state, step.finished_at) == ("open", "waiting", None)
    assert progress_of(session, [dossier.id])[dossier.id].done == 0
    assert len(client_actions(session, firm.client, firm.organisation.id)) == 1
    assert service.resume_at(session, questionnaire) == service.SUMMARY
    assert service.answers_of(session, questionnaire)["buyer_bsn"] == "111222333"
    with pytest.raises(InvalidState):  # not twice
        service.send_back(session, questionnaire=questionnaire, actor=firm.staff, remark="x")

    session.refresh(questionnaire)
    service.complete_questionnaire(
        session, questionnaire=questionnaire, actor=firm.client, lang=NL, store=store,
        revision=questionnaire.revision,
    )  # fmt: skip
    document = session.get(Document, questionnaire.document_id)
    assert [v.version for v in document.versions] == [1, 2]
    assert (task.state, step.state) == ("done", "done")
    resumes = session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "resume_flow_run")
    ).all()
    # One resume for each completion: a run that came back to the step waits for the second.
    assert sorted(m.dedupe_key for m in resumes) == [
        f"resume:{dossier.id}:{STEP}", f"resume:{dossier.id}:{STEP}:again-1"
    ]  # fmt: skip
    # The mortgage offer answered became one document under "Door mij aangeleverd", once.
    supplied = session.scalars(
        select(Document.title).where(
            Document.dossier_id == dossier.id, Document.folder == "supplied"
        )  # fmt: skip
    ).all()
    assert sorted(supplied) == [
        "Het getekende hypotheekaanbod – Hypotheekaanbod.pdf", "Intake koper woning"
    ]  # fmt: skip


def test_a_when_on_the_answers_skips_a_step_and_leaves_the_count(
    session, firm, transfer_template, store
):
    without = open_transfer(session, firm, transfer_template)
    complete_intake(session, open_for_step(session, dossier_id=without.id, step_key=STEP),
                    firm.client, store, mortgage=False)  # fmt: skip
    with_mortgage = open_transfer(session, firm, transfer_template)
    complete_intake(session, open_for_step(session, dossier_id=with_mortgage.id, step_key=STEP),
                    firm.client, store)  # fmt: skip

    assert step_applies(session, dossier_id=without.id, step_key="mortgage-deed") is False
    assert step_applies(session, dossier_id=with_mortgage.id, step_key="mortgage-deed") is True
    assert step_applies(session, dossier_id=without.id, step_key="settlement") is True  # no when

    skipped = session.scalar(select(Step).where(Step.dossier_id == without.id,
                                                Step.key == "mortgage-deed"))  # fmt: skip
    assert skipped.state == "skipped" and skipped.finished_at is not None
    progress = progress_of(session, [without.id, with_mortgage.id])
    assert (progress[without.id].done, progress[without.id].total) == (1, 10)
    assert (progress[with_mortgage.id].done, progress[with_mortgage.id].total) == (1, 11)
    # The dossier page counts from the steps it loaded: the same rule, the same figures.
    session.expire_all()
    for dossier in (without, with_mortgage):
        assert progress_in(get_dossier_for(session, dossier.id, firm.client,
                                           with_steps=True)) == progress[dossier.id]  # fmt: skip
    # Decided once: a second look gives the same answer and records nothing new.
    assert step_applies(session, dossier_id=without.id, step_key="mortgage-deed") is False


def test_answers_the_definition_refuses_never_reach_the_flow(session, firm, transfer_template,
                                                             store):  # fmt: skip
    dossier = open_transfer(session, firm, transfer_template)
    questionnaire = open_for_step(session, dossier_id=dossier.id, step_key=STEP)
    complete_intake(session, questionnaire, firm.client, store)
    row = session.scalar(select(QuestionnairePage).where(
        QuestionnairePage.questionnaire_id == questionnaire.id,
        QuestionnairePage.page_key == "buyer"))  # fmt: skip
    row.answers = {**row.answers, "buyer_bsn": "123456789"}  # changed behind the service's back
    session.flush()

    with pytest.raises(AnswersInvalid) as caught:
        answers_for_step(session, dossier_id=dossier.id, step_key=STEP)
    assert caught.value.problems[0].field == "buyer_bsn"
    with pytest.raises(AnswersInvalid):
        step_applies(session, dossier_id=dossier.id, step_key="mortgage-deed")
    assert session.scalar(select(Step.state).where(
        Step.dossier_id == dossier.id, Step.key == "mortgage-deed")) == "pending"  # fmt: skip


def test_a_file_answer_is_only_a_file_uploaded_for_this_questionnaire(
    session, firm, other_firm, transfer_template, store
):
    mine = open_for_step(session, dossier_id=open_transfer(session, firm, transfer_template).id,
                         step_key=STEP)  # fmt: skip
    fill_intake(session, mine, firm.client, store=store, until="other")
    foreign = session.scalar(
        select(QuestionnaireFile).where(QuestionnaireFile.questionnaire_id == mine.id)
    )
    theirs = open_for_step(
        session, dossier_id=open_transfer(session, other_firm, transfer_template).id,
        step_key=STEP,
    )  # fmt: skip
    fill_intake(session, theirs, other_firm.client, until="financing")
    form = {**buyer_pages()["financing"], "mortgage_offer.keep": foreign.sha256}

    outcome = service.save_page(
        session, questionnaire=theirs, page_key="financing", form=form, lang=NL,
        version=version_of(session, theirs, "financing"), actor=other_firm.client,
    )  # fmt: skip

    assert outcome.go_to is None
    assert outcome.result.errors == {
        "mortgage_offer": "Dit bestand is niet meer beschikbaar. Kies het opnieuw."
    }


def test_files_uploaded_but_not_answered_are_let_go_at_completion(
    session, firm, transfer_template, store
):
    questionnaire = open_for_step(
        session, dossier_id=open_transfer(session, firm, transfer_template).id, step_key=STEP
    )
    fill_intake(session, questionnaire, firm.client, until="financing")
    # A scan uploaded with a page refused for another field, then replaced by another file.
    refused = service.save_page(
        session, questionnaire=questionnaire, page_key="financing", lang=NL,
        form={**buyer_pages()["financing"], "refund_iban": "NL00"},
        version=version_of(session, questionnaire, "financing"), actor=firm.client,
        uploads=service.PostedFiles(store, {"mortgage_offer": (io.BytesIO(PDF + b"%1"), "1.pdf")}),
    )  # fmt: skip
    offer = next(item for item in refused.view.items if item.key == "mortgage_offer")
    assert refused.go_to is None and offer.value["filename"] == "1.pdf"
    service.save_page(
        session, questionnaire=questionnaire, page_key="financing", lang=NL,
        form=buyer_pages()["financing"], actor=firm.client,
        version=version_of(session, questionnaire, "financing"),
        uploads=service.PostedFiles(store, {"mortgage_offer": (io.BytesIO(PDF), "2.pdf")}),
    )  # fmt: skip
    service.save_page(
        session, questionnaire=questionnaire, page_key="other", lang=NL,
        form=buyer_pages()["other"], actor=firm.client,
        version=version_of(session, questionnaire, "other"),
    )  # fmt: skip
    session.refresh(questionnaire)
    service.complete_questionnaire(
        session, questionnaire=questionnaire, actor=firm.client, lang=NL, store=store,
        revision=questionnaire.revision,
    )  # fmt: skip

    kept = session.scalars(
        select(QuestionnaireFile.filename).where(
            QuestionnaireFile.questionnaire_id == questionnaire.id
        )
    ).all()
    assert kept == ["2.pdf"]
    removed = sweep_unreferenced_files(session, store, grace=dt.timedelta(seconds=-1))
    assert removed == 1  # the first scan's bytes; the answered file and the PDF stay
    for version in session.get(Document, questionnaire.document_id).versions:
        assert store.path(version.sha256).exists()


def test_the_office_is_told_in_its_digest_and_clients_may_not_touch_office_verbs(
    session, firm, transfer_template, store
):
    dossier = open_transfer(session, firm, transfer_template)
    questionnaire = open_for_step(session, dossier_id=dossier.id, step_key=STEP)
    with pytest.raises(NotFound):
        service.send_questionnaire(session, dossier=dossier, definition_key="aangifte-ib",
                                   actor=firm.staff)  # fmt: skip
    complete_intake(session, questionnaire, firm.client, store)
    with pytest.raises(NotAllowed):
        service.send_back(session, questionnaire=questionnaire, actor=firm.client, remark="x")

    assert send_digest(session, firm.staff.id)
    mail = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "send_mail")).all()
    assert any("1 vragenlijst ingevuld in dossier " + dossier.number in m.payload["text"]
               for m in mail)  # fmt: skip


def test_the_services_refuse_another_organisation_and_another_office_as_not_found(
    session, firm, other_firm, transfer_template, store
):
    dossier = open_transfer(session, firm, transfer_template)
    questionnaire = open_for_step(session, dossier_id=dossier.id, step_key=STEP)
    stranger, other_staff = other_firm.client, other_firm.staff
    before = questionnaire.revision

    with pytest.raises(NotFound):
        service.save_page(session, questionnaire=questionnaire, page_key="buyer", lang=NL,
                          form=buyer_pages()["buyer"], version=0, actor=stranger)  # fmt: skip
    with pytest.raises(NotFound):
        service.complete_questionnaire(session, questionnaire=questionnaire, actor=stranger,
                                       lang=NL, store=store, revision=before)  # fmt: skip
    with pytest.raises(NotFound):
        service.send_questionnaire(session, dossier=dossier, definition_key="testament",
                                   actor=other_staff)  # fmt: skip
    complete_intake(session, questionnaire, firm.client, store)
    with pytest.raises(NotFound):
        service.send_back(session, questionnaire=questionnaire, actor=other_staff, remark="x")
    assert questionnaire.state == "completed"
    ad_hoc = service.send_questionnaire(session, dossier=dossier, definition_key="testament",
                                        actor=firm.staff)  # fmt: skip
    with pytest.raises(NotFound):
        service.withdraw_questionnaire(session, questionnaire=ad_hoc, actor=other_staff)
    with pytest.raises(NotAllowed):  # a step's questionnaire belongs to the flow
        service.withdraw_questionnaire(session, questionnaire=questionnaire, actor=firm.staff)
    assert service.withdraw_questionnaire(session, questionnaire=ad_hoc,
                                          actor=firm.staff).state == "cancelled"  # fmt: skip
