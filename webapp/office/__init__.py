"""The office's pages: dossiers, opening one, a dossier's page, my steps, client accounts,
organisations and people, proposed changes, failures. The office's settings have a blueprint
of their own (webapp/office_settings). The features on a dossier's
page (documents, messages) and the archive have blueprints of their own, shared with the
clients' portal."""

from flask import Blueprint, abort
from flask_login import current_user, login_required

bp = Blueprint("office", __name__, template_folder="templates")


@bp.before_request
@login_required
def require_staff():
    if not current_user.is_staff:
        abort(404)  # clients do not learn that office pages exist


from webapp.office import (  # noqa: E402, F401
    failures,
    limits,
    news,
    organisations,
    people,
    proposals,
    routes,
)
