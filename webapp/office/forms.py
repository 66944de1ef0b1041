from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, EmailField, SelectField, StringField
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional

from webapp.form_base import Form
from webapp.people_forms import LANGUAGE_CHOICES


class OpenDossierForm(Form):
    organisation_id = SelectField(_l("Cliënt"), coerce=int, validators=[InputRequired()])
    template_key = SelectField(_l("Zaaktype"), validators=[DataRequired()])
    description = StringField(
        _l("Omschrijving"),
        validators=[DataRequired(), Length(max=300)],
        description=_l("Wat de cliënt als naam van het dossier ziet, bijv. het adres."),
    )


class CompleteTaskForm(Form):
    key_date = DateField(_l("Datum"), validators=[Optional()])


class ClientAccountForm(Form):
    organisation_id = SelectField(_l("Cliënt"), coerce=int, validators=[InputRequired()])
    name = StringField(_l("Naam"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("E-mailadres"), validators=[DataRequired(), Email(), Length(max=254)])
    locale = SelectField(_l("Taal"), choices=LANGUAGE_CHOICES)
    can_approve = BooleanField(_l("Mag documenten accorderen"))
    is_admin = BooleanField(_l("Mag gebruikers van de organisatie beheren"))
