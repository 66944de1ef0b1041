"""A message being written: the form's state, sending it, and why it was refused."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from flask import request
from flask_babel import gettext as _
from flask_login import current_user

from casemodel.models import Dossier, Message, StagedFile
from casemodel.models.messages import MAX_BODY_CHARS, MAX_SUBJECT_CHARS
from casemodel.queries.messages import messages_of, read_ids
from casemodel.services.errors import InvalidMessage
from casemodel.services.messages import clean_body, send_message
from casemodel.services.quotas import QuotaExceeded
from casemodel.services.uploads import staged_files_of
from casemodel.text import MAX_CODE_POINTS_PER_CHARACTER, perceived_length
from webapp.extensions import db
from webapp.paging import Page, paginate
from webapp.quota_messages import limit_message

#: A dossier may hold a thousand messages; a list shows them a page at a time.
MESSAGES_PER_PAGE = 50


@dataclass
class Draft:
    """A message being written, as the form shows it (again, after a refusal: nothing the
    writer typed or uploaded is lost)."""

    subject: str = ""
    body: str = ""
    staged: list[StagedFile] = field(default_factory=list)
    error: str | None = None
    max_chars: int = MAX_BODY_CHARS
    #: One per form shown: the service sends one message per token, so a double click on
    #: "Versturen" sends once. A refused form keeps its token (nothing was sent with it).
    form_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    #: Refused by a limit on messages an hour (429), rather than for its content (422).
    limited: bool = False

    @property
    def length(self) -> int:
        body = clean_body(self.body)
        if len(body) > self.max_chars * MAX_CODE_POINTS_PER_CHARACTER:
            return len(body)  # far too long either way: not worth the counting
        return perceived_length(body)


def messages_page(dossier: Dossier, total: int | None = None) -> dict:
    """A dossier's messages for the current user: one page, and which are read (a fixed number
    of queries whatever the page holds). With the total known (the client's tab count), the
    page costs no count query."""
    number = request.args.get("page", 1, type=int)
    if total is None:
        page = paginate(db.session, messages_of(dossier.id), number, size=MESSAGES_PER_PAGE)
    else:
        number = min(max(1, number), max(1, -(-total // MESSAGES_PER_PAGE)))
        items = db.session.scalars(
            messages_of(dossier.id)
            .limit(MESSAGES_PER_PAGE)
            .offset((number - 1) * MESSAGES_PER_PAGE)
        ).all()
        page = Page(list(items), number, MESSAGES_PER_PAGE, total)
    return {
        "messages": page,
        "read": read_ids(db.session, current_user, [m.id for m in page.items]),
    }


def reply_subject(message: Message) -> str:
    subject = message.subject
    return subject if subject.lower().startswith("re:") else f"Re: {subject}"


def send_from_form(
    dossier: Dossier, reply_to: Message | None = None
) -> tuple[Message | None, Draft]:
    """Send the posted message (with its staged attachments), or return the draft with the
    reason it was refused, in the user's language."""
    staged_ids = request.form.getlist("staged_id", type=int)
    draft = Draft(
        subject=request.form.get("subject", ""),
        body=request.form.get("body", ""),
        form_token=request.form.get("form_token") or secrets.token_urlsafe(24),
        staged=staged_files_of(
            db.session, user=current_user, dossier_id=dossier.id, ids=staged_ids
        ),
    )
    try:
        # All the posted ids: one that is not the writer's own staged file refuses the message
        # (the draft then lists only the files still there), rather than sending it without.
        message = send_message(
            db.session, dossier=dossier, author=current_user, subject=draft.subject,
            body=draft.body, reply_to_id=reply_to.id if reply_to else None,
            staged_ids=staged_ids, form_token=draft.form_token,
        )  # fmt: skip
    except InvalidMessage as exc:
        draft.error = refusal_message(exc.reason, draft)
        return None, draft
    except QuotaExceeded as exc:
        draft.error, draft.limited = limit_message(exc), True
        return None, draft
    return message, draft


def refusal_message(reason: str, draft: Draft) -> str:
    if reason == "subject_required":
        return _("Vul een onderwerp in.")
    if reason == "body_required":
        return _("Vul een bericht in.")
    if reason == "subject_too_long":
        return _("Het onderwerp mag hoogstens %(max)s tekens lang zijn.", max=MAX_SUBJECT_CHARS)
    if reason == "body_too_long":
        return _("Het bericht is %(count)s tekens lang; er passen er %(max)s in. Maak het korter: "
                 "er is nog niets verstuurd.", count=draft.length, max=MAX_BODY_CHARS)  # fmt: skip
    return _("Een bijlage is niet meer beschikbaar. Voeg haar opnieuw toe.")
