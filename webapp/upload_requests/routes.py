"""The client's "Gevraagde bestanden": the files an upload_request step asks for, on the
dossier page (upload_requests/_open_requests.html). A plain multipart form per request; each
POST redirects back to the dossier page."""

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from casemodel.queries.upload_requests import get_upload_request_for, open_upload_requests
from casemodel.services.errors import InvalidState
from casemodel.stepkinds.upload_request import (
    MissingFiles,
    check_open,
    complete_upload_request,
    remove_requested_file,
    requested_files,
)
from casemodel.stepkinds.upload_request import supply_requested_files as supply_files
from webapp.extensions import db
from webapp.upload_requests import bp
from webapp.uploads import store_all_or_none
from webapp.urls import LOCALES


@bp.app_context_processor
def _upload_requests():
    # Called by the dossier page's block only, so other pages pay nothing for it.
    return {"upload_requests": lambda dossier: open_upload_requests(db.session, dossier.id)}


def _back(dossier_id: int):
    return redirect(url_for("portal.show_dossier", dossier_id=dossier_id) + "#requests")


def _locale() -> str:
    return current_user.locale if current_user.locale in LOCALES else "nl"


@bp.route("/dossiers/<int:dossier_id>/requests/<int:task_id>/files", methods=["POST"])
def supply_requested_files(dossier_id: int, task_id: int):
    """Files for one or more items ("files-<item key>", several per item). Every file is stored
    before any is recorded, so a refused file leaves none of the others half-supplied."""
    _dossier, task = get_upload_request_for(
        db.session, dossier_id=dossier_id, task_id=task_id, user=current_user
    )
    try:
        # Before a byte is stored; NotAllowed for the office and a client without the right.
        check_open(db.session, task, current_user)
    except InvalidState:
        flash(_("Deze aanvraag is al verstuurd."), "info")
        return _back(dossier_id)
    chosen = [
        (item.key, upload)
        for item in requested_files(task.step)
        for upload in request.files.getlist(f"files-{item.key}")
        if upload and upload.filename
    ]
    if not chosen:
        flash(_("Kies eerst een bestand."), "error")
        return _back(dossier_id)
    stored = store_all_or_none([(f"files-{key}", upload) for key, upload in chosen])
    if stored is None:
        return _back(dossier_id)
    files = [(key, file, up.filename) for (key, up), file in zip(chosen, stored, strict=True)]
    supply_files(db.session, task=task, actor=current_user, locale=_locale(), files=files)
    message = ngettext(
        "Het bestand is geplaatst.", "De %(num)d bestanden zijn geplaatst.", len(stored)
    )
    flash(message, "success")
    return _back(dossier_id)


@bp.route(
    "/dossiers/<int:dossier_id>/requests/<int:task_id>/files/<int:document_id>/delete",
    methods=["POST"],
)
def remove_requested_document(dossier_id: int, task_id: int, document_id: int):
    _dossier, task = get_upload_request_for(
        db.session, dossier_id=dossier_id, task_id=task_id, user=current_user
    )
    try:
        remove_requested_file(db.session, task=task, document_id=document_id, actor=current_user)
    except InvalidState:
        flash(_("Deze aanvraag is al verstuurd."), "info")
    else:
        flash(_("Het bestand is verwijderd."), "success")
    return _back(dossier_id)


@bp.route("/dossiers/<int:dossier_id>/requests/<int:task_id>/send", methods=["POST"])
def send_upload_request(dossier_id: int, task_id: int):
    _dossier, task = get_upload_request_for(
        db.session, dossier_id=dossier_id, task_id=task_id, user=current_user
    )
    try:
        complete_upload_request(db.session, task=task, actor=current_user)
    except MissingFiles as exc:
        titles = {f.key: f.title(_locale()) for f in requested_files(task.step)}
        flash(_("Lever eerst alle verplichte bestanden aan. Nog nodig: %(items)s.",
                items=", ".join(titles[key] for key in exc.keys)), "error")  # fmt: skip
    except InvalidState:
        flash(_("Deze aanvraag is al verstuurd."), "info")
    else:
        flash(_("Verstuurd. Uw behandelaar gaat ermee aan de slag."), "success")
    return _back(dossier_id)
