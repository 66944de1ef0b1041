"""The outbox relay: carries out queued effects (on Prefect, by mail) after the commit that caused
them.

Called right after a request commits (webapp/outbox.py) and in a loop by `flask outbox relay`,
so that a Prefect server that was down only delays a dossier. Every handler is idempotent: a
message delivered twice (two relays, a crash before marking it done) does no harm.
"""

from __future__ import annotations

import logging
import os
import ssl
from collections.abc import Callable
from functools import cache
from typing import Any

import certifi
import httpx
from prefect.client.orchestration import get_client
from prefect.client.schemas.responses import SetStateStatus
from prefect.deployments import run_deployment
from prefect.settings import PREFECT_API_SSL_CERT_FILE, PREFECT_API_TLS_INSECURE_SKIP_VERIFY
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from casemodel import mail
from casemodel.db import session_scope
from casemodel.models import Dossier, OutboxMessage, Step
from casemodel.services.approvals.delivery import SEND_KIND, deliver
from casemodel.services.dossiers import record_flow_run
from casemodel.services.notifications import send_digest
from casemodel.services.outbox import due_messages, mark_done, mark_failed
from casemodel.sms import send_queued_sms
from flows.nudge import nudge

log = logging.getLogger(__name__)

DEPLOYMENT = os.environ.get("DOSSIERFLOW_DEPLOYMENT", "dossier/dossier")


class NotYet(Exception):
    """The message cannot be delivered yet (e.g. the run has not reached its suspension)."""


def deliver_due(
    factory: sessionmaker[Session], *, limit: int = 50, only: list[int] | None = None
) -> int:
    """Deliver the messages that are due (or, with `only`, those of them with these ids), each
    in its own transaction. Returns how many were delivered; failures stay queued with a
    back-off."""
    with session_scope(factory) as session:
        ids = [(m.id, m.kind) for m in due_messages(session, limit=limit, ids=only)]
    delivered = 0
    unreachable: set[str] = set()  # kinds whose server did not answer in this round
    for message_id, kind in ids:
        if kind in unreachable:
            continue
        with session_scope(factory) as session:
            query = select(OutboxMessage).where(
                OutboxMessage.id == message_id, OutboxMessage.done_at.is_(None)
            )
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            message = session.scalar(query)
            if message is None:  # another relay took it
                continue
            try:
                HANDLERS[message.kind](session, message.payload)
            except Exception as exc:
                log.info("outbox %s %s not delivered: %r", message.kind, message.id, exc)
                mark_failed(message, repr(exc))
                if isinstance(exc, httpx.TransportError) and message.kind in PREFECT_KINDS:
                    # The rest of this round's Prefect messages would wait for the same dead
                    # server, 1.6 s each: leave them queued for the next round.
                    unreachable.update(PREFECT_KINDS)
            else:
                mark_done(message)
                if message.kind in SCRUB_WHEN_DONE:
                    message.payload = {k: message.payload.get(k) for k in ("to", "subject")}
                delivered += 1
    return delivered


def start_flow_run(session: Session, payload: dict[str, Any]) -> None:
    """Create the dossier's flow run. The idempotency key makes a second call return the run
    the first one created."""
    dossier = session.get(Dossier, payload["dossier_id"])
    flow_run = run_deployment(
        DEPLOYMENT,
        parameters={"dossier_id": dossier.id},
        flow_run_name=f"dossier {dossier.number}",
        tags=[f"dossier:{dossier.number}", f"template:{dossier.template_key}"],
        idempotency_key=f"dossier-{dossier.id}-{dossier.number}",
        timeout=0,
        as_subflow=False,
    )
    nudge()
    record_flow_run(session, dossier_id=dossier.id, flow_run_id=str(flow_run.id))


def resume_dossier_flow(session: Session, payload: dict[str, Any]) -> None:
    """Resume the dossier's run past a finished human step.

    This is on the path of a client waiting for the next step, so it makes one API call when
    all is well: the resume itself. A message whose step the run has already moved past (a
    later step has started in the mirror) is stale: its resume already happened. The server
    refuses to resume a run that is not suspended; only then is the run read, to tell one that
    has not reached its suspension yet (retried, NotYet) from one that has ended (nothing to
    do)."""
    dossier = session.get(Dossier, payload["dossier_id"])
    if dossier.flow_run_id is None:
        raise NotYet("the flow run has not been created yet")
    if _moved_past(session, dossier.id, payload["step_key"]):
        return
    with prefect_client() as client:
        result = client.resume_flow_run(dossier.flow_run_id)
        if result.status == SetStateStatus.ACCEPT:
            nudge()
            return
        state = client.read_flow_run(dossier.flow_run_id).state
    if state is None or state.is_final():
        return
    raise NotYet(f"the flow run is {state.name}, not resumable yet ({result.details})")


def prefect_client():
    """A synchronous Prefect client that reuses this process's TLS context: building one from
    the CA bundle costs 70-120 ms, for every client, even for an http:// API."""
    return get_client(sync_client=True, httpx_settings={"verify": _tls_context()})


@cache
def _tls_context() -> ssl.SSLContext:
    """As Prefect builds it (its settings for a custom CA file or no verification), once."""
    if PREFECT_API_TLS_INSECURE_SKIP_VERIFY.value():
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    return ssl.create_default_context(cafile=PREFECT_API_SSL_CERT_FILE.value() or certifi.where())


def _moved_past(session: Session, dossier_id: int, step_key: str) -> bool:
    """Whether the run is at a later step now: one has started and is not finished. (A later
    step that is finished does not tell: a step done again after a rework is waited for by a
    run that came back to it after finishing the steps behind it.)"""
    position = select(Step.position).where(Step.dossier_id == dossier_id, Step.key == step_key)
    later_open = session.scalar(
        select(Step.id)
        .where(
            Step.dossier_id == dossier_id,
            Step.position > position.scalar_subquery(),
            Step.state.in_(("running", "waiting", "failed")),
        )
        .limit(1)
    )
    return later_open is not None


def send_mail(session: Session, payload: dict[str, Any]) -> None:
    """Send a mail composed by casemodel.mail over SMTP."""
    mail.send(payload)


HANDLERS: dict[str, Callable[[Session, dict[str, Any]], None]] = {
    "start_flow_run": start_flow_run,
    "resume_flow_run": resume_dossier_flow,
    "send_mail": send_mail,
    "send_sms": lambda session, payload: send_queued_sms(payload),
    "send_digest": lambda session, payload: send_digest(session, payload["user_id"]),
    # An approved document to its recipient (casemodel.services.approvals.delivery).
    SEND_KIND: deliver,
}
#: A sent mail or SMS may hold a single-use link or code: only who and what is kept.
SCRUB_WHEN_DONE = frozenset({"send_mail", "send_sms"})
PREFECT_KINDS = frozenset({"start_flow_run", "resume_flow_run"})
