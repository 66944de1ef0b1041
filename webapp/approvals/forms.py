"""The approvals' forms: the client's code, question and rejection; the office's choices."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from casemodel.services.approvals import MAX_REASON
from forms import office_today
from webapp.form_base import Form


class AgreeForm(Form):
    #: The binding of what the confirmation page showed: refused if it changed since.
    binding = HiddenField()


class SendCodeForm(Form):
    challenge_id = HiddenField(validators=[DataRequired()])


class ApproveForm(Form):
    challenge_id = HiddenField(validators=[DataRequired()])
    method = HiddenField(validators=[DataRequired()])
    # No length validator: whatever is typed is judged (and counted) as a code.
    code = StringField(_l("Code"), validators=[DataRequired()])


class QuestionForm(Form):
    question = TextAreaField(_l("Uw vraag"), validators=[DataRequired(), Length(max=4000)])
    contact_by = RadioField(
        _l("Hoe wilt u dat wij contact met u opnemen?"),
        choices=[SelectChoice("message", _l("Met een bericht in het portaal")),
                 SelectChoice("email", _l("Per e-mail")),
                 SelectChoice("phone", _l("Telefonisch"))],  # fmt: skip
        default="message",
        validators=[DataRequired()],
    )
    phone = StringField(_l("Telefoonnummer"), validators=[Optional(), Length(max=40)],
                        description=_l("Alleen als u telefonisch contact wilt."))  # fmt: skip


class RejectForm(Form):
    reason = TextAreaField(
        _l("Waarom gaat u niet akkoord?"),
        validators=[DataRequired(message=_l("Vul de reden in waarom u niet akkoord gaat.")),
                    Length(max=MAX_REASON)],  # fmt: skip
        description=_l("Het kantoor ziet uw reden en past het document zo nodig aan."),
    )


class RecipientForm(Form):
    recipient = SelectField(_l("Ontvanger"), validators=[DataRequired()])


class PutUpForm(Form):
    document_id = SelectField(_l("Document"), coerce=int, validators=[DataRequired()])
    recipient = SelectField(_l("Ontvanger na akkoord"), validators=[DataRequired()])
    due_date = DateField(_l("Graag vóór"), validators=[Optional()])

    def validate_due_date(self, field) -> None:
        if field.data is not None and field.data < office_today():
            raise ValidationError(_l("Deze datum ligt in het verleden."))
