"""Berichten (notary manual §2.1.1.5): the client's messages tab, reading, writing, replying, and
the attachments uploaded ("+ Bijlagen") before their message is sent.

The draft handling and the attachment endpoints' bodies are shared with the office's side
(webapp/office/messages.py): one way to write a message, whoever writes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from casemodel.filestore import FileRejected
from casemodel.models import Dossier, Message, StagedFile
from casemodel.models.messages import MAX_BODY_CHARS, MAX_SUBJECT_CHARS
from casemodel.queries.dossiers import get_dossier_for
from casemodel.queries.messages import get_message_for, messages_of, read_ids
from casemodel.services.errors import InvalidMessage, NotFound
from casemodel.services.messages import clean_body, mark_read, send_message
from casemodel.services.quotas import QuotaExceeded
from casemodel.services.uploads import remove_staged_file, stage_file, staged_files_of
from webapp.extensions import db
from webapp.files import store_request_body, upload_refused
from webapp.paging import Page, paginate
from webapp.portal import bp
from webapp.quota_messages import limit_message

#: A dossier may hold a thousand messages; the tab shows them a page at a time.
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
    #: Refused by a limit on messages an hour (429), rather than for its content (422).
    limited: bool = False

    @property
    def length(self) -> int:
        return len(clean_body(self.body))


def messages_page(dossier: Dossier, total: int | None = None) -> dict:
    """The Berichten list of a dossier for the current user: one page, and which are read (a
    fixed number of queries whatever the page holds). With the total known (the tab's count),
    the page costs no count query."""
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
            staged_ids=staged_ids,
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


def stage_attachment(dossier: Dossier):
    """One file of the upload dialog, as a raw request body: stored and held for the user until
    the message is sent. JSON for the dialog: 201 {id, name, size, delete_url}, or {error}."""
    try:
        stored, name = store_request_body()
    except FileRejected as exc:
        return upload_refused(exc.reason)
    staged = stage_file(
        db.session, dossier=dossier, user=current_user, stored=stored, filename=name
    )
    delete = "office.delete_attachment" if current_user.is_staff else "portal.delete_attachment"
    return jsonify(
        id=staged.id, name=staged.filename, size=staged.size,
        delete_url=url_for(delete, dossier_id=dossier.id, staged_id=staged.id),
    ), 201  # fmt: skip


def unstage_attachment(dossier: Dossier, staged_id: int):
    """The bin next to an uploaded attachment."""
    try:
        remove_staged_file(
            db.session, user=current_user, dossier_id=dossier.id, staged_id=staged_id
        )
    except NotFound:
        return jsonify(error=_("Deze bijlage bestaat niet (meer).")), 404
    return jsonify(deleted=staged_id)


@bp.route("/dossiers/<int:dossier_id>/messages/new")
def new_message(dossier_id: int):
    dossier = get_dossier_for(db.session, dossier_id, current_user)
    return render_template(
        "portal/message_form.html", dossier=dossier, draft=Draft(), original=None
    )


@bp.route("/dossiers/<int:dossier_id>/messages", methods=["POST"])
def send_new_message(dossier_id: int):
    return _send(get_dossier_for(db.session, dossier_id, current_user))


@bp.route("/dossiers/<int:dossier_id>/messages/<int:message_id>")
def show_message(dossier_id: int, message_id: int):
    """Opening a message marks it read (the only change a GET makes)."""
    message = get_message_for(
        db.session, dossier_id=dossier_id, message_id=message_id, user=current_user
    )
    mark_read(db.session, message=message, user=current_user)
    return render_template("portal/message.html", dossier=message.dossier, message=message)


@bp.route("/dossiers/<int:dossier_id>/messages/<int:message_id>/reply", methods=["GET", "POST"])
def reply_to_message(dossier_id: int, message_id: int):
    """The reply ("Beantwoorden"): the form, with the original message shown under it."""
    original = get_message_for(
        db.session, dossier_id=dossier_id, message_id=message_id, user=current_user
    )
    dossier = original.dossier
    if request.method == "GET":
        draft = Draft(subject=reply_subject(original))
        return render_template(
            "portal/message_form.html", dossier=dossier, draft=draft, original=original
        )
    return _send(dossier, original)


def _send(dossier: Dossier, original: Message | None = None):
    """Send the posted message and go to the dossier's messages, or show the form again with
    what was typed and why it was not sent."""
    message, draft = send_from_form(dossier, reply_to=original)
    if message is None:
        return render_template(
            "portal/message_form.html", dossier=dossier, draft=draft, original=original
        ), 429 if draft.limited else 422
    flash(_("Uw bericht is verstuurd."), "success")
    return redirect(url_for("portal.show_dossier", dossier_id=dossier.id, tab="messages"))


@bp.route("/dossiers/<int:dossier_id>/attachments", methods=["POST"])
def upload_attachment(dossier_id: int):
    return stage_attachment(get_dossier_for(db.session, dossier_id, current_user))


@bp.route("/dossiers/<int:dossier_id>/attachments/<int:staged_id>/delete", methods=["POST"])
def delete_attachment(dossier_id: int, staged_id: int):
    return unstage_attachment(get_dossier_for(db.session, dossier_id, current_user), staged_id)
