"""Login: e-mail and password, then a code by SMS or from an authenticator app (accountancy
manual, "Inloggen" and "Authenticator"), or a recovery code. A user who has no second factor yet
sets one up here before getting in. See webapp/auth/identity.py for the state machine."""

import datetime as dt
import time

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from casemodel.services.accounts import (
    LOCK_DURATION,
    MAX_PASSWORD_LENGTH,
    authenticate,
    is_trusted_device,
)
from casemodel.services.audit import record_event
from casemodel.services.errors import InvalidState
from casemodel.services.office_settings import claim_authenticator_offer
from casemodel.services.second_factor import (
    LOGIN_METHODS,
    CodeCheck,
    check_login_code,
    has_recovery_codes,
    provisioning_uri,
    regenerate_recovery_codes,
    second_factor_required,
    send_sms_code,
    totp_secret_being_set_up,
)
from webapp.auth import bp, enrolment
from webapp.auth.forms import CodeForm, LoginForm
from webapp.auth.identity import (
    abandon_login,
    begin_login,
    current_session_row,
    finish_login,
    logout,
    pending_login,
    trusted_device,
)
from webapp.auth.qr import qr_svg
from webapp.extensions import db, limiter
from webapp.urls import LOCALES, same_origin

#: After an SMS login the authenticator is offered for this long (seconds), without the password
#: again; the session key holds when the SMS code was proved.
OFFER_KEY = "offer_authenticator_at"
OFFER_WINDOW = 10 * 60


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("20 per minute; 200 per hour", methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("index"))
    form = LoginForm()
    if request.method == "POST" and len(request.form.get("password", "")) > MAX_PASSWORD_LENGTH:
        # No hashing of megabytes: refused at once, with the same words as a wrong password.
        flash(_("Het e-mailadres of wachtwoord is onjuist."), "error")
        return render_template("auth/login.html", form=form), 400
    if form.validate_on_submit():
        user = authenticate(
            db.session,
            email=form.email.data,
            password=form.password.data,
            trusted_device=trusted_device(),
        )
        if user is None:
            record_event(db.session, action="auth.login_failed", actor=None,
                         detail={"ip": request.remote_addr})  # fmt: skip
            flash(_("Het e-mailadres of wachtwoord is onjuist."), "error")
            return render_template("auth/login.html", form=form)
        chosen_locale = session.get("locale")
        if chosen_locale in LOCALES:
            # The language picked on the login page is the one the person wants from now on.
            user.locale = chosen_locale
        next_page = same_origin(request.args.get("next"))
        begin_login(user)
        if next_page:
            session["after_login"] = next_page
        return ask_second_factor(user)
    return render_template("auth/login.html", form=form)


def ask_second_factor(user):
    """After the password: the code step, the set-up of a first factor, or straight in."""
    if user.second_factor is None:
        if second_factor_required(user):
            return redirect(url_for("auth.setup_second_factor"))
        finish_login(user, None)
        return _after_login(user)
    if user.second_factor == "sms":
        _send_login_sms(user)
    return redirect(url_for("auth.enter_code"))


def _send_login_sms(user) -> None:
    try:
        send_sms_code(db.session, user=user, purpose="login")
    except InvalidState:
        flash(_("Er is net een code verstuurd; wacht een halve minuut voor een nieuwe."), "info")


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"])
def enter_code():
    pending = pending_login()
    if pending is None:
        flash(_("Log opnieuw in."), "info")
        return redirect(url_for("auth.login"))
    _row, user = pending
    method = request.values.get("method") or user.second_factor
    if method not in LOGIN_METHODS or (method == "totp" and not user.totp_secret_sealed):
        method = user.second_factor or "recovery"
    form = CodeForm()
    if form.validate_on_submit():
        outcome = check_login_code(
            db.session, user=user, method=method, code=form.code.data,
            trusted_device=is_trusted_device(user, trusted_device()),
        )  # fmt: skip
        result = outcome.check
        if result is CodeCheck.OK:
            finish_login(user, method)
            if method == "sms" and claim_authenticator_offer(db.session, user):
                session[OFFER_KEY] = int(time.time())
                return redirect(url_for("auth.offer_authenticator"))
            return _after_login(user)
        if outcome.login_ended:
            abandon_login("too_many_codes")
            flash(_("Te vaak een verkeerde code. Log opnieuw in."), "error")
            return redirect(url_for("auth.login"))
        if result is CodeCheck.EXPIRED:
            reason = _("Deze code is verlopen of al gebruikt. Vraag een nieuwe code aan.")
        elif result is CodeCheck.REPLAYED:
            reason = _("Deze code is al gebruikt. Wacht op de volgende code in uw app.")
        else:
            reason = _("De code is onjuist.")
        flash(f"{reason} {tries_left_message(outcome.tries_left)}".strip(), "error")
    return render_template(
        "auth/login_code.html", form=form, method=method, user=user,
        can_use_sms=bool(user.code_number), can_use_totp=bool(user.totp_secret_sealed),
    )  # fmt: skip


