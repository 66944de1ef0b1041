"""Invitations from an office to one more client organisation, on Home: accepted or declined by
the person signed in (casemodel.services.invitations)."""

from flask import flash, redirect, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from casemodel.services.invitations import accept_invitation, decline_invitation, open_invitations
from webapp.auth.identity import logout
from webapp.extensions import db
from webapp.portal import bp


@bp.app_template_global("open_invitations")
def invitations_of_current_user():
    return open_invitations(db.session, current_user)


@bp.route("/invitations/<int:invitation_id>/accept", methods=["POST"])
def accept(invitation_id: int):
    membership = accept_invitation(db.session, invitation_id=invitation_id, user=current_user)
    session["organisation_id"] = membership.organisation_id  # on to what they just accepted
    flash(_("U heeft nu toegang tot %(organisation)s.",
            organisation=membership.organisation.name), "success")  # fmt: skip
    return redirect(url_for("portal.home"))


@bp.route("/invitations/<int:invitation_id>/decline", methods=["POST"])
def decline(invitation_id: int):
    if decline_invitation(db.session, invitation_id=invitation_id, user=current_user):
        # The account belonged to no organisation but for this invitation: it is closed, and
        # this session with it.
        logout(current_user, reason="declined")
        flash(_("De uitnodiging is afgewezen. Uw account hoort nu bij geen enkele organisatie "
                "en is gesloten; geeft een kantoor u later toegang, dan gaat het weer open."),
              "info")  # fmt: skip
        return redirect(url_for("auth.login"))
    flash(_("De uitnodiging is afgewezen. Er is niets veranderd."), "info")
    return redirect(url_for("portal.home"))
