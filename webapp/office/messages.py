"""The office's side of Berichten: one inbox of clients' messages across the dossiers the staff
member may see, reading, replying (with attachments, as clients do), assigning a message to a
colleague, and the dossier page's list of messages."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from casemodel.models import Dossier, Message, MessageAttachment, User
from casemodel.queries.documents import get_version_for
from casemodel.queries.dossiers import get_dossier_for
from casemodel.queries.messages import (
    get_message_for,
    inbox,
    read_ids,
    unread_inbox_count,
)
from casemodel.queries.offices import colleagues_in
from casemodel.services.errors import NotFound
from casemodel.services.messages import assign_message, mark_read
from webapp.extensions import db
from webapp.files import download
from webapp.office import bp
from webapp.paging import paginate
from webapp.portal.messages import (
    MESSAGES_PER_PAGE,
    Draft,
    messages_page,
    reply_subject,
    send_from_form,
    stage_attachment,
    unstage_attachment,
)


@bp.app_context_processor
def _inbox_badge() -> dict:
    # A function, so that only a page that shows the office's menu runs the count.
    return {"office_unread_messages": lambda: unread_inbox_count(db.session, current_user)}


def dossier_messages(dossier: Dossier) -> dict:
    """The office dossier page's messages (a page of them) and an empty form for a new one."""
    return messages_page(dossier) | {"draft": Draft()}


@bp.route("/messages")
def list_messages():
    mine = request.args.get("mine") == "1"
    unread_only = request.args.get("unread") == "1"
    page = paginate(
        db.session, inbox(current_user, assigned_to_me=mine, unread_only=unread_only),
        request.args.get("page", 1, type=int), size=MESSAGES_PER_PAGE,
    )  # fmt: skip
    return render_template(
        "office/messages.html",
        page=page,
        read=read_ids(db.session, current_user, [m.id for m in page.items]),
        mine=mine,
        unread_only=unread_only,
    )


@bp.route("/dossiers/<int:dossier_id>/messages/<int:message_id>")
def show_message(dossier_id: int, message_id: int):
    """Opening a message marks it read for this staff member (the only change a GET makes)."""
    message = get_message_for(
        db.session, dossier_id=dossier_id, message_id=message_id, user=current_user
    )
    mark_read(db.session, message=message, user=current_user)
    return _message_page(message, Draft(subject=reply_subject(message)))


@bp.route("/dossiers/<int:dossier_id>/messages/<int:message_id>/reply", methods=["POST"])
def reply_to_message(dossier_id: int, message_id: int):
    original = get_message_for(
        db.session, dossier_id=dossier_id, message_id=message_id, user=current_user
    )
    message, draft = send_from_form(original.dossier, reply_to=original)
    if message is None:
        return _message_page(original, draft), 422
    flash(_("Het antwoord is verstuurd."), "success")
    return redirect(url_for("office.list_messages"))


@bp.route("/dossiers/<int:dossier_id>/messages", methods=["POST"])
def send_new_message(dossier_id: int):
    """A "Nieuw bericht" written on the office's dossier page."""
    dossier = get_dossier_for(db.session, dossier_id, current_user)
    message, draft = send_from_form(dossier)
    if message is None:
        return render_template("office/message_new.html", dossier=dossier, draft=draft), 422
    flash(_("Het bericht is verstuurd."), "success")
    return redirect(url_for("office.show_dossier", dossier_id=dossier.id) + "#messages")


@bp.route("/dossiers/<int:dossier_id>/messages/<int:message_id>/assign", methods=["POST"])
def assign(dossier_id: int, message_id: int):
    """Give the message to a colleague ("Toewijzen aan"), who is told by mail."""
    message = get_message_for(
        db.session, dossier_id=dossier_id, message_id=message_id, user=current_user
    )
    colleague = db.session.get(User, request.form.get("assignee_id", type=int) or 0)
    if colleague is None:
        raise NotFound("colleague")
    assign_message(db.session, message=message, assignee=colleague, actor=current_user)
    flash(_("Het bericht is toegewezen aan %(name)s.", name=colleague.name), "success")
    return redirect(url_for("office.show_message", dossier_id=dossier_id, message_id=message_id))


@bp.route("/dossiers/<int:dossier_id>/messages/<int:message_id>/attachments/<int:document_id>")
def download_attachment(dossier_id: int, message_id: int, document_id: int):
    """A message's attachment for staff: authorised, audited, as the client's download is."""
    message = get_message_for(
        db.session, dossier_id=dossier_id, message_id=message_id, user=current_user
    )
    attachment = db.session.scalar(
        select(MessageAttachment).where(
            MessageAttachment.message_id == message.id,
            MessageAttachment.document_id == document_id,
        )
    )
    if attachment is None:
        raise NotFound(f"attachment {document_id}")
    _dossier, document, version = get_version_for(
        db.session, dossier_id=dossier_id, document_id=document_id, version=None,
        user=current_user,
    )  # fmt: skip
    return download(document, version)


@bp.route("/dossiers/<int:dossier_id>/attachments", methods=["POST"])
def upload_attachment(dossier_id: int):
    return stage_attachment(get_dossier_for(db.session, dossier_id, current_user))


@bp.route("/dossiers/<int:dossier_id>/attachments/<int:staged_id>/delete", methods=["POST"])
def delete_attachment(dossier_id: int, staged_id: int):
    return unstage_attachment(get_dossier_for(db.session, dossier_id, current_user), staged_id)


def _message_page(message: Message, draft: Draft):
    return render_template(
        "office/message.html",
        dossier=message.dossier,
        message=message,
        draft=draft,
        colleagues=_colleagues(message.dossier),
    )


def _colleagues(dossier: Dossier) -> list[User]:
    """Who a message can be given to: the staff of the dossier's office (assign_message)."""
    return list(db.session.scalars(colleagues_in(dossier.office_id)))
