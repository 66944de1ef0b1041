"""Friendly error pages; a domain NotFound (including "not yours") answers 404."""

from __future__ import annotations

from flask import Flask, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import Forbidden

from casemodel.services.errors import NotAllowed, NotFound
from casemodel.services.quotas import QuotaExceeded
from webapp.background import is_script_call, signed_out_answer
from webapp.extensions import db
from webapp.quota_messages import limit_refused


def register(app: Flask) -> None:
    @app.errorhandler(NotFound)
    @app.errorhandler(404)
    def not_found(_error):
        return render_template("errors/404.html"), 404

    @app.errorhandler(NotAllowed)
    @app.errorhandler(403)
    def forbidden(error):
        # A view may say why in the person's language (abort(403, description=_("..."))); the
        # domain's NotAllowed and werkzeug's stock text are for the log, not for the page.
        said = getattr(error, "description", None)
        reason = said if isinstance(error, Forbidden) and said != Forbidden.description else None
        return render_template("errors/403.html", reason=reason), 403

    @app.errorhandler(429)
    def too_many_requests(_error):
        return render_template("errors/429.html"), 429

    # A limit on what one account may create; the refusal's audit event is committed with
    # the answer (a 4xx), and nothing of what was refused was written (the services charge
    # before they write).
    app.register_error_handler(QuotaExceeded, limit_refused)

    @app.errorhandler(CSRFError)
    def bad_form_token(error):
        # Logging out (elsewhere) clears the form token's secret with the session: a script's
        # call from a page opened before, with the token that page was given, is answered as
        # signed out, as when the session ended. A call without any token stays a 400.
        sent_token = request.headers.get("X-CSRFToken") or request.form.get("csrf_token")
        if sent_token and is_script_call() and not current_user.is_authenticated:
            return signed_out_answer()
        return error

    @app.errorhandler(500)
    def server_error(_error):
        # A database error leaves the request's session failed: the page (its header asks
        # who is signed in) renders on a clean one, and nothing of the request is kept.
        db.rollback()
        return render_template("errors/500.html"), 500
