"""Mobile numbers as people type them, made into E.164 ("+31612345678") for an SMS gateway.

Deliberately small instead of the `phonenumbers` package: we only need to know that a number can
take an SMS. Dutch numbers are checked against the numbering plan; other countries only for form.
"""

from __future__ import annotations

import re


class InvalidNumber(ValueError):
    """The text is not a plausible mobile number. The message never repeats the number."""


#: Per region: its country code and its mobile numbers written nationally (trunk prefix 0).
#: Dutch mobile numbers are 06 followed by 1-5 or 8; 066 is paging, 067 dial-up, 097 machines.
_NATIONAL_MOBILE = {"NL": ("31", re.compile(r"0(6[1-58]\d{7})", re.ASCII))}
#: Country codes whose mobile numbers we check against the numbering plan, after the code.
_MOBILE_AFTER_COUNTRY_CODE = {"31": re.compile(r"6[1-58]\d{7}", re.ASCII)}
#: E.164: at most 15 digits with the country code, which never starts with 0.
_INTERNATIONAL = re.compile(r"[1-9]\d{7,14}", re.ASCII)
_SEPARATORS = re.compile(r"[\s\-]")


def normalise_mobile_number(text: str, default_region: str = "NL") -> str:
    """The number in E.164 form, e.g. "+31612345678" for "06-1234 5678".

    Args:
        text: as typed: "06 12345678", "+31 6 12345678", "0031612345678", "+31 (0)6 12345678",
            or another country's number in international form ("+32 470 12 34 56").
        default_region: the region whose national form ("06...") is understood; only "NL".

    Raises:
        InvalidNumber: anything else, including Dutch numbers that are not mobile.
    """
    if default_region not in _NATIONAL_MOBILE:
        raise ValueError(f"national numbers of region {default_region!r} are not known")
    if len(text) > 40:
        raise InvalidNumber("not a mobile number")
    compact = _SEPARATORS.sub("", text)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if compact.startswith("+"):
        # "+31 (0)6 ..." as printed on Dutch letterheads: the trunk 0 is not dialled from abroad.
        digits = compact[1:].replace("(0)", "", 1)
        return _international(digits)
    country_code, national = _NATIONAL_MOBILE[default_region]
    match = national.fullmatch(compact)
    if match is None:
        raise InvalidNumber("not a mobile number")
    return f"+{country_code}{match.group(1)}"


def _international(digits: str) -> str:
    if not _INTERNATIONAL.fullmatch(digits):
        raise InvalidNumber("not a mobile number")
    for country_code, mobile in _MOBILE_AFTER_COUNTRY_CODE.items():
        if digits.startswith(country_code) and not mobile.fullmatch(digits[len(country_code) :]):
            raise InvalidNumber("not a mobile number")
    return f"+{digits}"
