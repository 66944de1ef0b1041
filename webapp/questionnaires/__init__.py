"""Questionnaires in the portal and the office, one feature in one package: the client's
"Acties" (open questionnaires and requested files, their count on every page), filling a
questionnaire in page by page, its summary, the result with a print view; the office's
ad-hoc questionnaire, the answers and the PDF, and sending one back for rework.

One blueprint serves both audiences; each route says whom it is for (`for_clients`,
`for_staff`), and the other gets 404, as for every id that is not theirs. The domain rules are
in casemodel.services.questionnaires; the pages are drawn from forms' page views.
"""

from __future__ import annotations

from flask import Blueprint, g
from flask_login import current_user, login_required

from webapp.audience import active_organisation, for_clients, for_staff

bp = Blueprint("questionnaires", __name__, template_folder="templates")


@bp.before_request
@login_required
def _signed_in():
    if not current_user.is_staff:
        g.organisation = active_organisation()  # the page header's organisation switcher


from webapp.questionnaires import actions, context, filling, office  # noqa: E402, F401

__all__ = ["bp", "for_clients", "for_staff"]
