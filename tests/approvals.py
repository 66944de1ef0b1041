"""Arranging approvals for tests through the services, as the flow and the office do: an
accountancy dossier opened from the annual cycle, its approval step reached, the accounts placed
by staff, and an approver with an authenticator."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

import pyotp
from sqlalchemy import select
from sqlalchemy.orm import Session

from casemodel import config
from casemodel.casetemplates import TemplateRegistry
from casemodel.filestore import FileStore
from casemodel.models import (
    ApprovalChallenge,
    ApprovalRequest,
    Dossier,
    HumanTask,
    Membership,
    OutboxMessage,
    User,
)
from casemodel.services.approvals import (
    ApproveResult,
    ClientInfo,
    approve,
    record_view,
    start_challenge,
)
from casemodel.services.approvals.step_kind import open_for_step, place_document
from casemodel.services.dossiers import open_dossier
from casemodel.services.steps import get_step
from tests.files import pdf_bytes
from tests.fixtures.domain import Firm, make_firm

BROWSER = ClientInfo(ip="203.0.113.7", user_agent="Mozilla/5.0 (X11; Linux) Test/1.0")
APPROVAL_STEP = "accounts-approval"


@dataclass
class Case:
    firm: Firm
    dossier: Dossier
    request: ApprovalRequest


def approver(session: Session, firm: Firm, *, totp: bool = True) -> User:
    """The firm's client, with the approve right and an authenticator (else SMS)."""
    membership = session.scalar(
        select(Membership).where(Membership.user_id == firm.client.id,
                                 Membership.organisation_id == firm.organisation.id)
    )  # fmt: skip
    membership.can_approve = True
    firm.client.mobile_number = "+31612345678"
    if totp:
        firm.client.second_factor, firm.client.totp_secret = "totp", pyotp.random_base32()
    else:
        firm.client.second_factor = "sms"
    session.flush()
    return firm.client


def accountancy_case(session: Session, store: FileStore, name: str, *, text: str = "Jaarrekening",
                     totp: bool = True) -> Case:  # fmt: skip
    """A dossier whose accounts wait for the client's approval (version 1, put up by staff)."""
    firm = make_firm(session, name, kind="accountancy")
    approver(session, firm, totp=totp)
    template = TemplateRegistry.from_folder().latest("jaarrekening-ib")
    dossier = open_dossier(session, template=template, organisation_id=firm.organisation.id,
                           description="Jaarrekening 2025", actor=firm.staff)  # fmt: skip
    assert open_for_step(session, dossier_id=dossier.id, step_key=APPROVAL_STEP) is None
    request = place(session, store, dossier, firm.staff, text)
    return Case(firm, dossier, request)


def place(session: Session, store: FileStore, dossier: Dossier, staff: User,
          text: str) -> ApprovalRequest:  # fmt: skip
    """Staff place the document the approval step waits for."""
    step = get_step(session, dossier_id=dossier.id, step_key=APPROVAL_STEP)
    task = session.scalar(select(HumanTask).where(HumanTask.step_id == step.id))
    stored = store.put(io.BytesIO(pdf_bytes(text)), max_bytes=10**6)
    return place_document(session, task_id=task.id, actor=staff, stored=stored,
                          filename="jaarrekening.pdf")  # fmt: skip


def opened(session: Session, request: ApprovalRequest, user: User) -> ApprovalRequest:
    record_view(session, request=request, user=user, client=BROWSER)
    return request


def totp_now(user: User) -> str:
    return pyotp.TOTP(user.totp_secret).now()


def latest_sms(session: Session) -> tuple[str, str]:
    """The newest SMS queued: its text and its code."""
    payload = session.scalar(
        select(OutboxMessage.payload).where(OutboxMessage.kind == "send_sms")
        .order_by(OutboxMessage.id.desc()).limit(1)
    )  # fmt: skip
    return payload["text"], re.search(r"\b(\d{6})\b", payload["text"]).group(1)


def own_file_store(tmp_path, monkeypatch) -> FileStore:
    """A file store of the test's own, which the relay (config.files_path) reads as well."""
    monkeypatch.setenv("DOSSIERFLOW_FILES", str(tmp_path / "files"))
    return FileStore(config.files_path())


def agreed(session: Session, request: ApprovalRequest, user: User) -> ApprovalChallenge:
    """The user opened the request's version and agreed to the confirmation."""
    opened(session, request, user)
    return start_challenge(session, request=request, user=user, client=BROWSER, locale="nl")


def approved_with_authenticator(
    session: Session, request: ApprovalRequest, user: User, store: FileStore
) -> ApproveResult:
    """Opened, agreed and confirmed with the user's authenticator code."""
    challenge = agreed(session, request, user)
    return approve(session, challenge=challenge, user=user, method="totp", code=totp_now(user),
                   client=BROWSER, store=store, locale="nl")  # fmt: skip
