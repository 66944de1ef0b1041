""""Beheer" (accountancy manual): Mijn account, Mijn gebruikers and Mijn cliënten, for the
client's people. Everyone changes their own details ("Mijn account"); the organisation's
administrators manage its users and rights and its details. Who may do what is decided in
casemodel (services.rights, services.memberships, services.proposals); these pages only show
what the person may do, and hide the rest.
"""

from flask import Blueprint, abort, g
from flask_login import current_user, login_required

from casemodel.services.rights import Rights
from webapp.audience import active_organisation, memberships_of_current_user

bp = Blueprint("beheer", __name__, template_folder="templates", url_prefix="/beheer")


@bp.before_request
@login_required
def require_client():
    if current_user.is_staff:
        abort(404)  # the office has its own pages about organisations and people
    g.organisation = active_organisation()
    if g.organisation is None:
        abort(404)  # a client without any organisation has nothing to manage


@bp.record_once
def _template_helpers(state) -> None:
    from webapp.beheer.views import register

    register(state.app)


@bp.app_template_global("may")
def may(right: str) -> bool:
    """Whether the signed-in client holds the right in the organisation they act for, as the
    database says on this request: the pages hide what the person may not do (the services
    refuse it anyway)."""
    organisation = g.get("organisation")
    if not current_user.is_authenticated or current_user.is_staff or organisation is None:
        return False
    if "rights" not in g:  # from the memberships this request read already (the header's)
        membership = next(
            (m for m in memberships_of_current_user() if m.organisation_id == organisation.id),
            None,
        )
        g.rights = Rights.of(membership) if membership is not None else None
    return g.rights is not None and getattr(g.rights, right)


from webapp.beheer import account, clients, users  # noqa: E402, F401
