"""What the office sees of the limits on what accounts create (casemodel.services.quotas): the
accounts refused lately, on the Accounts page."""

from flask_babel import gettext as _
from flask_login import current_user

from casemodel.queries.quotas import limit_hits
from webapp.extensions import db
from webapp.office import bp


@bp.app_template_global("office_limit_hits")
def office_limit_hits():
    return limit_hits(db.session, current_user)


@bp.app_template_global("limit_name")
def limit_name(limit: str) -> str:
    """A limit's name as the office reads it."""
    return {
        "messages": _("Berichten per uur"),
        "uploads": _("Bestanden per uur"),
        "questionnaire_saves": _("Vragenlijst opslaan per uur"),
        "approval_codes": _("Accordeercodes per uur"),
        "invitations": _("Uitnodigingen per uur"),
    }.get(limit, limit)
