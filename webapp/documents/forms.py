from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length

from webapp.form_base import Form


class PublishDocumentForm(Form):
    folder = SelectField(
        _l("Tabblad"),
        choices=[SelectChoice("documents", _l("Documenten")),
                 SelectChoice("correspondence", _l("Correspondentie"))],  # fmt: skip
    )
    title = StringField(_l("Titel"), validators=[DataRequired(), Length(max=200)])
    file = FileField(_l("Bestand"), validators=[FileRequired()])
    #: One of the dossier's office's kinds (services.office_settings.kind_of_office checks it;
    #: the template lists them), or none.
    kind_id = SelectField(
        _l("Soort document"), coerce=lambda value: int(value) if value else None,
        validate_choice=False,
    )  # fmt: skip


class NewVersionForm(Form):
    file = FileField(_l("Bestand"), validators=[FileRequired()])
