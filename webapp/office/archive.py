"""The office's archive of the files clients uploaded into their organisation's "Upload" folder."""

from flask import render_template, request
from flask_login import current_user

from casemodel.queries.archive import get_archived_file_for, office_archive
from casemodel.services.audit import record_event
from webapp.extensions import db
from webapp.files import send_stored
from webapp.office import bp
from webapp.paging import paginate


@bp.route("/archive")
def list_archive():
    search = request.args.get("q", "")[:100]
    page = paginate(
        db.session, office_archive(current_user, search), request.args.get("page", 1, type=int)
    )
    return render_template("office/archive.html", page=page, search=search)


@bp.route("/archive/<int:archived_id>/download")
def download_archived_file(archived_id: int):
    archived = get_archived_file_for(db.session, archived_id, current_user)
    record_event(
        db.session, action="archive.downloaded", actor=current_user,
        detail={"archived_file_id": archived.id, "organisation_id": archived.organisation_id,
                "sha256": archived.sha256, "ip": request.remote_addr},
    )  # fmt: skip
    return send_stored(archived.sha256, archived.content_type, archived.filename)
