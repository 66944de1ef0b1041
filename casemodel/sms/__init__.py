"""SMS: login and approval codes to a mobile phone, through a gateway chosen by the environment.

No Flask and no Prefect here: a service queues an SMS in the outbox inside its transaction
(kind "send_sms", payload {"to", "text", "reference"}), and the outbox relay sends it later with
send_queued_sms(). Gateways: SinkGateway (demo and tests: JSON files under instance/sms/) and
MessageBirdGateway (production).

    DOSSIERFLOW_SMS_GATEWAY            "sink" (default) or "messagebird"
    DOSSIERFLOW_SMS_ORIGINATOR         the sender shown on the phone, default "Dossierflow"
    DOSSIERFLOW_MESSAGEBIRD_ACCESS_KEY required with "messagebird"
    DOSSIERFLOW_MESSAGEBIRD_URL        default https://rest.messagebird.com
    DOSSIERFLOW_SMS_FOLDER             the sink's folder, default instance/sms
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
from typing import Any, Protocol

from casemodel.sms.errors import SmsError
from casemodel.sms.messagebird import MESSAGEBIRD_URL, MessageBirdGateway
from casemodel.sms.numbers import InvalidNumber, normalise_mobile_number
from casemodel.sms.sink import SinkGateway, read_sms, sink_folder

__all__ = [
    "InvalidNumber",
    "MessageBirdGateway",
    "SinkGateway",
    "SmsError",
    "SmsGateway",
    "gateway_from_environment",
    "normalise_mobile_number",
    "read_sms",
    "send_queued_sms",
    "sink_folder",
]

log = logging.getLogger(__name__)

#: What operators allow as an alphanumeric sender: at most 11 letters and digits.
_ALPHANUMERIC_ORIGINATOR = re.compile(r"[A-Za-z0-9]{1,11}")


class SmsGateway(Protocol):
    """Something that sends one SMS."""

    def send(self, to: str, text: str, *, reference: str) -> str:
        """Send text to the E.164 number `to`.

        Args:
            reference: our idempotency key (the outbox message's); passed on to providers that
                take a client reference.

        Returns:
            The provider's message id.

        Raises:
            SmsError: the provider refused or was not reached; the outbox tries again.
        """
        ...


def gateway_from_environment() -> SmsGateway:
    """The gateway that DOSSIERFLOW_SMS_GATEWAY names, configured from the environment.

    Raises:
        ValueError: an unknown gateway, an originator operators refuse, or MessageBird
            without an access key: better not to start than to lose every login code.
    """
    kind = os.environ.get("DOSSIERFLOW_SMS_GATEWAY", "sink").strip().lower() or "sink"
    if kind == "sink":
        return SinkGateway(sink_folder())
    if kind == "messagebird":
        access_key = os.environ.get("DOSSIERFLOW_MESSAGEBIRD_ACCESS_KEY", "").strip()
        if not access_key:
            raise ValueError(
                "DOSSIERFLOW_SMS_GATEWAY=messagebird needs DOSSIERFLOW_MESSAGEBIRD_ACCESS_KEY"
            )
        return MessageBirdGateway(
            access_key,
            originator=_originator(os.environ.get("DOSSIERFLOW_SMS_ORIGINATOR", "Dossierflow")),
            base_url=os.environ.get("DOSSIERFLOW_MESSAGEBIRD_URL") or MESSAGEBIRD_URL,
        )
    raise ValueError(f"DOSSIERFLOW_SMS_GATEWAY={kind!r}: expected 'sink' or 'messagebird'")


def _originator(value: str) -> str:
    """An alphanumeric sender of at most 11 characters, or a number in international form."""
    value = value.strip()
    if _ALPHANUMERIC_ORIGINATOR.fullmatch(value):
        return value
    try:
        return normalise_mobile_number(value).removeprefix("+")
    except InvalidNumber:
        raise ValueError(
            f"DOSSIERFLOW_SMS_ORIGINATOR={value!r}: at most 11 letters and digits, or a number"
        ) from None


def send_queued_sms(payload: dict[str, Any]) -> None:
    """The outbox handler: send {"to", "text", "reference"} with the configured gateway.

    An optional "not_after" (ISO 8601, UTC) drops an SMS that would arrive too late to be of
    use (a login code that has expired): the message is then done without being sent.
    """
    not_after = payload.get("not_after")
    if not_after and _as_utc(dt.datetime.fromisoformat(not_after)) < dt.datetime.now(dt.UTC):
        log.info("SMS %s not sent: its code expired before it could go", payload["reference"])
        return
    message_id = gateway_from_environment().send(
        payload["to"], payload["text"], reference=payload["reference"]
    )
    log.info("SMS %s sent as %s", payload["reference"], message_id)


def _as_utc(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment
