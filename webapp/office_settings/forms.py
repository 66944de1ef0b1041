from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired

from webapp.form_base import Form

# Lengths, the colour's contrast and the support desk's phone number and address are judged by
# casemodel.services.office_settings, which names what is wrong; the forms only read what was
# posted.


class OfficeSettingsForm(Form):
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
    changes_need_review = BooleanField(
        _l("Wijzigingen van cliënten in hun gegevens eerst beoordelen"),
        description=_l("Uit: een wijziging geldt meteen (het kantoor ziet die in de historie)."),
    )
    support_name = StringField(_l("Naam van de helpdesk of contactpersoon"))
    support_phone = StringField(_l("Telefoonnummer van de helpdesk"))
    support_email = StringField(_l("E-mailadres van de helpdesk"))


class LogoForm(Form):
    logo = FileField(
        _l("Logo"),
        validators=[FileRequired(message=_l("Kies eerst een afbeelding."))],
        description=_l("Een PNG- of JPEG-afbeelding van hoogstens 1 MB."),
    )


class DocumentKindForm(Form):
    name_nl = StringField(_l("Naam (Nederlands)"))
    name_en = StringField(_l("Naam (Engels)"))
