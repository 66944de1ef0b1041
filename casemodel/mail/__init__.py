"""E-mail: composing a mail in the recipient's language (HTML and text) and sending it over SMTP.

No Flask here: mails are composed inside a service's transaction and sent later by the outbox
relay, outside any request. Translations come from the compiled catalogs through
babel.support.Translations, because flask_babel.force_locale does nothing outside an app context.
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from casemodel.colours import DEFAULT_PRIMARY
from casemodel.config import files_path
from casemodel.filestore import FileStore
from casemodel.i18n import translations

if TYPE_CHECKING:
    from casemodel.models import Office

log = logging.getLogger(__name__)

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


#: The content id of the office's logo in a mail's HTML (<img src="cid:...">).
LOGO_CID = "office-logo@dossierflow"


def compose(
    template: str, *, to: str, locale: str, office: Office | None = None, **context: Any
) -> Mail:
    """Render `<template>.subject.txt`, `.txt` and `.html` in the locale, with the context and
    the office's theme (name, colour, logo, contact line; the portal's own without one)."""
    environment = _environment(locale if locale in ("nl", "en") else "nl")
    context = {
        "office_name": office.name if office else "Dossierflow",
        "office_colour": (office.primary_colour if office else None) or DEFAULT_PRIMARY,
        "office_contact": office.contact_line if office else None,
        "logo_cid": LOGO_CID if office is not None and office.logo_sha256 else None,
    } | context
    render = lambda suffix: environment.get_template(f"{template}{suffix}").render(  # noqa: E731
        locale=locale, **context
    )
    return Mail(to=to, subject=" ".join(render(".subject.txt").split()), text=render(".txt"),
                html=render(".html"))  # fmt: skip


def _attach_logo(message: EmailMessage, logo: dict[str, str] | None) -> None:
    """The office's logo as an inline part of the HTML (multipart/related). A logo gone from
    the store (replaced, swept) leaves the mail without it: the name is in the text anyway."""
    if not logo:
        return
    path = FileStore(files_path()).path(logo["sha256"])
    try:
        data = path.read_bytes()
    except OSError:
        log.warning("mail sent without the office's logo: %s is not in the file store",
                    logo["sha256"])  # fmt: skip
        return
    maintype, _slash, subtype = logo["content_type"].partition("/")
    html = message.get_payload()[1]
    html.add_related(data, maintype=maintype, subtype=subtype, cid=f"<{LOGO_CID}>",
                     disposition="inline")  # fmt: skip


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
    _attach_logo(message, payload.get("logo"))
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
