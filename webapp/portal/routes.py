from flask import abort, g, redirect, render_template, request, session, url_for
from flask_login import current_user

from casemodel.models import Dossier
from casemodel.queries.actions import actions_per_dossier
from casemodel.queries.documents import documents_in, folder_counts
from casemodel.queries.dossiers import (
    current_steps,
    dossier_counts,
    dossiers_for,
    get_dossier_for,
    progress_in,
    progress_of,
    statuses_in,
)
from casemodel.queries.messages import message_count
from webapp.audience import act_for, acting_organisation_id, memberships_of_current_user
from webapp.background import background_call
from webapp.client_actions import actions_of, open_action_count
from webapp.extensions import db
from webapp.messages.drafts import messages_page
from webapp.paging import Page, paginate
from webapp.portal import bp
from webapp.portal.next_action import action_url


@bp.app_context_processor
def _next_action() -> dict:
    return {"action_url": action_url}


@bp.route("/home")
def home():
    counts = dossier_counts(db.session, current_user, acting_organisation_id())
    return render_template("portal/home.html", counts=counts, actions=open_action_count())


@bp.route("/dossiers")
def list_dossiers():
    search = request.args.get("q", "")[:100]
    chosen = request.args.getlist("status")
    available = statuses_in(db.session, current_user, acting_organisation_id())
    statuses = [s for s in chosen if s in available]
    query = dossiers_for(
        current_user, organisation_id=acting_organisation_id(), search=search, statuses=statuses
    )
    page = paginate(db.session, query, request.args.get("page", 1, type=int))
    if page.total == 1 and not search and not statuses and page.number == 1:
        # The notary manual: with one dossier, "Dossiers" opens it directly.
        return redirect(url_for("portal.show_dossier", dossier_id=page.items[0].id))
    ids = [d.id for d in page.items]
    return render_template(
        "portal/dossiers.html",
        page=page,
        search=search,
        statuses=statuses,
        available_statuses=available,
        progress=progress_of(db.session, ids),
        current=current_steps(db.session, ids),
        actions=actions_per_dossier(actions_of(acting_organisation_id())),
    )


TABS = ("correspondence", "documents", "supplied", "messages")
#: A dossier may hold hundreds of documents; a tab shows them a page at a time.
DOCUMENTS_PER_PAGE = 50


@bp.route("/dossiers/<int:dossier_id>")
def show_dossier(dossier_id: int):
    dossier = get_dossier_for(db.session, dossier_id, current_user, with_steps=True)
    _switch_to(dossier)
    tab = request.args.get("tab") if request.args.get("tab") in TABS else "correspondence"
    counts = folder_counts(db.session, dossier.id, current_user)
    counts["messages"] = message_count(db.session, dossier.id, current_user)
    if tab == "messages":
        shown = messages_page(dossier, total=counts["messages"].total)
    else:
        shown = {"documents": _documents_page(dossier, tab, counts[tab].total)}
    return render_template(
        "portal/dossier.html",
        dossier=dossier,
        progress=progress_in(dossier),
        actions=_actions_in(dossier),
        tab=tab,
        tabs=TABS,
        counts=counts,
        **shown,
    )


def _documents_page(dossier: Dossier, folder: str, total: int) -> Page:
    """One page of a folder's documents; the tab's count is the total, so no second count."""
    size = DOCUMENTS_PER_PAGE
    number = min(max(1, request.args.get("page", 1, type=int)), max(1, -(-total // size)))
    rows = documents_in(
        db.session, dossier.id, folder, current_user, limit=size, offset=(number - 1) * size
    )
    return Page(rows, number, size, total)


@bp.route("/dossiers/<int:dossier_id>/progress")
@background_call
def show_progress(dossier_id: int):
    """The progress block alone, fetched every few seconds by the dossier page."""
    dossier = get_dossier_for(db.session, dossier_id, current_user, with_steps=True)
    return render_template(
        "portal/_progress.html",
        dossier=dossier,
        progress=progress_in(dossier),
        actions=_actions_in(dossier),
    )


def _actions_in(dossier: Dossier) -> list:
    """What waits for this client in the dossier (queries.actions.client_actions)."""
    return actions_per_dossier(actions_of(dossier.organisation_id)).get(dossier.id, [])


@bp.route("/details")
def my_details():
    return render_template("portal/details.html", memberships=memberships_of_current_user())


@bp.route("/organisation", methods=["POST"])
def switch_organisation():
    wanted = request.form.get("organisation_id", type=int)
    if wanted not in {m.organisation_id for m in memberships_of_current_user()}:
        abort(404)
    act_for(wanted)
    return redirect(url_for("portal.home"))


def _switch_to(dossier: Dossier) -> None:
    """Opening a dossier of another of the user's organisations acts for that organisation."""
    if g.organisation is None or g.organisation.id != dossier.organisation_id:
        session["organisation_id"] = dossier.organisation_id  # remembered at the next POST
        g.organisation = dossier.organisation
