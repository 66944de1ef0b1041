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
from prefect.settings import PREFECT_API_SSL_CERT_FILE, PREFECT_API_TLS_INSECURE_SKIP_VERIFY
from prefect.states import AwaitingRetry
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from casemodel import mail
from casemodel.db import session_scope, utcnow
from casemodel.models import Dossier, OutboxMessage, Step
from casemodel.services.approvals.delivery import SEND_KIND, deliver
from casemodel.services.audit import record_event
from casemodel.services.dossiers import record_flow_run
from casemodel.services.notifications import send_digest
from casemodel.services.outbox import (
    claim_message,
    due_messages,
    held_message,
    mark_done,
    mark_failed,
    postpone,
)
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
    claimed first (a lease, committed) and then delivered in a transaction of its own, which
    also marks it done. Returns how many were delivered; a failure stays queued with a back-off
    and, at the attempt limit, is given up for staff to retry (the office's "Storingen")."""
    with session_scope(factory) as session:
        due = [(m.id, m.kind) for m in due_messages(session, limit=limit, ids=only)]
    delivered = 0
    unreachable: set[str] = set()  # kinds whose server did not answer in this round
    for message_id, kind in due:
        if kind in unreachable:
            continue
        with session_scope(factory) as session:
            message = session.get(OutboxMessage, message_id)
            token = claim_message(session, message=message) if message is not None else None
        if token is None:  # another relay (or portal process) has it, or it is done
            continue
        try:
            with session_scope(factory) as session:
                message = held_message(session, message_id=message_id, token=token)
                if message is None:  # the lease ran out and another took it
                    continue
                HANDLERS[message.kind](session, message.payload)
                mark_done(message)
                if message.kind in SCRUB_WHEN_DONE:
                    message.payload = {k: message.payload.get(k) for k in ("to", "subject")}
            delivered += 1
        except NotYet as exc:
            with session_scope(factory) as session:
                message = held_message(session, message_id=message_id, token=token)
                if message is not None:
                    age = (utcnow() - message.created_at).total_seconds()
                    postpone(message, str(exc), seconds=min(30.0, max(1.0, age / 4)))
        except Exception as exc:
            with session_scope(factory) as session:
                message = held_message(session, message_id=message_id, token=token)
                if message is not None and mark_failed(message, repr(exc)):
                    log.warning("outbox %s %s given up: %r", kind, message_id, exc)
                else:
                    log.info("outbox %s %s not delivered: %r", kind, message_id, exc)
            if isinstance(exc, httpx.TransportError) and kind in PREFECT_KINDS:
                # The rest of this round's Prefect messages would wait for the same dead
                # server, 1.6 s each: leave them queued for the next round.
                unreachable.update(PREFECT_KINDS)
    return delivered


def start_flow_run(session: Session, payload: dict[str, Any]) -> None:
    """Create the dossier's flow run. The idempotency key makes a second call return the run
    the first one created."""
    dossier = session.get(Dossier, payload["dossier_id"])
    with prefect_client() as client:
        flow_run = client.create_flow_run_from_deployment(
            _deployment_id(client),
            parameters={"dossier_id": dossier.id},
            # Numbers count per office: the office's name tells two "2026-00001" apart.
            name=f"dossier {dossier.number} · {dossier.office.name}",
            tags=[f"dossier:{dossier.number}", f"template:{dossier.template_key}"],
            idempotency_key=f"dossier-{dossier.id}-{dossier.number}",
        )
    nudge()
    record_flow_run(session, dossier_id=dossier.id, flow_run_id=str(flow_run.id))


def _deployment_id(client) -> Any:
    """The dossier deployment's id, read once per process and server (`prefect deploy` updates
    a deployment in place, so its id stays): a start then costs one API call, not three."""
    key = (client.api_url, DEPLOYMENT)
    if key not in _DEPLOYMENT_IDS:
        _DEPLOYMENT_IDS[key] = client.read_deployment_by_name(DEPLOYMENT).id
    return _DEPLOYMENT_IDS[key]


_DEPLOYMENT_IDS: dict[tuple[Any, str], Any] = {}


def resume_dossier_flow(session: Session, payload: dict[str, Any]) -> None:
    """Resume the dossier's run past a finished human step.

    This is on the path of a client waiting for the next step, so it makes one API call when
    all is well: the resume itself. A message whose step the run has already moved past (a
    later step has started in the mirror) is stale: its resume already happened. The server
    refuses to resume a run that is not suspended; only then is the run read:
    - not suspended yet, or stopped (Crashed, Failed: the reconciler reschedules it, staff retry
      it): NotYet, so the message stays queued and takes effect once the run waits again, or
      turns stale once the rescheduled run has gone past the step by itself;
    - ended for good (Completed, Cancelled): nothing is left to resume, and the dossier's log
      says why this resume did nothing."""
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
    if state is not None and (state.is_completed() or state.is_cancelled()):
        record_event(
            session, action="dossier.resume_ignored", actor=None, dossier_id=dossier.id,
            detail={"step": payload["step_key"], "run_state": state.name},
        )  # fmt: skip
        return
    name = state.name if state is not None else "without a state"
    raise NotYet(f"the flow run is {name}, not resumable yet ({result.details})")


def retry_dossier_run(session: Session, payload: dict[str, Any]) -> None:
    """Staff retried a failed dossier (casemodel.services.failures.retry_dossier): its run, which
    stopped Failed or Crashed, goes back in the work pool and continues from the failed step. A
    run that is moving or waiting already is left alone."""
    dossier = session.get(Dossier, payload["dossier_id"])
    if dossier.status != "open":  # failed again, or cancelled, since the retry was asked
        return
    if dossier.flow_run_id is None:
        raise NotYet("the flow run has not been created yet")
    with prefect_client() as client:
        state = client.read_flow_run(dossier.flow_run_id).state
        if state is not None and (state.is_failed() or state.is_crashed()):
            client.set_flow_run_state(
                dossier.flow_run_id, AwaitingRetry(message="Retried by the office"), force=True
            )
            nudge()


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
    "retry_flow_run": retry_dossier_run,
    "send_mail": send_mail,
    "send_sms": lambda session, payload: send_queued_sms(payload),
    "send_digest": lambda session, payload: send_digest(session, payload["user_id"]),
    # An approved document to its recipient (casemodel.services.approvals.delivery).
    SEND_KIND: deliver,
}
#: A sent mail or SMS may hold a single-use link or code: only who and what is kept.
SCRUB_WHEN_DONE = frozenset({"send_mail", "send_sms"})
PREFECT_KINDS = frozenset({"start_flow_run", "resume_flow_run", "retry_flow_run"})
