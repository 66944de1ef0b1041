"""What the client is asked to do, in one list: open questionnaires, upload requests and
approvals of the organisation they act for that this person may do. "Acties" lists them, and
the dossier pages say from them who acts next ("Uw actie" or "Kantoor is bezig")."""

from __future__ import annotations

from sqlalchemy.orm import Session

from casemodel.models import User
from casemodel.queries.approvals import approval_actions
from casemodel.queries.questionnaires import Action, action_order, open_actions


def client_actions(session: Session, user: User, organisation_id: int | None) -> list[Action]:
    """Every open action of the organisation this person may do, the first due first (those
    without a due date after them, oldest first)."""
    actions = open_actions(session, user, organisation_id)
    actions += approval_actions(session, user, organisation_id)
    return sorted(actions, key=action_order)


def actions_per_dossier(actions: list[Action]) -> dict[int, list[Action]]:
    """The actions by dossier id, each dossier's in the order given."""
    found: dict[int, list[Action]] = {}
    for action in actions:
        found.setdefault(action.dossier.id, []).append(action)
    return found
