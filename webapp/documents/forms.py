from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length


class PublishDocumentForm(FlaskForm):
    folder = SelectField(
        _l("Tabblad"),
        choices=[("documents", _l("Documenten")), ("correspondence", _l("Correspondentie"))],
    )
    title = StringField(_l("Titel"), validators=[DataRequired(), Length(max=200)])
    file = FileField(_l("Bestand"), validators=[FileRequired()])


class NewVersionForm(FlaskForm):
    file = FileField(_l("Bestand"), validators=[FileRequired()])
