"""The queue of proposed changes (issue 17, section 3): what clients proposed to their own or
their organisation's details, oldest first, with its count in the office's menu; a proposal's
page shows each field as it is now, as it was when proposed, and as proposed, and the office
accepts it (it takes effect now) or rejects it with a remark the client sees."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from casemodel.queries.people import pending_proposal_count, proposal_queue
from casemodel.services.errors import InvalidState
from casemodel.services.proposals import (
    EmailTaken,
    RemarkRequired,
    get_proposal_for,
    review_proposal,
)
from webapp.extensions import db
from webapp.office import bp
from webapp.outbox import deliver_after_commit
from webapp.paging import paginate
from webapp.people_forms import ReviewForm


@bp.app_template_global("office_pending_proposals")
def office_pending_proposals() -> int:
    return pending_proposal_count(db.session, current_user)


@bp.route("/proposals")
def list_proposals():
    mine = request.args.get("mine") == "1"
    page = paginate(
        db.session, proposal_queue(current_user, mine_only=mine),
        request.args.get("page", 1, type=int),
    )  # fmt: skip
    return render_template("office/proposals.html", page=page, mine=mine)


def _review_page(proposal, form, status: int = 200):
    subject = proposal.user if proposal.user_id is not None else proposal.organisation
    return render_template(
        "office/proposal.html", proposal=proposal, subject=subject, form=form
    ), status


@bp.route("/proposals/<int:proposal_id>")
def show_proposal(proposal_id: int):
    proposal = get_proposal_for(db.session, proposal_id, current_user)
    return _review_page(proposal, ReviewForm(formdata=None))


@bp.route("/proposals/<int:proposal_id>/review", methods=["POST"])
def review(proposal_id: int):
    proposal = get_proposal_for(db.session, proposal_id, current_user)
    form = ReviewForm()
    if not form.validate_on_submit():
        return _review_page(proposal, form, 422)
    accept = request.form.get("decision") == "accept"
    try:
        review_proposal(db.session, proposal_id=proposal.id, accept=accept,
                        remark=form.remark.data or "", actor=current_user)  # fmt: skip
    except RemarkRequired:
        form.remark.errors.append(_("Schrijf bij het afwijzen op waarom; de cliënt ziet dit."))
        return _review_page(proposal, form, 422)
    except EmailTaken:
        form.remark.errors.append(
            _("Het nieuwe e-mailadres hoort intussen bij een ander account. Wijs het voorstel "
              "af met een toelichting.")
        )  # fmt: skip
        return _review_page(proposal, form, 409)
    except InvalidState:
        flash(_("Dit voorstel is al beoordeeld."), "info")
        return redirect(url_for("office.list_proposals"))
    deliver_after_commit()
    flash(_("Het voorstel is verwerkt.") if accept else _("Het voorstel is afgewezen."), "success")
    return redirect(url_for("office.list_proposals"))
