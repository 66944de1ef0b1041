"""The forms about people and organisations, shared by "Beheer", the office's pages and "Mijn
gegevens": details, rights and notification modules. The details are checked by
casemodel.services.details, not here, so that every way in (the portal, the office, the command
line) checks them alike."""

from __future__ import annotations

from babel import Locale
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length
from wtforms.widgets import CheckboxInput, ListWidget

from casemodel.services.details import COUNTRIES, DEFAULT_COUNTRY
from casemodel.services.rights import Rights
from webapp.form_base import Form

#: The portal's languages, each named in itself.
LANGUAGE_CHOICES = [SelectChoice("nl", "Nederlands"), SelectChoice("en", "English")]


def country_choices() -> list[SelectChoice]:
    """Every country by its name in the page's language, the Netherlands first."""
    names = Locale.parse(str(get_locale())).territories
    others = sorted((code for code in COUNTRIES if code != DEFAULT_COUNTRY),
                    key=lambda code: names.get(code, code))  # fmt: skip
    return [SelectChoice(code, names.get(code, code)) for code in [DEFAULT_COUNTRY, *others]]


class AddressFields:
    address_street = StringField(_l("Straat en huisnummer"))
    address_postcode = StringField(_l("Postcode"))
    address_city = StringField(_l("Plaats"))
    address_country = SelectField(_l("Land"), validate_choice=False)


class PersonDetailsForm(AddressFields, Form):
    """Name, phone number and address: what a person changes of their own."""

    name = StringField(_l("Naam"))
    phone_number = StringField(_l("Telefoonnummer"))

    FIELDS = ("name", "phone_number", "address_street", "address_postcode", "address_city",
              "address_country")  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.address_country.choices = country_choices()


class ContactForm(Form):
    """E-mail address and mobile number: an administrator's, or the office's, to change."""

    email = StringField(_l("E-mailadres"))
    mobile_number = StringField(_l("Mobiel nummer"))

    FIELDS = ("email", "mobile_number")


class OrganisationDetailsForm(AddressFields, Form):
    kvk_number = StringField(_l("KvK-nummer"))
    vat_number = StringField(_l("Btw-nummer"))
    iban = StringField(_l("IBAN"))

    FIELDS = ("address_street", "address_postcode", "address_city", "address_country",
              "kvk_number", "vat_number", "iban")  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.address_country.choices = country_choices()


class RightsForm(Form):
    view = BooleanField(_l("Dossiers inzien"))
    upload = BooleanField(_l("Bestanden uploaden en berichten versturen"))
    fill = BooleanField(_l("Vragenlijsten invullen"))
    approve = BooleanField(_l("Documenten accorderen"))
    approve_kinds = SelectMultipleField(
        _l("Alleen deze soorten documenten"), coerce=int, validate_choice=False,
        option_widget=CheckboxInput(), widget=ListWidget(prefix_label=False),
        description=_l("Niets aangevinkt: alle soorten."),
    )  # fmt: skip
    administer = BooleanField(_l("Beheerder: gebruikers en rechten beheren"))

    RIGHTS = ("view", "upload", "fill", "approve", "administer")

    def rights(self) -> Rights:
        kinds = frozenset(self.approve_kinds.data or ())
        return Rights(
            **{right: bool(self[right].data) for right in self.RIGHTS},
            approve_kinds=kinds or None,
        )

    def show(self, rights: Rights) -> None:
        for right in self.RIGHTS:
            self[right].data = getattr(rights, right)
        self.approve_kinds.data = sorted(rights.approve_kinds or ())


class ModulesForm(Form):
    """Per module, whether the person gets a mail when there is something new."""

    documents = BooleanField(_l("Er staan nieuwe documenten voor mij klaar"))
    questionnaires = BooleanField(_l("Er staat een nieuw formulier (vragenlijst) voor mij klaar"))
    messages = BooleanField(_l("De behandelaar heeft mij een bericht gestuurd"))
    approvals = BooleanField(_l("Er staat een document voor mij klaar om te accorderen"))
    uploads = BooleanField(_l("Het kantoor vraagt mij om bestanden aan te leveren"))
    news = BooleanField(_l("Het kantoor heeft nieuws gepubliceerd"))

    def modules(self) -> dict[str, bool]:
        from casemodel.services.memberships import MODULES

        return {module: bool(self[module].data) for module in MODULES}


class NewUserForm(RightsForm):
    name = StringField(_l("Naam"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("E-mailadres"), validators=[DataRequired(), Email(), Length(max=254)])
    locale = SelectField(_l("Taal"), choices=LANGUAGE_CHOICES)


class ReviewForm(Form):
    remark = TextAreaField(
        _l("Opmerking voor de cliënt"), validators=[Length(max=1000)],
        description=_l("Verplicht bij afwijzen; de cliënt ziet deze opmerking."),
    )  # fmt: skip
