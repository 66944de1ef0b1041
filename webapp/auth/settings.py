"""Mijn gegevens / My details (notary manual §2.2, the accountancy manual's "Beheer"): the second
factor, recovery codes, notifications, the password and the signed-in browsers, for clients and
staff alike.

Clients see the sections on the portal's /details page, staff on /account; both pages include
auth/settings_sections.html, fed by `account_settings()`. Every change to the second factor asks
for the password again first, valid for REAUTH_WINDOW (Flask-Security's "fresh login"); a change
of the number, the method or the recovery codes also asks for the current second factor (or a
recovery code), as adding or changing a factor does in ASVS: a stolen session and a password
alone must not be enough to put another phone or app in its place.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from functools import wraps

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from casemodel.models import UserSession
from casemodel.queries.people import memberships_of
from casemodel.services import sessions as session_service
from casemodel.services.accounts import change_password as change_password_of
from casemodel.services.accounts import confirm_password, wrong_tries_left
from casemodel.services.audit import record_event
from casemodel.services.errors import InvalidState, NotAllowed, TooManyWrongPasswords, WeakPassword
from casemodel.services.memberships import (
    administers_all_of,
    notification_modules,
    set_notifications,
)
from casemodel.services.rights import membership_of
from casemodel.services.second_factor import (
    LOGIN_METHODS,
    CodeCheck,
    confirm_second_factor,
    has_recovery_codes,
    regenerate_recovery_codes,
    send_sms_code,
)
from casemodel.services.second_factor import use_sms_instead as use_sms_instead_for
from webapp.auth import bp, enrolment
from webapp.auth.browsers import browser_label
from webapp.auth.forms import CodeForm
from webapp.auth.identity import logout
from webapp.auth.passwords import explain, repeat_differs
from webapp.auth.routes import tries_left_message
from webapp.auth.settings_forms import ChangePasswordForm, ReauthForm
from webapp.extensions import db, limiter
from webapp.people_forms import ModulesForm
from webapp.urls import same_origin

#: How long a re-entered password allows changes to the second factor, in seconds.
REAUTH_WINDOW = 5 * 60
REAUTH_KEY = "reauth_at"
#: When the current second factor was proved again, in this session.
FACTOR_REAUTH_KEY = "reauth_factor_at"


# --- re-authentication ---------------------------------------------------------------------------


def reauthenticated_recently(key: str = REAUTH_KEY) -> bool:
    at = session.get(key)
    return isinstance(at, int | float) and 0 <= time.time() - at <= REAUTH_WINDOW


def requires_recent_reauth(view):
    """The view runs only within REAUTH_WINDOW of typing the password again; otherwise the
    password page, which leads back here. A POST returns to this URL's GET page (every view
    guarded by this has one), so that nothing is changed without a fresh confirmation."""

    @wraps(view)
    def guarded(*args, **kwargs):
        if not reauthenticated_recently():
            return redirect(url_for("auth.reauthenticate", next=_this_page()))
        return view(*args, **kwargs)

    return guarded


def requires_recent_factor(view):
    """As requires_recent_reauth, and then the current second factor proved again within
    REAUTH_WINDOW too (a user without one: the password alone)."""

    @wraps(view)
    def guarded(*args, **kwargs):
        if (
            reauthenticated_recently()
            and current_user.second_factor is not None
            and not reauthenticated_recently(FACTOR_REAUTH_KEY)
        ):
            return redirect(url_for("auth.reconfirm_second_factor", next=_this_page()))
        return view(*args, **kwargs)

    return requires_recent_reauth(guarded)


def _this_page() -> str:
    query = request.query_string.decode() if request.method == "GET" else ""
    return request.path + (f"?{query}" if query else "")


@bp.route("/account/confirm", methods=["GET", "POST"])
@limiter.limit("10 per minute; 30 per hour", methods=["POST"])
@login_required
def reauthenticate():
    form = ReauthForm()
    next_url = same_origin(request.values.get("next")) or details_url()
    if form.validate_on_submit():
        try:
            confirmed = confirm_password(db.session, user=current_user,
                                         password=form.password.data)  # fmt: skip
        except TooManyWrongPasswords:
            record_event(db.session, action="auth.reauth_failed", actor=current_user)
            return signed_out_after_wrong_passwords()
        if confirmed:
            session[REAUTH_KEY] = int(time.time())
            record_event(db.session, action="auth.reauthenticated", actor=current_user)
            return redirect(next_url)
        record_event(db.session, action="auth.reauth_failed", actor=current_user)
        flash(_wrong(_("Het wachtwoord is onjuist.")), "error")
    return render_template("auth/reauth.html", form=form, next_url=next_url)


@bp.route("/account/confirm/code", methods=["GET", "POST"])
@limiter.limit("10 per minute; 30 per hour", methods=["POST"])
@login_required
@requires_recent_reauth
def reconfirm_second_factor():
    """The current second factor again, after the password, before the factor is changed: a
    code by SMS to the registered number (sent when asked), from the authenticator, or a
    recovery code."""
    user = current_user._get_current_object()
    next_url = same_origin(request.values.get("next")) or details_url()
    if user.second_factor is None:
        return redirect(next_url)
    method = request.values.get("method") or user.second_factor
    if method not in LOGIN_METHODS or (method == "totp" and not user.totp_secret_sealed) or (
        method == "sms" and not user.code_number
    ):
        method = user.second_factor
    form = CodeForm()
    if request.method == "POST" and request.form.get("step") == "send":
        try:
            send_sms_code(db.session, user=user, purpose="reauth")
        except InvalidState:
            flash(_("Er is net een code verstuurd; wacht een halve minuut voor een nieuwe."),
                  "info")  # fmt: skip
        else:
            flash(_("We hebben een code gestuurd naar uw mobiele nummer dat eindigt op "
                    "%(end)s.", end=user.code_number[-2:]), "info")  # fmt: skip
        return redirect(url_for("auth.reconfirm_second_factor", method="sms", next=next_url))
    if form.validate_on_submit():
        try:
            result = confirm_second_factor(db.session, user=user, method=method,
                                           code=form.code.data)  # fmt: skip
        except TooManyWrongPasswords:
            return signed_out_after_wrong_passwords()
        if result is CodeCheck.OK:
            session[FACTOR_REAUTH_KEY] = int(time.time())
            return redirect(next_url)
        flash(_wrong(_("Deze code is verlopen of al gebruikt. Vraag een nieuwe code aan.")
                     if result is CodeCheck.EXPIRED else _("De code is onjuist.")),
              "error")  # fmt: skip
    return render_template(
        "auth/reauth_code.html", form=form, method=method, next_url=next_url,
        can_use_sms=bool(user.code_number), can_use_totp=bool(user.totp_secret_sealed),
        number_end=(user.code_number or "")[-2:],
    )  # fmt: skip


def _wrong(reason: str) -> str:
    """A wrong password or code inside the session, with how many more the account takes."""
    return f"{reason} {tries_left_message(wrong_tries_left(current_user))}".strip()


def signed_out_after_wrong_passwords():
    """Five wrong passwords in a row inside this session: it ends (whoever holds it may not be
    its owner), and the account is locked as after five failed logins."""
    logout(current_user, reason="wrong_passwords")
    flash(_("U heeft vijf keer achter elkaar een onjuist wachtwoord ingevoerd. Om uw account te "
            "beschermen bent u uitgelogd. Log opnieuw in; lukt dat niet, probeer het dan over "
            "15 minuten opnieuw of stel een nieuw wachtwoord in."), "error")  # fmt: skip
    return redirect(url_for("auth.login"))


# --- the page and what it shows ------------------------------------------------------------------


@bp.route("/account")
@login_required
def my_details():
    """Staff's "Mijn gegevens"; a client's is the portal's page, with their organisations."""
    if not current_user.is_staff:
        return redirect(url_for("portal.my_details"))
    return render_template("auth/settings.html")


