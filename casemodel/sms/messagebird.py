"""MessageBird (Bird) classic SMS API: POST {base}/messages, documented at
https://developers.messagebird.com/api/sms-messaging/#send-outbound-sms.

A message text holds a code: it goes in the request body only, never in an error or a log line.
"""

from __future__ import annotations

import httpx

from casemodel.sms.errors import SmsError

MESSAGEBIRD_URL = "https://rest.messagebird.com"
#: Connecting fails fast; the whole request may take a little longer under load.
TIMEOUT = httpx.Timeout(10.0, connect=5.0)


class MessageBirdGateway:
    """An SmsGateway over MessageBird's REST API, authenticated with an access key."""

    def __init__(
        self,
        access_key: str,
        *,
        originator: str = "Dossierflow",
        base_url: str = MESSAGEBIRD_URL,
        timeout: httpx.Timeout | float = TIMEOUT,
    ) -> None:
        if not access_key:
            raise ValueError("MessageBird needs an access key")
        self.access_key = access_key
        self.originator = originator
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def __repr__(self) -> str:  # without the access key
        return f"MessageBirdGateway(base_url={self.base_url!r}, originator={self.originator!r})"

    def send(self, to: str, text: str, *, reference: str) -> str:
        """Send one SMS to an E.164 number. Returns MessageBird's message id.

        Raises:
            SmsError: MessageBird refused the message (with its error descriptions) or could
                not be reached; the outbox tries again later.
        """
        body = {
            "originator": self.originator,
            "recipients": [to.removeprefix("+")],  # MSISDNs: country code, no "+"
            "body": text,
            "reference": reference,  # shown in delivery reports: our idempotency key
            "datacoding": "auto",  # "Zoë" needs Unicode; plain GSM-7 where it can
        }
        try:
            response = httpx.post(
                f"{self.base_url}/messages",
                json=body,
                headers={
                    "Authorization": f"AccessKey {self.access_key}",
                    "Accept": "application/json",
                },
                timeout=self.timeout,
            )
        except httpx.HTTPError as exc:
            raise SmsError(f"MessageBird not reached: {type(exc).__name__}: {exc}") from exc
        if not response.is_success:
            raise SmsError(
                f"MessageBird answered {response.status_code}: {_errors(response, text)}",
                status_code=response.status_code,
            )
        try:
            message_id = response.json()["id"]
        except (ValueError, KeyError, TypeError):
            raise SmsError(
                f"MessageBird answered {response.status_code} without a message id"
            ) from None
        return str(message_id)


def _errors(response: httpx.Response, text: str) -> str:
    """MessageBird's error descriptions ({"errors": [{"code", "description", "parameter"}]}),
    or the start of whatever else came back, never repeating the message text."""
    try:
        errors = response.json()["errors"]
        described = "; ".join(
            f"{error.get('description')} (code {error.get('code')}"
            + (f", parameter {error['parameter']})" if error.get("parameter") else ")")
            for error in errors
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        described = response.text[:300] or response.reason_phrase
    # A proxy or a provider that echoes the request must not put the code in the outbox's log.
    return described.replace(text, "[text]") if text else described
