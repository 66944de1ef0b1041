"""Who is signed in, as the pages of every feature need it: a login before anything, the
organisation a client acts for (a user may belong to several and switch), and where the
dossier's own page is for them. Who may do what is decided in casemodel, not here."""

from __future__ import annotations

from functools import wraps

from flask import abort, g, request, session, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from casemodel.models import Dossier, Membership, Organisation
from webapp.extensions import db


@login_required
def require_login():
    """The before_request of every feature blueprint (documents, messages, attachments, upload
    requests, archive): signed in, and for a client the organisation they act for, which the
    page header shows and lets them switch."""
    if not current_user.is_staff:
        g.organisation = active_organisation()
        remember_organisation()


def remember_organisation() -> None:
    """A client who does something (a POST) for an organisation lands in it at their next
    login. Only then: a GET changes nothing (opening a dossier of another organisation switches
    the session only)."""
    organisation = g.get("organisation")
    if (
        request.method == "POST"
        and organisation is not None
        and current_user.last_organisation_id != organisation.id
    ):
        current_user.last_organisation_id = organisation.id


def memberships_of_current_user() -> list[Membership]:
    """The user's memberships with their organisations, by organisation name; read once per
    request (the organisation switcher in the page header uses them too)."""
    if "memberships" not in g:
        g.memberships = list(
            db.session.scalars(
                select(Membership)
                .join(Membership.organisation)
                # The office too: its theme is on every page (webapp.theming).
                .options(contains_eager(Membership.organisation).joinedload(Organisation.office))
                .where(Membership.user_id == current_user.id)
                .order_by(Organisation.name)
            )
        )
    return g.memberships


def active_organisation() -> Organisation | None:
    """The organisation chosen in this session if the user still belongs to it (a revoked
    membership takes effect on the next request); at the start of a session the one they used
    last (users.last_organisation_id), else their first one."""
    memberships = memberships_of_current_user()
    for chosen in (session.get("organisation_id"), current_user.last_organisation_id):
        for membership in memberships:
            if membership.organisation_id == chosen:
                session["organisation_id"] = chosen
                return membership.organisation
    if memberships:
        session["organisation_id"] = memberships[0].organisation_id
        return memberships[0].organisation
    return None


def acting_organisation_id() -> int:
    """The id of the organisation the client acts for; -1 without a membership, so that a
    query for it finds nothing rather than everything."""
    if "organisation" not in g:  # a page outside the portal's blueprints (auth's)
        g.organisation = active_organisation()
    return g.organisation.id if g.organisation else -1


def act_for(organisation_id: int) -> None:
    """From now on the client acts for this organisation (one of theirs: the caller checked),
    in this session and, remembered on the account, at their next login."""
    session["organisation_id"] = organisation_id
    current_user.last_organisation_id = organisation_id


def dossier_page_url(dossier: Dossier, tab: str | None = None) -> str:
    """The dossier's own page for the current user: the office's for staff (its messages are a
    section of it), the client's with the tab asked for."""
    if current_user.is_staff:
        anchor = "#messages" if tab == "messages" else ""
        return url_for("office.show_dossier", dossier_id=dossier.id) + anchor
    return url_for("portal.show_dossier", dossier_id=dossier.id, tab=tab)


def for_clients(view):
    """A route of a feature blueprint that is the client's own: staff get 404."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if current_user.is_staff:
            abort(404)
        return view(*args, **kwargs)

    return wrapper


def for_staff(view):
    """A route of a feature blueprint that is the office's own: clients get 404 (they do not
    learn that office pages exist)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_staff:
            abort(404)
        return view(*args, **kwargs)

    return wrapper
