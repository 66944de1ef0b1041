"""Numbers with a check of their own: IBAN, BSN, and a Dutch postcode with house number
(python-stdnum for the three)."""

from __future__ import annotations

import re
from typing import Any, ClassVar, Literal

from stdnum import iban
from stdnum.exceptions import InvalidChecksum, ValidationError
from stdnum.nl import bsn, postcode

from forms.language import Language
from forms.questions.base import Context, Invalid, Question, RawForm, wrong_type


class Iban(Question):
    """Stored compact ("NL91ABNA0417164300"), shown in groups of four."""

    type: Literal["iban"]

    def parse(self, raw: Any, ctx: Context) -> Any:
        _ = ctx.lang.gettext
        number = iban.compact(raw)
        if not number:
            return None
        if number.startswith("NL") and len(number) != 18:
            raise Invalid(
                _("Een Nederlands IBAN heeft 18 tekens, zoals NL91 ABNA 0417 1643 00 (nu %(n)s).")
                % {"n": len(number)}
            )
        try:
            return iban.validate(number)
        except InvalidChecksum:
            raise Invalid(
                _(
                    "Dit IBAN klopt niet: de controlecijfers passen niet bij het nummer. "
                    "Controleer of u elk teken goed heeft overgenomen."
                )
            ) from None
        except ValidationError:
            raise Invalid(
                _("Dit is geen geldig IBAN. Een IBAN ziet eruit als NL91 ABNA 0417 1643 00.")
            ) from None

    def display(self, value: Any, lang: Language) -> str:
        return iban.format(value)

    def to_raw(self, value: Any, lang: Language) -> Any:
        return "" if value is None else iban.format(value)

    def input_attributes(self) -> dict[str, Any]:
        return {"autocomplete": "off", "maxlength": 42, "spellcheck": "false"}


class Bsn(Question):
    """The burgerservicenummer: nine digits that pass the eleven test."""

    type: Literal["bsn"]

    def parse(self, raw: Any, ctx: Context) -> Any:
        _ = ctx.lang.gettext
        number = re.sub(r"[\s.\-]", "", raw)
        if not number:
            return None
        if not number.isdigit() or len(number) not in (8, 9):
            raise Invalid(_("Een BSN bestaat uit 9 cijfers, zoals 123456782."))
        try:
            return bsn.validate(number)
        except ValidationError:
            raise Invalid(
                _(
                    "Dit BSN klopt niet: het voldoet niet aan de elfproef. Controleer de cijfers "
                    "op uw paspoort, identiteitskaart of rijbewijs."
                )
            ) from None

    def input_attributes(self) -> dict[str, Any]:
        return {"inputmode": "numeric", "autocomplete": "off", "maxlength": 11}


class Postcode(Question):
    """A Dutch address by postcode and house number (with an optional addition such as "A" or
    "2-hoog"), stored as {"postcode": "1234 AB", "house_number": 12, "addition": "A"}."""

    type: Literal["postcode"]

    widget: ClassVar[str] = "postcode"
    stored_as: ClassVar[tuple[type, ...]] = (dict,)
    PARTS: ClassVar[tuple[str, ...]] = ("postcode", "house_number", "addition")

    def read(self, form: RawForm, name: str, ctx: Context) -> Any:
        return {part: form.get(f"{name}.{part}") for part in self.PARTS}

    def empty(self, raw: Any) -> bool:
        return not any(value.strip() for value in raw.values())

    def parse(self, raw: Any, ctx: Context) -> Any:
        _ = ctx.lang.gettext
        if self.empty(raw):
            return None
        try:
            code = postcode.validate(raw["postcode"])
        except ValidationError:
            raise Invalid(
                _("Vul een geldige postcode in: vier cijfers en twee letters, zoals 1234 AB.")
            ) from None
        number = raw["house_number"].strip()
        if not re.fullmatch(r"[1-9]\d{0,4}", number):
            raise Invalid(
                _("Vul het huisnummer in met alleen cijfers; een letter of toevoeging apart.")
            )
        addition = re.sub(r"\s+", " ", raw["addition"]).strip()
        if not re.fullmatch(r"[0-9A-Za-z][0-9A-Za-z \-]{0,9}|", addition):
            raise Invalid(
                _("Een toevoeging is kort, zoals A, 2 of 3-hoog (ten hoogste 10 tekens).")
            )
        if len(addition) == 1:
            addition = addition.upper()  # a house letter: 12A
        answer = {"postcode": code, "house_number": int(number)}
        if addition:
            answer["addition"] = addition
        return answer

    def coerce(self, value: Any, ctx: Context) -> Any:
        if (
            not isinstance(value, dict)
            or not {"postcode", "house_number"} <= set(value) <= set(self.PARTS)
            or not isinstance(value["house_number"], int)
        ):
            raise wrong_type(ctx.lang)
        return self.parse(self.to_raw(value, ctx.lang), ctx)

    def to_raw(self, value: Any, lang: Language) -> Any:
        value = value or {}
        return {part: str(value.get(part, "")) for part in self.PARTS}

    def display(self, value: Any, lang: Language) -> str:
        number = str(value["house_number"])
        if value.get("addition"):
            number += f" {value['addition']}"
        return lang.gettext("%(postcode)s, huisnummer %(number)s") % {
            "postcode": value["postcode"],
            "number": number,
        }
