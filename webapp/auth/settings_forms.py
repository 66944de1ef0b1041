"""The forms of "Mijn gegevens": re-authentication and a new password (the notification mails
are per organisation: webapp.people_forms.ModulesForm)."""

from flask_babel import lazy_gettext as _l
from wtforms import PasswordField
from wtforms.validators import DataRequired

from webapp.form_base import Form


class ReauthForm(Form):
    # No length validator: an over-long password is simply wrong (confirm_password says so).
    password = PasswordField(_l("Wachtwoord"), validators=[DataRequired()])


class ChangePasswordForm(Form):
    current = PasswordField(_l("Huidig wachtwoord"), validators=[DataRequired()])
    # No length validators: the service judges the new password and says what is wrong.
    password = PasswordField(_l("Nieuw wachtwoord"), validators=[DataRequired()])
    repeat = PasswordField(_l("Herhaal nieuw wachtwoord"), validators=[DataRequired()])