@bp.app_template_global("my_details_url")
def details_url() -> str:
    """Where "Mijn gegevens" is for the signed-in user: the portal's page or staff's own."""
    return url_for("auth.my_details" if current_user.is_staff else "portal.my_details")


@dataclass(frozen=True)
class SignedInBrowser:
    id: int
    browser: str
    ip: str | None
    last_seen_at: dt.datetime
    is_current: bool


@bp.app_template_global()
def account_settings() -> dict:
    """What auth/settings_sections.html shows, for the signed-in user."""
    user = current_user
    return {
        "method": user.second_factor,
        "masked_number": masked_number(user.mobile_number),
        "has_recovery_codes": has_recovery_codes(db.session, user),
        "browsers": [
            SignedInBrowser(
                id=row.id,
                browser=browser_label(row.user_agent),
                ip=row.ip,
                last_seen_at=row.last_seen_at,
                is_current=session_service.is_token_of(row, user.session_token),
            )
            for row in session_service.live_sessions(db.session, user)
        ],
        # A client's notification mails, per organisation and module (staff are always told
        # of what clients send them).
        "notifications": [
            (membership, ModulesForm(formdata=None, data=notification_modules(membership),
                                     prefix=f"o{membership.organisation_id}"))
            for membership in memberships_of(db.session, user)
        ],
        "back": details_url(),
    }


