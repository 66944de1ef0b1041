"""Delivering the outbox: each due message claimed (a lease), handed to the handler of its kind
and marked done, in a transaction of its own; a failure backs off, and at the attempt limit is
given up for staff to retry (the office's "Storingen"). Every handler is idempotent: a message
delivered twice (two relays, a crash before marking it done) does no harm.
"""

from __future__ import annotations

import logging
import smtplib
import socket
from collections.abc import Callable, Collection
from typing import Any

import httpx
from sqlalchemy.orm import Session, sessionmaker

from casemodel import mail
from casemodel.db import session_scope, utcnow
from casemodel.models import OutboxMessage
from casemodel.services.approvals.delivery import SEND_KIND, deliver
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
from relay.flow_runs import NotYet, resume_dossier_flow, retry_dossier_run, start_flow_run

log = logging.getLogger(__name__)


def deliver_due(
    factory: sessionmaker[Session], *, limit: int = 50, only: list[int] | None = None,
    kinds: Collection[str] | None = None, stopping: Callable[[], bool] = lambda: False,
) -> int:  # fmt: skip
    """Deliver the messages that are due (or, with `only`, those of them with these ids; with
    `kinds`, those of these kinds), each claimed first (a lease, committed) and then delivered
    in a transaction of its own, which also marks it done. Returns how many were delivered; a
    failure stays queued with a back-off and, at the attempt limit, is given up for staff to
    retry (the office's "Storingen"). Once `stopping()`, no further message is begun."""
    with session_scope(factory) as session:
        due = [(m.id, m.kind) for m in due_messages(session, limit=limit, ids=only, kinds=kinds)]
    delivered = 0
    unreachable: set[str] = set()  # kinds whose server did not answer in this round
    for message_id, kind in due:
        if stopping():
            break
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
            one_server = next((k for k in ONE_SERVER_LANES if kind in k), None)
            if one_server is not None and server_not_reached(exc):
                # The rest of this round's messages for the same server would wait for it too
                # (Prefect 1.6 s each, a mail its 30 s timeout): leave them for the next round.
                unreachable.update(one_server)
    return delivered


#: What says a server was not reached at all (refused, timed out, unknown host, hung up),
#: as opposed to one that answered with a refusal of this message.
NOT_REACHED = (httpx.TransportError, ConnectionError, TimeoutError, socket.gaierror,
               smtplib.SMTPConnectError, smtplib.SMTPServerDisconnected)  # fmt: skip


def server_not_reached(exc: BaseException) -> bool:
    """Whether the error, or the one it was raised from (an SmsError wraps httpx's), says the
    server was not reached."""
    return isinstance(exc, NOT_REACHED) or isinstance(exc.__cause__, NOT_REACHED)


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
#: The relay delivers each lane in a thread of its own (relay.loop), one lane per server the
#: messages go to: a mail server that takes its 30 s timeout to answer holds up mails, not a
#: client's next step or their login code. Every kind is in exactly one lane.
LANES: dict[str, frozenset[str]] = {
    "prefect": PREFECT_KINDS,
    "mail": frozenset({"send_mail", "send_digest"}),
    "sms": frozenset({"send_sms"}),
    "documents": frozenset({SEND_KIND}),
}
#: Lanes whose messages all go to one server: when it is not reached, the lane's round ends.
#: (Approved documents go to each recipient's own server.)
ONE_SERVER_LANES = [LANES["prefect"], LANES["mail"], LANES["sms"]]
