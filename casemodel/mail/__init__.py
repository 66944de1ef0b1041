"""E-mail: composing a mail in the recipient's language (HTML and text) and sending it over SMTP.

No Flask here: mails are composed inside a service's transaction and sent later by the outbox
relay, outside any request. Translations come from the compiled catalogs through
babel.support.Translations, because flask_babel.force_locale does nothing outside an app context.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from casemodel.i18n import translations

TEMPLATES = Path(__file__).resolve().parent / "templates"


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str
    html: str

    def as_payload(self) -> dict[str, str]:
        return {"to": self.to, "subject": self.subject, "text": self.text, "html": self.html}


@cache
def _environment(locale: str) -> Environment:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # As in the portal's templates (and babel.cfg): a {% trans %} block's whitespace is folded.
    environment.policies["ext.i18n.trimmed"] = True
    environment.install_gettext_translations(  # type: ignore[attr-defined]
        translations(locale), newstyle=True
    )
    return environment


def compose(template: str, *, to: str, locale: str, **context: Any) -> Mail:
    """Render `<template>.subject.txt`, `.txt` and `.html` in the locale, with the context."""
    environment = _environment(locale if locale in ("nl", "en") else "nl")
    render = lambda suffix: environment.get_template(f"{template}{suffix}").render(  # noqa: E731
        locale=locale, **context
    )
    return Mail(to=to, subject=" ".join(render(".subject.txt").split()), text=render(".txt"),
                html=render(".html"))  # fmt: skip


def smtp_settings() -> dict[str, Any]:
    """From the environment; the defaults are the demo's mail sink on the loopback."""
    return {
        "host": os.environ.get("DOSSIERFLOW_SMTP_HOST", "127.0.0.1"),
        "port": int(os.environ.get("DOSSIERFLOW_SMTP_PORT", "8025")),
        "username": os.environ.get("DOSSIERFLOW_SMTP_USERNAME"),
        "password": os.environ.get("DOSSIERFLOW_SMTP_PASSWORD"),
        "starttls": os.environ.get("DOSSIERFLOW_SMTP_STARTTLS") == "1",
        "sender": os.environ.get("DOSSIERFLOW_MAIL_FROM", "portaal@dossierflow.localhost"),
        "sender_name": os.environ.get("DOSSIERFLOW_MAIL_FROM_NAME", "Dossierflow"),
    }


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    content: bytes


def send(
    payload: dict[str, str],
    settings: dict[str, Any] | None = None,
    *,
    attachments: tuple[Attachment, ...] = (),
    message_id: str | None = None,
    headers: dict[str, str] | None = None,
) -> str:
    """Send one composed mail (Mail.as_payload()) over SMTP; its Message-ID. Raises on failure,
    so the outbox keeps the message and tries again.

    Args:
        attachments: files to attach (an approved document and its certificate).
        message_id: a Message-ID of the caller's (the same for every try of one sending, so a
            receiving system that files by Message-ID files a repeat as the same mail).
        headers: more headers (e.g. an idempotency key).
    """
    settings = settings or smtp_settings()
    message = EmailMessage()
    message["From"] = formataddr((payload.get("sender_name") or settings["sender_name"],
                                  settings["sender"]))  # fmt: skip
    message["To"] = payload["to"]
    message["Subject"] = payload["subject"]
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = message_id or make_msgid(domain=settings["sender"].rpartition("@")[2])
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(payload["text"])
    message.add_alternative(payload["html"], subtype="html")
    for attachment in attachments:
        maintype, _slash, subtype = attachment.content_type.partition("/")
        message.add_attachment(attachment.content, maintype=maintype, subtype=subtype,
                               filename=attachment.filename)  # fmt: skip
    with smtplib.SMTP(settings["host"], settings["port"], timeout=30) as smtp:
        if settings["starttls"]:
            smtp.starttls(context=ssl.create_default_context())
        if settings["username"]:
            smtp.login(settings["username"], settings["password"])
        smtp.send_message(message)
    return message["Message-ID"]
