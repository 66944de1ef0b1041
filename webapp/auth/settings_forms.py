"""The forms of "Mijn gegevens": re-authentication, notifications, a new password."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField
from wtforms.validators import DataRequired


class ReauthForm(FlaskForm):
    # No length validator: an over-long password is simply wrong (confirm_password says so).
    password = PasswordField(_l("Wachtwoord"), validators=[DataRequired()])


class NotificationsForm(FlaskForm):
    notify_documents = BooleanField(_l("Er staan nieuwe documenten voor mij klaar"))
    notify_questionnaires = BooleanField(
        _l("Er staat een nieuw formulier (vragenlijst) voor mij klaar")
    )
    notify_messages = BooleanField(_l("De behandelaar heeft mij een bericht gestuurd"))


class ChangePasswordForm(FlaskForm):
    current = PasswordField(_l("Huidig wachtwoord"), validators=[DataRequired()])
    # No length validators: the service judges the new password and says what is wrong.
    password = PasswordField(_l("Nieuw wachtwoord"), validators=[DataRequired()])
    repeat = PasswordField(_l("Herhaal nieuw wachtwoord"), validators=[DataRequired()])
