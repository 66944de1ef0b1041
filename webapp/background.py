"""Calls the pages' scripts make to the portal, and how they see the session.

- A **background call** (the progress poll, the password strength hint, the session check) is
  marked with `@background_call`: it reads the session without renewing its idle timer, so a
  page left open on an unattended computer does not keep the session alive (only what a person
  does renews it: casemodel.services.sessions.find_session(touch=False)).
- A **script call** is any request a script makes (a background call, an upload, a bin): when
  the session has ended, it is answered 401 with a small JSON body, never with a redirect to the
  login page (a script following it would take the login page's HTML as its answer). The
  scripts (webapp/static/session.js) then show "U bent uitgelogd" with a link to log in again,
  and leave whatever was typed on the page.
"""

from __future__ import annotations

from flask import current_app, jsonify, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import login_url

#: The attribute on a view function that marks it as a background call.
MARK = "dossierflow_background_call"


def background_call(view):
    """Mark a view as a background call: it neither renews the idle timer nor redirects."""
    setattr(view, MARK, True)
    return view


def is_background_call() -> bool:
    """Whether the current request is for a view marked as a background call."""
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, MARK, False))


def is_script_call() -> bool:
    """Whether a script made this request: a background call, or one that asks for JSON or says
    it comes from a script (fetch/XMLHttpRequest), as the pages' scripts all do."""
    return (
        is_background_call()
        or request.accept_mimetypes.best == "application/json"
        or request.headers.get("X-Requested-With") in ("fetch", "XMLHttpRequest")
    )


def signed_out_answer():
    """401 and a small JSON body: the session has ended (or never was)."""
    return jsonify(
        error="signed_out",
        message=_("U bent uitgelogd."),
        login_url=url_for("auth.login"),
    ), 401


def unauthorized():
    """Flask-Login's answer to a request that needs a session it does not have: 401 JSON for a
    script, the login page (with the way back) for a person."""
    if is_script_call():
        return signed_out_answer()
    return redirect(login_url("auth.login", next_url=request.url))