def tries_left_message(tries_left: int | None) -> str:
    """How many more wrong codes (or passwords) the account takes before it is locked."""
    if not tries_left:
        return ""
    return ngettext(
        "Nog %(num)d poging voordat uw account %(minutes)d minuten wordt geblokkeerd.",
        "Nog %(num)d pogingen voordat uw account %(minutes)d minuten wordt geblokkeerd.",
        tries_left,
        minutes=LOCK_DURATION // dt.timedelta(minutes=1),
    )


@bp.route("/login/code/sms", methods=["POST"])
@limiter.limit("5 per minute")
def send_code():
    """Send (again) an SMS code, also for a user of the authenticator who has no app at hand."""
    pending = pending_login()
    if pending is None:
        return redirect(url_for("auth.login"))
    _row, user = pending
    _send_login_sms(user)
    return redirect(url_for("auth.enter_code", method="sms"))


@bp.route("/login/setup", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"])
def setup_second_factor():
    """A user without a second factor sets one up before getting in (the office requires it)."""
    pending = pending_login()
    if pending is None:
        return redirect(url_for("auth.login"))
    _row, user = pending
    if user.second_factor is not None:
        # Only for a user without any second factor: one who has one proves it here first
        # (otherwise a password alone would let anyone put their own phone or app in its place).
        return redirect(url_for("auth.enter_code"))
    outcome = enrolment.handle(user)
    if outcome.done:
        finish_login(user, outcome.method)
        codes = regenerate_recovery_codes(db.session, user=user)
        return render_template("auth/recovery_codes.html", codes=codes,
                               next_url=_after_login_url(user))  # fmt: skip
    return outcome.page


@bp.route("/login/authenticator", methods=["GET", "POST"])
@login_required
def offer_authenticator():
    """After an SMS login: "Inloggen met een Authenticator", or "Authenticator later
    installeren" (the accountancy manual shows this after every SMS login). Only for a user
    without an authenticator, within OFFER_WINDOW of proving the SMS code: later, and to
    replace an authenticator, "Mijn gegevens" asks for the password first."""
    offered_at = session.get(OFFER_KEY)
    if (
        current_user.totp_secret_sealed is not None
        or not isinstance(offered_at, int)
        or not 0 <= time.time() - offered_at <= OFFER_WINDOW
    ):
        session.pop(OFFER_KEY, None)
        return _after_login(current_user)
    secret = totp_secret_being_set_up(db.session, current_session_row())
    form = CodeForm()
    if form.validate_on_submit():
        result = enrolment.confirm_totp(current_user, secret, form.code.data)
        if result is CodeCheck.OK:
            session.pop(OFFER_KEY, None)
            flash(_("De authenticator is ingesteld. Voortaan logt u in met een code uit de app."),
                  "success")  # fmt: skip
            if not has_recovery_codes(db.session, current_user):
                codes = regenerate_recovery_codes(db.session, user=current_user)
                return render_template("auth/recovery_codes.html", codes=codes,
                                       next_url=_after_login_url(current_user))  # fmt: skip
            return _after_login(current_user)
        flash(_("De code is onjuist. Kijk of de tijd op uw telefoon klopt en probeer het opnieuw."),
              "error")  # fmt: skip
    return render_template(
        "auth/authenticator.html", form=form, secret=secret,
        qr=qr_svg(provisioning_uri(current_user, secret)),
        later_url=_after_login_url(current_user), offer=True,
    )  # fmt: skip


@bp.route("/logout", methods=["POST"], endpoint="logout")
def logout_view():
    abandon_login("logout")
    if current_user.is_authenticated:
        logout(current_user)
    flash(_("U bent uitgelogd."), "info")
    return redirect(url_for("auth.login"))


def _after_login_url(user) -> str:
    return session.get("after_login") or url_for("index")


def _after_login(user):
    return redirect(session.pop("after_login", None) or url_for("index"))
