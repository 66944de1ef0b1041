"""`make demo` starts the portal at once, and the demo data comes a little later (the seed waits
for Prefect and its deployments). Until it is there, every page of the demo answers that the
demo is being prepared (503, reloading itself every two seconds) instead of a login that fails
for a user who does not exist yet. Only in the demo (DOSSIERFLOW_DEMO=1)."""

from __future__ import annotations

from flask import current_app, render_template, request
from sqlalchemy import select

from casemodel.models import User
from webapp.extensions import db

#: Pages served before the data is there: what the waiting page itself needs.
ALWAYS = frozenset({"static"})


def demo_seeded() -> bool:
    """The seed commits in one transaction (`flask demo seed`), so any account means it is done;
    remembered once true (the data never goes away while the portal runs)."""
    state = current_app.extensions.setdefault("demo_gate", {"seeded": False})
    if not state["seeded"]:
        state["seeded"] = db.session.scalar(select(User.id).limit(1)) is not None
    return state["seeded"]


def wait_for_the_seed():
    """before_request in the demo: the waiting page until the demo data is there."""
    if request.endpoint in ALWAYS or demo_seeded():
        return None
    response = current_app.make_response(
        (render_template("errors/demo_preparing.html"), 503, {"Retry-After": "2"})
    )
    return response
