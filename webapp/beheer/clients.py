""""Mijn cliënten" (accountancy manual, "Beheer"): the organisations the person belongs to, with
their details; an administrator of one changes its address, KvK number, VAT number and IBAN
(a proposal the office reviews, or at once, as the office chose)."""

from flask import redirect, render_template, url_for
from flask_login import current_user

from casemodel.queries.people import get_organisation_for, memberships_of, proposals_about
from casemodel.services.proposals import pending_changes, propose_organisation_changes
from casemodel.services.rights import has_right
from webapp.beheer import bp
from webapp.beheer.views import submitted, typed
from webapp.extensions import db
from webapp.people_forms import OrganisationDetailsForm


@bp.route("/clients")
def list_clients():
    memberships = memberships_of(db.session, current_user)
    return render_template(
        "beheer/clients.html",
        memberships=memberships,
        pending={
            m.organisation_id: pending_changes(db.session, organisation=m.organisation)
            for m in memberships
        },
    )


@bp.route("/clients/<int:organisation_id>", methods=["GET", "POST"])
def show_client(organisation_id: int):
    organisation = get_organisation_for(db.session, organisation_id, current_user)
    administers = has_right(db.session, current_user, organisation.id, "administer")
    form = OrganisationDetailsForm(obj=organisation)
    # services.proposals refuses anyone but an administrator (403).
    if submitted(form, lambda: propose_organisation_changes(
        db.session, organisation=organisation, values=typed(form, form.FIELDS),
        actor=current_user,
    )):  # fmt: skip
        return redirect(url_for("beheer.show_client", organisation_id=organisation.id))
    return render_template(
        "beheer/client.html",
        organisation=organisation,
        form=form,
        administers=administers,
        pending=pending_changes(db.session, organisation=organisation),
        proposals=proposals_about(db.session, organisation=organisation),
    ), 422 if form.errors else 200
