"""The errors of the SMS side, in a module of their own so that every gateway can raise them."""

from __future__ import annotations


class SmsError(Exception):
    """The SMS was not accepted by the provider; the outbox keeps it and tries again.

    The message names the provider's error, never the SMS text (it holds a code)."""

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        #: The provider's HTTP status, None when it was not reached.
        self.status_code = status_code
