"""Who acts next on a dossier, as the client's pages say it: "Uw actie" with a link to what
they must do, or "Kantoor is bezig". What waits for this client is casemodel's
(queries.actions.client_actions: questionnaires, upload requests, approvals, by their rights);
where each kind of action is done is the portal's."""

from __future__ import annotations

from collections.abc import Callable

from flask import url_for

from casemodel.queries.actions import Action

#: Where the client does an action of each kind. A feature that adds a kind of client action
#: adds its page here (and its action to queries.actions.client_actions).
TASK_PAGES: dict[str, Callable[[Action], str]] = {
    "upload_request": lambda action: url_for("portal.show_dossier", dossier_id=action.dossier.id)
    + "#requests",
    "questionnaire": lambda action: url_for("questionnaires.fill", questionnaire_id=action.id),
    "approval": lambda action: url_for("approvals.show_approval", approval_id=action.id),
}


def action_url(action: Action) -> str:
    """The page where the client does the action (the dossier's page for a kind not listed)."""
    page = TASK_PAGES.get(action.kind)
    return page(action) if page else url_for("portal.show_dossier", dossier_id=action.dossier.id)
