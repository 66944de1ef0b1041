"""Berichten's pages, one set for both sides: the office's inbox, a message (opening it marks it
read), writing a new one, answering one, and giving a client's message to a colleague."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from casemodel.models import Dossier, Message, User
from casemodel.queries.dossiers import get_dossier_for
from casemodel.queries.messages import (
    get_message_for,
    inbox,
    read_ids,
    unread_inbox_count,
)
from casemodel.queries.offices import colleagues_in
from casemodel.services.errors import NotFound
from casemodel.services.messages import (
    assign_message,
    check_may_write,
    mark_read,
    may_answer,
    may_assign,
)
from webapp.audience import dossier_page_url
from webapp.extensions import db
from webapp.messages import bp
from webapp.messages.drafts import MESSAGES_PER_PAGE, Draft, reply_subject, send_from_form
from webapp.paging import paginate


@bp.app_context_processor
def _inbox_badge() -> dict:
    # A function, so that only a page that shows the office's menu runs the count (once: the
    # menu bar and the phone's menu both show it).
    def count() -> int:
        if "office_unread_messages" not in g:
            g.office_unread_messages = unread_inbox_count(db.session, current_user)
        return g.office_unread_messages

    return {"office_unread_messages": count}


@bp.route("/office/messages")
def list_messages():
    """The office's inbox: the clients' messages across the staff member's dossiers, unread
    first (casemodel answers NotFound to anyone but staff)."""
    mine = request.args.get("mine") == "1"
    unread_only = request.args.get("unread") == "1"
    page = paginate(
        db.session, inbox(current_user, assigned_to_me=mine, unread_only=unread_only),
        request.args.get("page", 1, type=int), size=MESSAGES_PER_PAGE,
    )  # fmt: skip
    return render_template(
        "messages/inbox.html",
        page=page,
        read=read_ids(db.session, current_user, [m.id for m in page.items]),
        mine=mine,
        unread_only=unread_only,
    )


@bp.route("/dossiers/<int:dossier_id>/messages/<int:message_id>")
def show_message(dossier_id: int, message_id: int):
    """Opening a message marks it read for this user (the only change a GET makes)."""
    message = get_message_for(
        db.session, dossier_id=dossier_id, message_id=message_id, user=current_user
    )
    mark_read(db.session, message=message, user=current_user)
    return _message_page(message)


@bp.route("/dossiers/<int:dossier_id>/messages/new")
def new_message(dossier_id: int):
    dossier = get_dossier_for(db.session, dossier_id, current_user)
    check_may_write(db.session, current_user, dossier)  # 403 without the right to write
    return render_template("messages/compose.html", dossier=dossier, draft=Draft(), original=None)


@bp.route("/dossiers/<int:dossier_id>/messages", methods=["POST"])
def send_new_message(dossier_id: int):
    """A new message: from its own page, or from the form on the office's dossier page."""
    return _send(get_dossier_for(db.session, dossier_id, current_user))


@bp.route("/dossiers/<int:dossier_id>/messages/<int:message_id>/reply", methods=["GET", "POST"])
def reply_to_message(dossier_id: int, message_id: int):
    """The reply ("Beantwoorden"): the form, with the original message shown under it."""
    original = get_message_for(
        db.session, dossier_id=dossier_id, message_id=message_id, user=current_user
    )
    check_may_write(db.session, current_user, original.dossier)
    if request.method == "GET":
        draft = Draft(subject=reply_subject(original))
        return render_template(
            "messages/compose.html", dossier=original.dossier, draft=draft, original=original
        )
    return _send(original.dossier, original)


@bp.route("/dossiers/<int:dossier_id>/messages/<int:message_id>/assign", methods=["POST"])
def assign(dossier_id: int, message_id: int):
    """Give a client's message to a colleague ("Toewijzen aan"), who is told by mail."""
    message = get_message_for(
        db.session, dossier_id=dossier_id, message_id=message_id, user=current_user
    )
    colleague = db.session.get(User, request.form.get("assignee_id", type=int) or 0)
    if colleague is None:
        raise NotFound("colleague")
    assign_message(db.session, message=message, assignee=colleague, actor=current_user)
    flash(_("Het bericht is toegewezen aan %(name)s.", name=colleague.name), "success")
    return redirect(url_for("messages.show_message", dossier_id=dossier_id, message_id=message_id))


def _send(dossier: Dossier, original: Message | None = None):
    """Send the posted message and go back to where the writer reads their messages, or show
    the form again with what was typed and why it was not sent."""
    message, draft = send_from_form(dossier, reply_to=original)
    if message is None:
        return render_template(
            "messages/compose.html", dossier=dossier, draft=draft, original=original
        ), 429 if draft.limited else 422
    if not current_user.is_staff:
        flash(_("Uw bericht is verstuurd."), "success")
        return redirect(dossier_page_url(dossier, tab="messages"))
    if original is not None:  # staff answer from their inbox, and go back to it
        flash(_("Het antwoord is verstuurd."), "success")
        return redirect(url_for("messages.list_messages"))
    flash(_("Het bericht is verstuurd."), "success")
    return redirect(dossier_page_url(dossier, tab="messages"))


def _message_page(message: Message):
    assignable = may_assign(current_user, message)
    return render_template(
        "messages/message.html",
        dossier=message.dossier,
        message=message,
        may_answer=may_answer(db.session, current_user, message),
        may_assign=assignable,
        colleagues=db.session.scalars(colleagues_in(message.dossier.office_id)).all()
        if assignable
        else (),
        draft=Draft(subject=reply_subject(message)),
    )
