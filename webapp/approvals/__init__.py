"""Approvals ("Accordering") in the portal and the office, one feature in one package: the
client's menu "Accordering" with "Accorderen" (what waits for them) and "Overzicht" (by year and
status), the four steps of approving a document (open it, "Akkoord" with the confirmation,
"Bevestiging & verzending" with the code, the result), "Vraag?" and "Niet akkoord", the
certificate; the office's part of a dossier's approvals (what waits, since when, the outcome,
the sending on) with withdrawing, another recipient, a retry, and putting a document up.

One blueprint serves both audiences; the office's routes are under /office/ (`for_staff`), the
client's answer 404 to staff (`for_clients`). The rules are in casemodel.services.approvals.
"""

from __future__ import annotations

from flask import Blueprint, g
from flask_login import current_user, login_required

from webapp.audience import active_organisation, for_clients, for_staff

bp = Blueprint("approvals", __name__, template_folder="templates")


@bp.before_request
@login_required
def _signed_in():
    if not current_user.is_staff:
        g.organisation = active_organisation()  # the page header's organisation switcher


from webapp.approvals import client, lists, office  # noqa: E402, F401
from webapp.approvals.context import template_context  # noqa: E402

bp.app_context_processor(template_context)

__all__ = ["bp", "for_clients", "for_staff"]
