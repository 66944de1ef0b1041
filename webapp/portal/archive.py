"""The organisation's folders (accountancy manual, "Dossier"): Accordering, Online Dossier
<client number>, and Upload, whose files go to the office's archive."""

from flask import abort, current_app, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import format_datetime, ngettext
from flask_babel import gettext as _
from flask_login import current_user

from casemodel.filestore import FileRejected
from casemodel.queries.archive import (
    approved_documents,
    get_archived_file_for,
    online_dossier,
    uploads_of,
)
from casemodel.services.uploads import archive_upload, archive_uploads
from webapp.extensions import db
from webapp.files import (
    download_archived,
    file_refused_message,
    store_all_or_none,
    store_request_body,
    upload_refused,
)
from webapp.portal import bp

FOLDERS = ("approved", "online", "upload")


def _organisation():
    if g.organisation is None:  # a client without any membership has no folders
        abort(404)
    return g.organisation


@bp.route("/archive")
def show_archive():
    organisation = _organisation()
    folder = request.args.get("folder")
    folder = folder if folder in FOLDERS else "online"
    approved = approved_documents(db.session, current_user, organisation.id)
    online = online_dossier(db.session, current_user, organisation.id)
    uploads = uploads_of(db.session, current_user, organisation.id)
    return render_template(
        "portal/archive.html",
        organisation=organisation,
        folder=folder,
        approved=approved,
        online=online,
        online_total=sum(len(group.documents) for group in online),
        online_unread=sum(group.unread for group in online),
        uploads=uploads,
        max_bytes=current_app.config["MAX_FILE_BYTES"],
        too_large=file_refused_message("too_large"),
    )


@bp.route("/archive/uploads", methods=["POST"])
def upload_to_archive():
    """One file per request, the raw body (the page's Uppy dashboard); answers JSON."""
    organisation = _organisation()
    try:
        stored, name = store_request_body()
    except FileRejected as refused:
        return upload_refused(refused.reason)
    archived = archive_upload(
        db.session, organisation=organisation, user=current_user, stored=stored, filename=name
    )
    return jsonify(
        id=archived.id,
        filename=archived.filename,
        uploaded_at=format_datetime(archived.created_at, "short"),
        uploaded_by=current_user.name,
        download=url_for("portal.download_archived_file", archived_id=archived.id),
    ), 201


@bp.route("/archive/uploads/form", methods=["POST"])
def upload_to_archive_by_form():
    """The same for a browser without JavaScript: the page's plain multipart form, several files
    at once, all archived or none; then back to the folder."""
    organisation = _organisation()
    back = redirect(url_for("portal.show_archive", folder="upload"))
    uploads = [upload for upload in request.files.getlist("files") if upload and upload.filename]
    if not uploads:
        flash(_("Kies eerst een bestand."), "error")
        return back
    stored = store_all_or_none(uploads)
    if stored is None:
        return back
    files = [(file, upload.filename) for upload, file in zip(uploads, stored, strict=True)]
    archive_uploads(db.session, organisation=organisation, user=current_user, files=files)
    flash(ngettext("Het bestand is geplaatst.", "De %(num)d bestanden zijn geplaatst.",
                   len(stored)), "success")  # fmt: skip
    return back


@bp.route("/archive/uploads/<int:archived_id>/download")
def download_archived_file(archived_id: int):
    return download_archived(get_archived_file_for(db.session, archived_id, current_user))
