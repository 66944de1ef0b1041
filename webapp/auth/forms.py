from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mailadres"), validators=[DataRequired(), Length(max=254)])
    # No max length validator here: an over-long password gets the same answer as a wrong one.
    password = PasswordField(_l("Wachtwoord"), validators=[DataRequired()])


class RequestLinkForm(FlaskForm):
    email = EmailField(_l("E-mailadres"), validators=[DataRequired(), Length(max=254)])


class NewPasswordForm(FlaskForm):
    # No length validators: the service judges the password and says what is wrong.
    password = PasswordField(_l("Wachtwoord"), validators=[DataRequired()])
    repeat = PasswordField(_l("Herhaal wachtwoord"), validators=[DataRequired()])


class CodeForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=20)])


class MobileNumberForm(FlaskForm):
    mobile_number = StringField(_l("Mobiel nummer"), validators=[DataRequired(), Length(max=30)])
