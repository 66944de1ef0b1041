"""Personal and organisation details as people type them, checked and put in one form: a name,
an e-mail address, a mobile and a phone number (phonenumbers, and casemodel.sms for numbers that
take SMS codes), an address with a Dutch postcode (python-stdnum), a KvK number, a VAT number
and an IBAN (python-stdnum).

Every problem is reported at once, by field, as a code the web layer words in the person's
language (webapp/details_messages.py); the caller keeps what was typed to show it again.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import phonenumbers
from babel import Locale
from email_validator import EmailNotValidError, validate_email
from stdnum import iban
from stdnum.eu import vat
from stdnum.exceptions import InvalidChecksum, ValidationError
from stdnum.nl import postcode

from casemodel.models.addresses import ADDRESS_FIELDS
from casemodel.services.errors import DomainError
from casemodel.sms import normalise_mobile_number
from casemodel.sms.numbers import InvalidNumber

#: What a person's details are (the mobile number and e-mail address only administrators
#: change: CONTACT_FIELDS).
PERSON_FIELDS = ("name", "phone_number", *ADDRESS_FIELDS, "email", "mobile_number")
CONTACT_FIELDS = ("email", "mobile_number")
#: What an organisation's details are that its people may change (its name and client number
#: are the office's).
ORGANISATION_FIELDS = (*ADDRESS_FIELDS, "kvk_number", "vat_number", "iban")

#: Lengths of the columns that hold them (models.users, models.organisations).
MAX_LENGTHS = {
    "name": 200, "address_street": 200, "address_city": 100, "address_postcode": 12,
    "email": 254,
}  # fmt: skip
DEFAULT_COUNTRY = "NL"
#: The ISO 3166 codes an address may have: the territories Babel names, without the regions.
COUNTRIES = frozenset(code for code in Locale("en").territories if re.fullmatch(r"[A-Z]{2}", code))


class InvalidDetails(DomainError):
    """Details that do not check out; `problems` maps each field to a code: "required",
    "too_long", "email", "mobile", "phone", "postcode", "country", "kvk", "vat",
    "vat_checksum", "iban", "iban_length", "iban_checksum"."""

    def __init__(self, problems: Mapping[str, str]):
        super().__init__(", ".join(f"{field}: {code}" for field, code in problems.items()))
        self.problems = dict(problems)


def clean_details(values: Mapping[str, str | None], fields: Iterable[str]) -> dict[str, str | None]:
    """The given fields of `values` (as typed; a missing field counts as empty) in their stored
    form, an empty one as None.

    Raises:
        InvalidDetails: every field that does not check out, with its code.
    """
    cleaned: dict[str, str | None] = {}
    problems: dict[str, str] = {}
    country = _line(values.get("address_country")).upper() or None
    for field in fields:
        typed = _line(values.get(field))
        try:
            cleaned[field] = _clean(field, typed, country) if typed else None
        except _Problem as problem:
            problems[field] = problem.code
            continue
        if field == "name" and not typed:
            problems[field] = "required"
    if problems:
        raise InvalidDetails(problems)
    return cleaned


class _Problem(Exception):
    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def _clean(field: str, text: str, country: str | None) -> str:
    if len(text) > MAX_LENGTHS.get(field, 100):
        raise _Problem("too_long")
    checker = _CHECKS.get(field)
    if field == "address_postcode":
        return _postcode(text, country)
    return checker(text) if checker else text


def _line(text: str | None) -> str:
    """One line: surrounding blanks off, runs of blanks (also newlines) one space."""
    return " ".join((text or "").split())


def _email(text: str) -> str:
    try:
        return validate_email(text, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise _Problem("email") from None


def _mobile(text: str) -> str:
    try:
        return normalise_mobile_number(text)
    except InvalidNumber:
        raise _Problem("mobile") from None


def _phone(text: str) -> str:
    """Any phone number; without a country code it is Dutch. Stored as E.164."""
    try:
        number = phonenumbers.parse(text, DEFAULT_COUNTRY)
    except phonenumbers.NumberParseException:
        raise _Problem("phone") from None
    if not phonenumbers.is_valid_number(number):
        raise _Problem("phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _postcode(text: str, country: str | None) -> str:
    """A Dutch postcode as "1234 AB"; another country's as typed (letters, digits, a space or a
    dash), since python-stdnum knows few countries' postcodes."""
    if (country or DEFAULT_COUNTRY) == "NL":
        try:
            return postcode.validate(text)
        except ValidationError:
            raise _Problem("postcode") from None
    if not re.fullmatch(r"[0-9A-Za-z][0-9A-Za-z \-]{1,11}", text):
        raise _Problem("postcode")
    return text.upper()


def _country(text: str) -> str:
    code = text.upper()
    if code not in COUNTRIES:
        raise _Problem("country")
    return code


def _kvk(text: str) -> str:
    """The Chamber of Commerce number: eight digits (it has no check digit)."""
    number = re.sub(r"[\s.]", "", text)
    if not re.fullmatch(r"[0-9]{8}", number, flags=re.ASCII):
        raise _Problem("kvk")
    return number


def _vat(text: str) -> str:
    """An EU VAT number, compact with its country code; a Dutch one may be typed without."""
    number = re.sub(r"[\s.\-]", "", text).upper()
    if re.fullmatch(r"[0-9]{9}B[0-9]{2}", number, flags=re.ASCII):
        number = "NL" + number
    try:
        return vat.validate(number)
    except InvalidChecksum:
        raise _Problem("vat_checksum") from None
    except ValidationError:
        raise _Problem("vat") from None


def _iban(text: str) -> str:
    number = iban.compact(text)
    if number.startswith("NL") and len(number) != 18:
        raise _Problem("iban_length")
    try:
        return iban.validate(number)
    except InvalidChecksum:
        raise _Problem("iban_checksum") from None
    except ValidationError:
        raise _Problem("iban") from None


_CHECKS = {
    "email": _email,
    "mobile_number": _mobile,
    "phone_number": _phone,
    "address_country": _country,
    "kvk_number": _kvk,
    "vat_number": _vat,
    "iban": _iban,
}


def display(field: str, value: str | None) -> str:
    """A stored value as a page shows it: numbers grouped, an IBAN in fours."""
    if not value:
        return ""
    if field in ("phone_number", "mobile_number"):
        number = phonenumbers.parse(value, DEFAULT_COUNTRY)
        style = (
            phonenumbers.PhoneNumberFormat.NATIONAL
            if number.country_code == 31
            else phonenumbers.PhoneNumberFormat.INTERNATIONAL
        )
        return phonenumbers.format_number(number, style)
    if field == "iban":
        return iban.format(value)
    return value
