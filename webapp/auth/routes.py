"""Login with e-mail and password. The second factor slots in between `authenticate` and
`login_user` (see docs/DESIGN-notes.md, "Login"): a user is logged in only once every factor
is done."""

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from casemodel.services.accounts import authenticate
from casemodel.services.audit import record_event
from webapp.auth import bp
from webapp.auth.forms import LoginForm
from webapp.extensions import db
from webapp.urls import LOCALES, same_origin


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(db.session, email=form.email.data, password=form.password.data)
        if user is None:
            record_event(
                db.session,
                action="auth.login_failed",
                actor=None,
                detail={"ip": request.remote_addr},
            )
            flash(_("Het e-mailadres of wachtwoord is onjuist."), "error")
            return render_template("auth/login.html", form=form), 200
        locale = session.get("locale")
        session.clear()  # nothing of the anonymous session carries over into the logged-in one
        if locale in LOCALES:
            # The language picked on the login page is the one the person wants from now on.
            session["locale"] = user.locale = locale
        login_user(user)
        record_event(
            db.session, action="auth.login", actor=user, detail={"ip": request.remote_addr}
        )
        return redirect(same_origin(request.args.get("next")) or url_for("index"))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    record_event(db.session, action="auth.logout", actor=current_user)
    logout_user()
    session.clear()
    flash(_("U bent uitgelogd."), "info")
    return redirect(url_for("auth.login"))
