"""Activation and password links (notary manual §1.1 and §1.2): ask for a link, set a password
through it, and the live strength hint on the password form.

The link's first request trades its token for the link's id in the session and redirects to
the same address without it: the token is then in no later request line, log, browser history
or Referer (the request logs mask it in that first line too: webapp/logmasking.py)."""

from __future__ import annotations

from flask import current_app, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from casemodel.services.account_links import (
    check_link,
    check_token,
    office_name_for,
    request_password_link,
    set_password_through_link,
)
from casemodel.services.errors import InvalidToken, WeakPassword
from casemodel.services.passwords import MAX_LENGTH, judge_password
from webapp.auth import bp
from webapp.auth.forms import NewPasswordForm, RequestLinkForm
from webapp.auth.identity import begin_login
from webapp.auth.passwords import explain, repeat_differs, strength_label
from webapp.auth.routes import ask_second_factor
from webapp.background import background_call, signed_out_answer
from webapp.extensions import answer_no_sooner_than, db, limiter
from webapp.outbox import deliver_after_commit

SET_PASSWORD_ENDPOINTS = {"activation": "auth.activate", "reset": "auth.reset_password"}
#: The pages the links lead to once their token has been traded for the session's state.
FORM_ENDPOINTS = {"activation": "auth.activation_form", "reset": "auth.reset_form"}
#: The opened link in the session: {"id": <AccountToken id>, "purpose": ...}.
LINK_KEY = "set_password_link"
#: A link request is answered this long after it arrives, known address or not.
LINK_ANSWER_SECONDS = 0.25


def external_url(endpoint: str, **values) -> str:
    """An absolute link for a mail: built on the configured BASE_URL, never on the request's Host
    header, so that links are right behind a proxy and cannot be pointed elsewhere."""
    return current_app.config["BASE_URL"].rstrip("/") + url_for(endpoint, **values)


@bp.route("/account/start", methods=["GET", "POST"], endpoint="start_account")
@bp.route("/password/forgot", methods=["GET", "POST"], endpoint="forgot_password")
@limiter.limit("10 per minute; 50 per hour", methods=["POST"])
def request_link():
    first_time = request.endpoint == "auth.start_account"
    form = RequestLinkForm()
    if form.validate_on_submit():
        # The same answer whether the address is known, and as late: a known one costs a
        # token, a mail and its delivery.
        answer_no_sooner_than(LINK_ANSWER_SECONDS)
        # The service decides the purpose (activation or reset) from the account.
        request_password_link(
            db.session,
            email=form.email.data,
            link_for=lambda token, purpose: external_url(
                SET_PASSWORD_ENDPOINTS[purpose], token=token
            ),
        )
        deliver_after_commit()
        return render_template("auth/link_sent.html", email=form.email.data)
    return render_template("auth/request_link.html", form=form, first_time=first_time)


@bp.route("/account/activate/<token>", endpoint="activate")
@bp.route("/password/reset/<token>", endpoint="reset_password")
def open_link(token: str):
    """A link from a mail: its token for the link's id in the session, then the form at an
    address without the token."""
    purpose = "activation" if request.endpoint == "auth.activate" else "reset"
    try:
        row = check_token(db.session, token=token, purpose=purpose)
    except InvalidToken as exc:
        return render_template("auth/link_invalid.html", reason=exc.reason), 410
    session[LINK_KEY] = {"id": row.id, "purpose": purpose}
    return redirect(url_for(FORM_ENDPOINTS[purpose]))


@bp.route("/account/activate", methods=["GET", "POST"], endpoint="activation_form")
@bp.route("/password/reset", methods=["GET", "POST"], endpoint="reset_form")
def set_password():
    purpose = "activation" if request.endpoint == "auth.activation_form" else "reset"
    try:
        row = check_link(db.session, link_id=_opened_link(purpose), purpose=purpose)
    except InvalidToken as exc:
        return render_template("auth/link_invalid.html", reason=exc.reason), 410
    form = NewPasswordForm()
    problems: list[str] = []
    if form.validate_on_submit():
        problems = repeat_differs(form)
        if not problems:
            try:
                user = set_password_through_link(
                    db.session,
                    link_id=row.id,
                    purpose=purpose,
                    password=form.password.data,
                    portal_link=external_url("auth.login"),
                )
            except WeakPassword as exc:
                problems = explain(exc.verdict)
            else:
                deliver_after_commit()
                flash(_("Uw wachtwoord is ingesteld."), "success")
                # On into the second factor (set it up, the first time); then, the first time,
                # "Mijn gegevens" (notary manual §1.1).
                begin_login(user)  # a new session: the opened link goes with the old one
                if purpose == "activation" and not user.is_staff:
                    session["after_login"] = url_for("portal.my_details")
                return ask_second_factor(user)
    return render_template(
        "auth/set_password.html",
        form=form,
        problems=problems,
        purpose=purpose,
        user=row.user,
        max_length=MAX_LENGTH,
    )


def _opened_link(purpose: str) -> int:
    """The id of the link this browser opened for the purpose (0: none)."""
    opened = session.get(LINK_KEY)
    if isinstance(opened, dict) and opened.get("purpose") == purpose:
        return int(opened.get("id") or 0)
    return 0


@bp.route("/password/strength", methods=["POST"])
@limiter.limit("60 per minute")
@background_call
def password_strength():
    """The live hint under the password field: how strong, and what is wrong, judged by the same
    rules as the form. Judging needs the account (its name and e-mail are context): the opened
    link's, or for "change" (Mijn gegevens) the signed-in user's, whose ended session answers
    401 like every script call."""
    password = request.form.get("password", "")
    context: tuple[str, ...] = ()
    purpose = request.form.get("purpose", "")
    if purpose == "change":
        if not current_user.is_authenticated:
            return signed_out_answer()
        context = (office_name_for(current_user), current_user.name, current_user.email)
    elif purpose in SET_PASSWORD_ENDPOINTS:
        try:
            user = check_link(db.session, link_id=_opened_link(purpose), purpose=purpose).user
            context = (office_name_for(user), user.name, user.email)
        except InvalidToken:
            pass
    verdict = judge_password(password, context=context)
    return jsonify(
        score=verdict.score,
        # A refused password is never called more than weak, whatever the estimator's score.
        label=strength_label(verdict.score if verdict.acceptable else min(verdict.score, 1)),
        acceptable=verdict.acceptable,
        problems=explain(verdict),
    )