def masked_number(number: str | None) -> str | None:
    """The number as the page shows it, +31612340001 as "+31 ••••••• 01": enough to recognise
    it by, too little to copy."""
    if not number:
        return None
    return f"{number[:3]} {'•' * max(len(number) - 5, 3)} {number[-2:]}"


# --- two-step verification -----------------------------------------------------------------------


def _enrolment_page(method: str, heading: str, done_message: str):
    """The set-up steps of webapp/auth/enrolment.py, fixed to one method."""
    if request.values.get("method") != method:
        return redirect(url_for(request.endpoint, method=method))
    outcome = enrolment.handle(current_user, heading=heading)
    if not outcome.done:
        return outcome.page
    _end_other_sessions_after_factor_change()
    flash(done_message, "success")
    return _recovery_codes_if_none()


def _end_other_sessions_after_factor_change() -> None:
    """A changed number or method ends the user's other sessions, as a password change does:
    whoever is signed in elsewhere must pass the new factor."""
    session_service.end_other_sessions(
        db.session, user=current_user, keep_token=current_user.session_token,
        reason="second_factor_changed",
    )  # fmt: skip


def _recovery_codes_if_none():
    """After a first second factor (or the first authenticator), the recovery codes: without
    them a lost phone locks the user out (notary manual §2.2: "een scherm met een herstelcode")."""
    if has_recovery_codes(db.session, current_user):
        return redirect(details_url())
    codes = regenerate_recovery_codes(db.session, user=current_user)
    return render_template("auth/recovery_codes.html", codes=codes, next_url=details_url())


@bp.route("/account/two-step/setup", methods=["GET", "POST"])
@login_required
@requires_recent_reauth
def set_up_second_factor():
    """For a client whose office does not require a second factor and who has none yet."""
    if current_user.second_factor is not None:
        return redirect(details_url())
    outcome = enrolment.handle(current_user)
    if not outcome.done:
        return outcome.page
    flash(_("2-staps verificatie staat aan."), "success")
    return _recovery_codes_if_none()


@bp.route("/account/two-step/number", methods=["GET", "POST"])
@login_required
def change_mobile_number():
    """A new number, proved by a code sent to it. For a client only as an administrator of
    every organisation they belong to (the accountancy manual: "uitsluitend gebruikers met
    beheerdersrechten"; services.memberships.administers_all_of), asked before the password."""
    if not may_change_own_number():
        return render_template("auth/number_admin_only.html"), 403
    return _change_mobile_number()


@bp.app_template_global()
def may_change_own_number() -> bool:
    user = current_user._get_current_object()
    return user.is_staff or administers_all_of(db.session, user, user)


@requires_recent_factor
def _change_mobile_number():
    return _enrolment_page(
        "sms", _("Mobiel nummer wijzigen"), _("Uw nieuwe mobiele nummer is bevestigd.")
    )


@bp.route("/account/two-step/authenticator", methods=["GET", "POST"])
@login_required
@requires_recent_factor
def switch_to_authenticator():
    return _enrolment_page(
        "totp",
        _("Authenticator-app instellen"),
        _("De authenticator is ingesteld. Voortaan logt u in met een code uit de app."),
    )


