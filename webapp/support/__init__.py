""""Ondersteuning" (accountancy manual): whom a client turns to with questions about the portal
or their dossiers, as their office keeps it: the organisation's relationship manager (else its
contact person) and the office's support desk. The office maintains them on its settings page
and on the organisation's page (webapp/office/settings.py, organisations.py)."""

from flask import Blueprint, abort, g, render_template
from flask_login import current_user

from webapp.audience import require_login

bp = Blueprint("support", __name__, template_folder="templates")
bp.before_request(require_login)


@bp.route("/support")
def show_support():
    if current_user.is_staff:
        abort(404)  # the office keeps these on its settings page
    organisation = g.get("organisation")
    if organisation is None:
        abort(404)
    return render_template(
        "support/support.html",
        organisation=organisation,
        office=organisation.office,
        manager=organisation.relationship_manager or organisation.contact_person,
    )
