from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired

# Lengths and the colour's contrast are judged by casemodel.services.office_settings, which
# names what is wrong; the forms only read what was posted.


class OfficeSettingsForm(FlaskForm):
    name = StringField(
        _l("Naam van het kantoor"),
        validators=[DataRequired(message=_l("Vul de naam van het kantoor in."))],
    )
    primary_colour = StringField(
        _l("Hoofdkleur"),
        description=_l(
            "Als hexadecimale code, bijvoorbeeld #1f4e79. Knoppen krijgen deze kleur met witte "
            "tekst, links en koppen staan erin op wit: de kleur moet daarom minstens 4,5 keer "
            "zoveel contrast met wit hebben (WCAG 2.1 AA). Leeg: de kleur van het portaal."
        ),
    )
    contact_line = StringField(
        _l("Contactregel"),
        description=_l("Onder elke pagina en e-mail, bijvoorbeeld adres en telefoonnummer."),
    )
    offer_authenticator = BooleanField(
        _l("Na inloggen met een SMS-code de authenticator-app aanbieden (hoogstens eens per dag)")
    )


class LogoForm(FlaskForm):
    logo = FileField(
        _l("Logo"),
        validators=[FileRequired(message=_l("Kies eerst een afbeelding."))],
        description=_l("Een PNG- of JPEG-afbeelding van hoogstens 1 MB."),
    )
