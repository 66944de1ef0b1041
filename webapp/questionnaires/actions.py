"""The client's "Acties" (notary manual, Acties): what the office asks of the organisation the
client acts for (questionnaires, requested files, and the documents waiting for this person's
approval), the first due first. Its count is in the menu of every page."""

from __future__ import annotations

from flask import g, render_template
from flask_login import current_user

from casemodel.queries.actions import client_actions
from forms import office_today
from webapp.extensions import db
from webapp.questionnaires import bp, for_clients


@bp.route("/actions")
@for_clients
def list_actions():
    organisation = g.get("organisation")
    organisation_id = organisation.id if organisation else -1
    actions = client_actions(db.session, current_user, organisation_id)
    return render_template("questionnaires/actions.html", actions=actions, today=office_today())
