"""The upload dialog's two calls: a file in, and the bin. Both answer JSON."""

from __future__ import annotations

from flask import jsonify, url_for
from flask_babel import gettext as _
from flask_login import current_user

from casemodel.filestore import FileRejected
from casemodel.queries.dossiers import get_dossier_for
from casemodel.services.errors import NotFound
from casemodel.services.messages import check_may_write
from casemodel.services.uploads import remove_staged_file, stage_file
from webapp.attachments import bp
from webapp.extensions import db
from webapp.uploads import store_request_body, upload_refused


@bp.route("/dossiers/<int:dossier_id>/attachments", methods=["POST"])
def upload_attachment(dossier_id: int):
    """One file of the upload dialog, as a raw request body: stored and held for the user until
    the message is sent. 201 {id, name, size, delete_url}, or {error} (413, 422)."""
    dossier = get_dossier_for(db.session, dossier_id, current_user)
    check_may_write(db.session, current_user, dossier)  # before a byte is stored
    try:
        stored, name = store_request_body()
    except FileRejected as exc:
        return upload_refused(exc.reason)
    staged = stage_file(
        db.session, dossier=dossier, user=current_user, stored=stored, filename=name
    )
    return jsonify(
        id=staged.id, name=staged.filename, size=staged.size,
        delete_url=url_for("attachments.delete_attachment", dossier_id=dossier.id,
                           staged_id=staged.id),
    ), 201  # fmt: skip


@bp.route("/dossiers/<int:dossier_id>/attachments/<int:staged_id>/delete", methods=["POST"])
def delete_attachment(dossier_id: int, staged_id: int):
    """The bin next to an uploaded attachment: only the writer's own staged file."""
    dossier = get_dossier_for(db.session, dossier_id, current_user)
    try:
        remove_staged_file(
            db.session, user=current_user, dossier_id=dossier.id, staged_id=staged_id
        )
    except NotFound:
        return jsonify(error=_("Deze bijlage bestaat niet (meer).")), 404
    return jsonify(deleted=staged_id)
