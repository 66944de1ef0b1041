"""The organisation's folders (accountancy manual, "Dossier"): Accordering, Online Dossier
<client number>, and Upload, whose files go to the office's archive; that archive; and the
download of an archived file, for both."""

from flask import abort, current_app, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import format_datetime, ngettext
from flask_babel import gettext as _
from flask_login import current_user

from casemodel.filestore import FileRejected
from casemodel.queries.approvals import approved_in
from casemodel.queries.archive import (
    get_archived_file_for,
    office_archive,
    online_dossier,
    uploads_of,
)
from casemodel.services.uploads import archive_upload, archive_uploads, check_may_upload
from webapp.archive import bp
from webapp.downloads import download_archived
from webapp.extensions import db
from webapp.paging import paginate
from webapp.uploads import (
    file_refused_message,
    store_all_or_none,
    store_request_body,
    upload_refused,
)

FOLDERS = ("approved", "online", "upload")


def _organisation():
    """The organisation the client acts for; a client without any membership has no folders,
    and the office has its own archive (list_archive)."""
    organisation = g.get("organisation")
    if organisation is None:
        abort(404)
    return organisation


@bp.route("/archive")
def show_archive():
    if current_user.is_staff:  # the office's side of the same files
        return redirect(url_for("archive.list_archive"))
    organisation = _organisation()
    folder = request.args.get("folder")
    folder = folder if folder in FOLDERS else "online"
    approved = approved_in(db.session, current_user, organisation.id)
    online = online_dossier(db.session, current_user, organisation.id)
    uploads = uploads_of(db.session, current_user, organisation.id)
    return render_template(
        "archive/folders.html",
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
    check_may_upload(db.session, current_user, organisation.id)  # before a byte is stored
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
        download=url_for("archive.download_archived_file", archived_id=archived.id),
    ), 201


@bp.route("/archive/uploads/form", methods=["POST"])
def upload_to_archive_by_form():
    """The same for a browser without JavaScript: the page's plain multipart form, several files
    at once, all archived or none; then back to the folder."""
    organisation = _organisation()
    check_may_upload(db.session, current_user, organisation.id)  # before a byte is stored
    back = redirect(url_for("archive.show_archive", folder="upload"))
    uploads = [upload for upload in request.files.getlist("files") if upload and upload.filename]
    if not uploads:
        flash(_("Kies eerst een bestand."), "error")
        return back
    stored = store_all_or_none([("files", upload) for upload in uploads])
    if stored is None:
        return back
    files = [(file, upload.filename) for upload, file in zip(uploads, stored, strict=True)]
    archive_uploads(db.session, organisation=organisation, user=current_user, files=files)
    flash(ngettext("Het bestand is geplaatst.", "De %(num)d bestanden zijn geplaatst.",
                   len(stored)), "success")  # fmt: skip
    return back


@bp.route("/archive/uploads/<int:archived_id>/download")
def download_archived_file(archived_id: int):
    """A file of the archive, for the client's people and the office's staff (casemodel
    decides: get_archived_file_for), audited."""
    return download_archived(get_archived_file_for(db.session, archived_id, current_user))


@bp.route("/office/archive")
def list_archive():
    """The office's archive: its clients' uploads, searchable (NotFound to a client)."""
    search = request.args.get("q", "")[:100]
    page = paginate(
        db.session, office_archive(current_user, search), request.args.get("page", 1, type=int)
    )
    return render_template("archive/office_archive.html", page=page, search=search)
