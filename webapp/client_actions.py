"""What the client is asked to do, read once per request: the "Acties" list of an organisation
(casemodel.queries.actions.client_actions). The menu's count, Home's tiles, the "Accorderen"
count, "Acties" itself and the dossier pages all show it, so they cannot disagree, and a page
that shows several of them reads it once."""

from __future__ import annotations

from flask import g
from flask_login import current_user

from casemodel.queries.actions import Action, client_actions
from webapp.audience import acting_organisation_id
from webapp.extensions import db


def actions_of(organisation_id: int | None = None) -> list[Action]:
    """The open actions this client may do in the organisation (by default the one they act
    for); none for staff."""
    if organisation_id is None:
        organisation_id = acting_organisation_id()
    read = g.setdefault("client_actions", {})
    if organisation_id not in read:
        read[organisation_id] = (
            [] if current_user.is_staff
            else client_actions(db.session, current_user, organisation_id)
        )  # fmt: skip
    return read[organisation_id]


def open_action_count() -> int:
    """The menu's and Home's "Acties" count."""
    return len(actions_of())


def approvals_waiting(organisation_id: int | None = None) -> int:
    """How many documents wait for this client's approval."""
    return sum(1 for action in actions_of(organisation_id) if action.kind == "approval")
