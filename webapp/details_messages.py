"""What a person is told about details that do not check out (casemodel.services.details'
codes), in their language, next to the field, with what they typed still in it."""

from __future__ import annotations

from flask_babel import gettext as _
from wtforms import Form

from casemodel.services.details import InvalidDetails


def detail_message(field: str, code: str) -> str:
    """The message for a field's problem code."""
    if code == "required":
        return _("Vul dit in.")
    if code == "too_long":
        return _("Dit is te lang.")
    if code == "taken":
        return _("Deze naam bestaat al.")
    messages = {
        "email": _("Vul een geldig e-mailadres in, zoals naam@voorbeeld.nl."),
        "mobile": _("Vul een mobiel nummer in, bijvoorbeeld 06 12345678 of +32 470 12 34 56."),
        "phone": _(
            "Vul een geldig telefoonnummer in, zoals 020 123 4567 of, uit het buitenland, "
            "+32 2 123 45 67."
        ),
        "postcode": _("Vul een geldige postcode in: vier cijfers en twee letters, zoals 1234 AB."),
        "country": _("Kies een land uit de lijst."),
        "kvk": _("Een KvK-nummer bestaat uit 8 cijfers, zoals 12345678."),
        "vat": _(
            "Dit is geen geldig btw-nummer. Een Nederlands btw-nummer ziet eruit als "
            "NL123456789B01."
        ),
        "vat_checksum": _(
            "Dit btw-nummer klopt niet: de cijfers voldoen niet aan de controle. Controleer of "
            "u het goed heeft overgenomen."
        ),
        "iban": _("Dit is geen geldig IBAN. Een IBAN ziet eruit als NL91 ABNA 0417 1643 00."),
        "iban_length": _("Een Nederlands IBAN heeft 18 tekens, zoals NL91 ABNA 0417 1643 00."),
        "iban_checksum": _(
            "Dit IBAN klopt niet: de controlecijfers passen niet bij het nummer. Controleer of "
            "u elk teken goed heeft overgenomen."
        ),
    }
    if code == "postcode" and field != "address_postcode":
        return messages["postcode"]
    return messages.get(code, _("Dit klopt niet."))


def show_problems(form: Form, problem: InvalidDetails) -> None:
    """Put each problem next to its field of the form (the form keeps what was typed)."""
    for field, code in problem.problems.items():
        form[field].errors = [*form[field].errors, detail_message(field, code)]
