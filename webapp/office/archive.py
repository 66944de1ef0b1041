"""The office's archive of the files clients uploaded into their organisation's "Upload" folder."""

from flask import render_template, request
from flask_login import current_user

from casemodel.queries.archive import get_archived_file_for, office_archive
from webapp.extensions import db
from webapp.files import download_archived
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
    return download_archived(get_archived_file_for(db.session, archived_id, current_user))