@bp.route("/account/two-step/sms", methods=["GET", "POST"])
@login_required
@requires_recent_factor
def use_sms_instead():
    if current_user.second_factor != "totp":
        return redirect(details_url())
    if request.method == "POST":
        try:
            use_sms_instead_for(db.session, user=current_user)
        except InvalidState:
            flash(_("Stel eerst een mobiel nummer in."), "error")
            return redirect(url_for("auth.change_mobile_number", method="sms"))
        _end_other_sessions_after_factor_change()
        flash(_("U logt voortaan in met een code per SMS."), "success")
        return redirect(details_url())
    return render_template(
        "auth/settings_confirm.html",
        heading=_("Terug naar SMS"),
        explanation=_(
            "U ontvangt bij het inloggen weer een code per SMS op %(number)s. De koppeling met "
            "uw authenticator-app vervalt.",
            number=masked_number(current_user.mobile_number),
        ),
        button=_("Inloggen met SMS"),
    )


@bp.route("/account/recovery-codes", methods=["GET", "POST"])
@login_required
@requires_recent_factor
def renew_recovery_codes():
    if request.method == "POST":
        codes = regenerate_recovery_codes(db.session, user=current_user)
        return render_template("auth/recovery_codes.html", codes=codes, next_url=details_url())
    return render_template(
        "auth/settings_confirm.html",
        heading=_("Nieuwe herstelcodes"),
        explanation=_(
            "U krijgt tien nieuwe herstelcodes. Uw huidige herstelcodes werken daarna niet meer."
        ),
        button=_("Nieuwe herstelcodes maken"),
    )


# --- notifications, password, sessions -----------------------------------------------------------


@bp.route("/account/notifications/<int:organisation_id>", methods=["POST"])
@login_required
def save_notifications(organisation_id: int):
    """A client's notification mails for one of their organisations (notary manual §2.2; the
    organisation's administrator sets the same under "Mijn gebruikers")."""
    membership = membership_of(db.session, current_user, organisation_id)
    if membership is None:
        abort(404)
    form = ModulesForm(prefix=f"o{organisation_id}")
    if form.validate_on_submit():
        set_notifications(db.session, membership=membership, modules=form.modules(),
                          actor=current_user)  # fmt: skip
        flash(_("Uw voorkeuren voor e-mailberichten zijn opgeslagen."), "success")
    return redirect(details_url() + "#notifications")


@bp.route("/account/password", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    problems: list[str] = []
    if form.validate_on_submit():
        problems = repeat_differs(form)
        if not problems:
            try:
                change_password_of(
                    db.session, user=current_user, current=form.current.data,
                    new=form.password.data, keep_session=current_user.session_token,
                )  # fmt: skip
            except TooManyWrongPasswords:
                return signed_out_after_wrong_passwords()
            except NotAllowed:
                problems = [_wrong(_("Uw huidige wachtwoord is onjuist."))]
            except WeakPassword as exc:
                problems = explain(exc.verdict)
            else:
                flash(_("Uw wachtwoord is gewijzigd. Op uw andere apparaten bent u uitgelogd."),
                      "success")  # fmt: skip
                return redirect(details_url())
    return render_template("auth/settings_password.html", form=form, problems=problems)


@bp.route("/account/sessions/<int:session_id>/end", methods=["POST"])
@login_required
def end_session(session_id: int):
    row = db.session.get(UserSession, session_id)
    if row is None or row.user_id != current_user.id or row.ended_at is not None:
        abort(404)
    if session_service.is_token_of(row, current_user.session_token):
        flash(_("Dit is de sessie die u nu gebruikt; log uit om die te beëindigen."), "info")
        return redirect(details_url() + "#sessions")
    session_service.end(row, "ended_by_user")
    record_event(db.session, action="auth.session_ended", actor=current_user,
                 detail={"session_id": row.id})  # fmt: skip
    flash(_("De sessie is beëindigd; die browser is uitgelogd."), "success")
    return redirect(details_url() + "#sessions")


@bp.route("/account/sessions/end-others", methods=["POST"])
@login_required
def end_other_sessions():
    count = session_service.end_other_sessions(
        db.session, user=current_user, keep_token=current_user.session_token,
        reason="ended_by_user",
    )  # fmt: skip
    record_event(db.session, action="auth.other_sessions_ended", actor=current_user,
                 detail={"count": count})  # fmt: skip
    flash(ngettext("%(num)d andere sessie beëindigd.", "%(num)d andere sessies beëindigd.", count),
          "success")  # fmt: skip
    return redirect(details_url() + "#sessions")
