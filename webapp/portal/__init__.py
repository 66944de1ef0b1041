"""The client's portal: Home, dossiers, a dossier's page, my details, switching organisation.
The features on a dossier's page (documents, messages, upload requests) and the organisation's
folders have blueprints of their own, shared with the office."""

from flask import Blueprint, g, redirect, url_for
from flask_login import current_user, login_required

from webapp.audience import active_organisation, remember_organisation

bp = Blueprint("portal", __name__, template_folder="templates")


@bp.before_request
@login_required
def require_client():
    if current_user.is_staff:
        return redirect(url_for("office.list_dossiers"))
    g.organisation = active_organisation()
    remember_organisation()
    return None


from webapp.portal import invitations, news, routes  # noqa: E402, F401
