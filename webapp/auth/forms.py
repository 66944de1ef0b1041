from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from webapp.form_base import Form


class LoginForm(Form):
    email = EmailField(
        _l("E-mailadres"),
        validators=[DataRequired(message=_l("Vul uw e-mailadres in.")), Length(max=254)],
    )
    # No max length validator here: an over-long password gets the same answer as a wrong one.
    password = PasswordField(
        _l("Wachtwoord"), validators=[DataRequired(message=_l("Vul uw wachtwoord in."))]
    )


class RequestLinkForm(Form):
    email = EmailField(_l("E-mailadres"), validators=[DataRequired(), Length(max=254)])


class NewPasswordForm(Form):
    # No length validators: the service judges the password and says what is wrong.
    password = PasswordField(_l("Wachtwoord"), validators=[DataRequired()])
    repeat = PasswordField(_l("Herhaal wachtwoord"), validators=[DataRequired()])


class CodeForm(Form):
    # No length validator: whatever is typed is judged (and counted) as a code, and anything
    # that is not one gets the answer of a wrong code (casemodel.services.second_factor).
    code = StringField(_l("Code"), validators=[DataRequired(message=_l("Vul de code in."))])


class MobileNumberForm(Form):
    mobile_number = StringField(_l("Mobiel nummer"), validators=[DataRequired(), Length(max=30)])
