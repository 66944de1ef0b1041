"""Which organisation a client acts for: a user may belong to several and switch."""

from __future__ import annotations

from flask import g, session
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from casemodel.models import Membership, Organisation
from webapp.extensions import db


def memberships_of_current_user() -> list[Membership]:
    """The user's memberships with their organisations, by organisation name; read once per
    request (the organisation switcher in the page header uses them too)."""
    if "memberships" not in g:
        g.memberships = list(
            db.session.scalars(
                select(Membership)
                .join(Membership.organisation)
                .options(contains_eager(Membership.organisation))
                .where(Membership.user_id == current_user.id)
                .order_by(Organisation.name)
            )
        )
    return g.memberships


def active_organisation() -> Organisation | None:
    """The organisation chosen in this session if the user still belongs to it (a revoked
    membership takes effect on the next request), else their first one."""
    memberships = memberships_of_current_user()
    chosen = session.get("organisation_id")
    for membership in memberships:
        if membership.organisation_id == chosen:
            return membership.organisation
    if memberships:
        session["organisation_id"] = memberships[0].organisation_id
        return memberships[0].organisation
    return None
