from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional


class OpenDossierForm(FlaskForm):
    organisation_id = SelectField(_l("Cliënt"), coerce=int, validators=[InputRequired()])
    template_key = SelectField(_l("Zaaktype"), validators=[DataRequired()])
    description = StringField(
        _l("Omschrijving"),
        validators=[DataRequired(), Length(max=300)],
        description=_l("Wat de cliënt als naam van het dossier ziet, bijv. het adres."),
    )


class CompleteTaskForm(FlaskForm):
    key_date = DateField(_l("Datum"), validators=[Optional()])
