"""The office's forms: sending a questionnaire ad hoc, sending one back for rework."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from casemodel.services.questionnaires import MAX_REMARK
from forms import office_today
from webapp.form_base import Form


class SendQuestionnaireForm(Form):
    definition_key = SelectField(_l("Vragenlijst"), validators=[DataRequired()])
    due_date = DateField(
        _l("Graag ingevuld vóór"),
        validators=[Optional()],
        description=_l("Niet verplicht. De cliënt ziet de datum bij Acties."),
    )

    def validate_due_date(self, field) -> None:
        if field.data is not None and field.data < office_today():
            raise ValidationError(_l("Deze datum ligt in het verleden."))


class ReworkForm(Form):
    remark = TextAreaField(
        _l("Wat moet de cliënt aanpassen?"),
        validators=[DataRequired(), Length(max=MAX_REMARK)],
        description=_l("De cliënt ziet deze opmerking boven de vragenlijst."),
    )
