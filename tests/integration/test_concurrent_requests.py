"""Two requests doing the same at the same moment (both backends, real commits): what may
happen once happens once, and neither request fails."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from casemodel.filestore import StoredFile
from casemodel.models import Document, DocumentRead, OutboxMessage, User
from casemodel.services.documents import publish_document, record_download
from casemodel.services.dossiers import open_dossier
from casemodel.services.outbox import enqueue
from tests.concurrency import two_at_once
from tests.fixtures.domain import make_firm


@pytest.fixture
def factory(own_session_factory):
    return own_session_factory


def test_the_same_effect_queued_twice_at_once_is_one_row_and_no_error(factory):
    key = f"digest:race:{uuid.uuid4().hex}"

    def queue(session):
        return enqueue(session, kind="send_digest", dedupe_key=key, payload={"user_id": 1}).id

    first, second = two_at_once(factory, queue)
    assert first == second
    with factory() as session:
        count = session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.dedupe_key == key)
        )
    assert count == 1


def test_the_first_download_twice_at_once_marks_the_document_read_once(factory, transfer_template):
    """Two tabs, or a download manager's parallel ranges."""
    with factory() as session:
        firm = make_firm(session, uuid.uuid4().hex[:8])
        dossier = open_dossier(session, template=transfer_template, description="Dorpsstraat 1",
                               organisation_id=firm.organisation.id, actor=firm.staff)  # fmt: skip
        stored = StoredFile(sha256="b" * 64, size=10, content_type="application/pdf")
        document = publish_document(session, dossier=dossier, folder="documents", title="Akte",
                                    stored=stored, filename="a.pdf", actor=firm.staff)  # fmt: skip
        session.commit()
        document_id, client_id = document.id, firm.client.id

    def download(session):
        document = session.get(Document, document_id)
        record_download(session, document=document, version=document.versions[-1],
                        user=session.get(User, client_id), ip=None)  # fmt: skip
        return "downloaded"

    assert two_at_once(factory, download) == ("downloaded", "downloaded")
    with factory() as session:
        marks = session.scalars(
            select(DocumentRead).where(DocumentRead.document_id == document_id)
        ).all()
    assert len(marks) == 1


def test_a_staff_step_done_twice_at_once_is_done_once(factory, transfer_template):
    """A double click on "Afronden", or two colleagues at once: one step.done, one resume."""
    from casemodel.models import AuditEvent, HumanTask
    from casemodel.services.errors import InvalidState
    from casemodel.services.steps import open_human_task
    from casemodel.stepkinds.staff_task import complete_staff_task

    with factory() as session:
        firm = make_firm(session, uuid.uuid4().hex[:8])
        dossier = open_dossier(session, template=transfer_template, description="Dorpsstraat 2",
                               organisation_id=firm.organisation.id, actor=firm.staff)  # fmt: skip
        task = open_human_task(session, dossier_id=dossier.id, step_key="intake")
        session.commit()
        task_id, staff_id, dossier_id = task.id, firm.staff.id, dossier.id

    def complete(session):
        try:
            complete_staff_task(session, task_id=task_id, actor=session.get(User, staff_id))
            return "done"
        except InvalidState:
            return "already done"

    assert sorted(two_at_once(factory, complete)) == ["already done", "done"]
    with factory() as session:
        assert session.get(HumanTask, task_id).state == "done"
        done = session.scalars(
            select(AuditEvent).where(
                AuditEvent.dossier_id == dossier_id, AuditEvent.action == "step.done"
            )  # fmt: skip
        ).all()
        assert len(done) == 1
