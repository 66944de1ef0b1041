"""The client's "Acties" (notary manual, Acties): what the office asks of the organisation the
client acts for (questionnaires, requested files, and the documents waiting for this person's
approval), the first due first. Its count is in the menu of every page."""

from __future__ import annotations

from flask import render_template

from forms import office_today
from webapp.client_actions import actions_of
from webapp.questionnaires import bp, for_clients


@bp.route("/actions")
@for_clients
def list_actions():
    return render_template(
        "questionnaires/actions.html", actions=actions_of(), today=office_today()
    )
