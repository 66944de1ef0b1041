"""Setting up a second factor, by SMS (a number proved by a code) or an authenticator app (a QR
code and the secret typed in as a fallback, proved by a code from the app). Used at login by a
user who has none yet, and on "Mijn gegevens" to change the number or switch method."""

from __future__ import annotations

from dataclasses import dataclass

from flask import flash, render_template, request
from flask_babel import gettext as _

from casemodel.models import User
from casemodel.services.errors import InvalidState
from casemodel.services.second_factor import (
    CodeCheck,
    enrol_sms,
    enrol_totp,
    forget_totp_being_set_up,
    provisioning_uri,
    send_sms_code,
    totp_secret_being_set_up,
)
from casemodel.sms import normalise_mobile_number
from casemodel.sms.numbers import InvalidNumber
from webapp.auth.forms import CodeForm, MobileNumberForm
from webapp.auth.identity import current_session_row
from webapp.auth.qr import qr_svg
from webapp.extensions import db


@dataclass
class Outcome:
    done: bool
    method: str | None = None
    page: str = ""


def handle(user: User, *, heading: str | None = None) -> Outcome:
    """One step of the set-up, from the request: choose, number, SMS code, or app code."""
    method = request.values.get("method")
    step = request.form.get("step")
    number_form, code_form = MobileNumberForm(), CodeForm()
    heading = heading or _("2-staps verificatie instellen")
    page = dict(heading=heading, number_form=number_form, code_form=code_form, method=method)
    if method == "sms":
        if step == "number" and number_form.validate_on_submit():
            try:
                number = normalise_mobile_number(number_form.mobile_number.data)
                send_sms_code(db.session, user=user, purpose="enrol", to=number)
            except InvalidNumber:
                number_form.mobile_number.errors.append(
                    _("Vul een mobiel nummer in, bijvoorbeeld 06 12345678 of +32 470 12 34 56.")
                )
            except InvalidState:
                flash(_("Er is net een code verstuurd; wacht een halve minuut voor een nieuwe."),
                      "info")  # fmt: skip
                return Outcome(False, page=render_template(
                    "auth/enrol.html", **page, stage="sms_code"))  # fmt: skip
            else:
                return Outcome(False, page=render_template(
                    "auth/enrol.html", **page, stage="sms_code", number=number))  # fmt: skip
        elif step == "sms_code" and code_form.validate_on_submit():
            result = enrol_sms(db.session, user=user, code=code_form.code.data)
            if result is CodeCheck.OK:
                return Outcome(True, "sms")
            flash(_code_message(result), "error")
            return Outcome(False, page=render_template(
                "auth/enrol.html", **page, stage="sms_code"))  # fmt: skip
        return Outcome(False, page=render_template("auth/enrol.html", **page, stage="number"))
    if method == "totp":
        secret = totp_secret_being_set_up(db.session, current_session_row())
        if step == "totp_code" and code_form.validate_on_submit():
            result = confirm_totp(user, secret, code_form.code.data)
            if result is CodeCheck.OK:
                return Outcome(True, "totp")
            flash(_code_message(result), "error")
        return Outcome(False, page=render_template(
            "auth/enrol.html", **page, stage="totp", secret=secret,
            qr=qr_svg(provisioning_uri(user, secret)),
        ))  # fmt: skip
    return Outcome(False, page=render_template("auth/enrol.html", **page, stage="choose"))


def confirm_totp(user: User, secret: str, code: str) -> CodeCheck:
    result = enrol_totp(db.session, user=user, secret=secret, code=code)
    if result is CodeCheck.OK:
        forget_totp_being_set_up(current_session_row())
    return result


def _code_message(result: CodeCheck) -> str:
    if result is CodeCheck.EXPIRED:
        return _("Deze code is verlopen of al gebruikt. Vraag een nieuwe code aan.")
    return _("De code is onjuist. Kijk of de tijd op uw telefoon klopt en probeer het opnieuw.")
