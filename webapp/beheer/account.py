""""Mijn account" (accountancy manual, "Beheer"): a person's own details. Name, phone number
and address are theirs to change (a proposal the office reviews, or at once, as the office
chose); the e-mail address and mobile number only an administrator changes ("Mijn
gebruikers"). The person sees what waits for the office, and what the office said."""

from flask import flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from casemodel.queries.people import proposals_about
from casemodel.services.memberships import administers_all_of
from casemodel.services.proposals import (
    pending_changes,
    propose_person_changes,
    withdraw_proposal,
)
from webapp.beheer import bp
from webapp.beheer.views import submitted, typed
from webapp.extensions import db
from webapp.people_forms import PersonDetailsForm


@bp.route("/")
def index():
    return redirect(url_for("beheer.my_account"))


@bp.route("/account", methods=["GET", "POST"])
def my_account():
    person = current_user._get_current_object()
    form = PersonDetailsForm(obj=person)
    if submitted(form, lambda: propose_person_changes(
        db.session, person=person, organisation_id=g.organisation.id,
        values=typed(form, form.FIELDS), actor=person, fields=form.FIELDS,
    )):  # fmt: skip
        return redirect(url_for("beheer.my_account"))
    return render_template(
        "beheer/account.html",
        form=form,
        person=person,
        pending=pending_changes(db.session, person=person),
        proposals=proposals_about(db.session, person=person),
        may_change_contact=administers_all_of(db.session, person, person),
    ), 422 if form.errors else 200


@bp.route("/proposals/<int:proposal_id>/withdraw", methods=["POST"])
def withdraw(proposal_id: int):
    """Take back one's own proposal while the office has not looked at it yet."""
    withdraw_proposal(db.session, proposal_id=proposal_id, actor=current_user)
    flash(_("Uw voorstel is ingetrokken. De huidige gegevens blijven gelden."), "success")
    return redirect(url_for("beheer.my_account"))
