"""The client's menu "Accordering": "Accorderen" (what waits for their approval) and
"Overzicht" (everything of the organisation, by year and status)."""

from __future__ import annotations

from flask import render_template, request
from flask_login import current_user

from casemodel.queries.approvals import OVERVIEW_STATUSES, overview, waiting_for, years_of
from casemodel.services.approvals import may_approve
from forms import office_today
from webapp.approvals import bp, for_clients
from webapp.audience import acting_organisation_id
from webapp.extensions import db


@bp.route("/approvals")
@for_clients
def list_waiting():
    organisation_id = acting_organisation_id()
    return render_template(
        "approvals/waiting.html",
        requests=waiting_for(db.session, current_user, organisation_id),
        may_approve=may_approve(db.session, current_user, organisation_id),
        today=office_today(),
    )


@bp.route("/approvals/overview")
@for_clients
def show_overview():
    organisation_id = acting_organisation_id()
    years = years_of(db.session, current_user, organisation_id)
    year = request.args.get("year", type=int)
    year = year if year in years else None
    status = request.args.get("status")
    status = status if status in OVERVIEW_STATUSES else None
    return render_template(
        "approvals/overview.html",
        requests=overview(db.session, current_user, organisation_id, year=year, status=status),
        years=years,
        year=year,
        status=status,
        statuses=OVERVIEW_STATUSES,
    )
