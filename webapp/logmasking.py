"""No secret in a request log line: token-shaped parts of a logged request are masked.

Set-password links carry their token in the path of their first request (after it, the token
is gone from the address: webapp/auth/accounts.py), and the request logs write each request
line. Whatever is token-shaped there, a path segment or a query value of 20 or more letters,
digits, `-` and `_` (a link's token has 43), is logged as `[masked]`: for the demo's `flask run`
server (werkzeug's request log) and for gunicorn's access log in a deployment (GunicornLogger,
set by the repository's gunicorn.conf.py). Codes and session ids travel in POST bodies and
cookies, which neither log writes.
"""

from __future__ import annotations

import logging
import re

from gunicorn.glogging import Logger

#: A run of 20+ URL-safe characters between `/`, `=`, `?`, `&` or the end: a token, never a
#: word of a page's address (the longest of those is far shorter).
TOKEN_SHAPED = re.compile(r"(?<=[/=])[A-Za-z0-9_-]{20,}(?=$|[/?&#\s\"])")
MASK = "[masked]"


def mask_secrets(text: str) -> str:
    """The text with every token-shaped path segment or query value masked."""
    return TOKEN_SHAPED.sub(MASK, text)


class MaskSecretsFilter(logging.Filter):
    """Masks the formatted message of each record (werkzeug formats its request line before it
    logs it), so that no handler sees the token."""

    def filter(self, record: logging.LogRecord) -> bool:
        masked = mask_secrets(record.getMessage())
        if masked != record.getMessage():
            record.msg, record.args = masked, ()
        return True


def mask_request_log(logger_name: str = "werkzeug") -> None:
    """Put the filter on a request logger once (create_app calls it for werkzeug's)."""
    logger = logging.getLogger(logger_name)
    if not any(isinstance(existing, MaskSecretsFilter) for existing in logger.filters):
        logger.addFilter(MaskSecretsFilter())


class GunicornLogger(Logger):
    """gunicorn's logger (its `logger_class` setting) whose access log masks token-shaped
    parts of every value it can write: the request line, path, query, and the headers."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: mask_secrets(value) if isinstance(value, str) else value
                for key, value in atoms.items()}  # fmt: skip
