"""Whole numbers and amounts of money (euros, exact to the cent: Decimal, never float)."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any, ClassVar, Literal

from babel.numbers import NumberFormatError, format_currency, format_decimal, parse_decimal
from pydantic import model_validator

from forms.conditions import Equals, GreaterThan, In, LessThan
from forms.language import Language
from forms.questions.base import Context, Invalid, Question, wrong_type
from forms.texts import Text

CENT = Decimal("0.01")
#: Far beyond any amount or count a client gives; keeps a pasted row of digits out.
LARGEST = Decimal("999999999999.99")


def parse_number(raw: str, lang: Language) -> Decimal | None:
    """A number as people type it: "1.234,50" in Dutch, "1,234.50" in English, and the other
    language's way too when it cannot be mistaken ("1500.50" in Dutch, "12,5" in English: one
    separator followed by one or two digits is a decimal comma or point). Spaces, "€" and "EUR"
    are ignored. None when nothing is typed; raises ValueError when it is no number."""
    text = re.sub(r"(?i)\s|€|eur", "", raw).replace("\u2212", "-")
    if not text:
        return None
    if not re.fullmatch(r"[-+]?[\d.,]*\d[\d.,]*", text):
        raise ValueError(raw)
    try:
        return parse_decimal(text, locale=lang.locale, strict=True)
    except NumberFormatError:
        pass
    separators = set(re.findall(r"[.,]", text))
    if len(separators) == 1 and re.fullmatch(r"[-+]?\d+[.,]\d{1,2}", text):
        return Decimal(text.replace(",", "."))
    raise ValueError(raw)


class _Numeric(Question):
    comparisons: ClassVar[tuple[type, ...]] = (Equals, In, GreaterThan, LessThan)
    stored_as: ClassVar[tuple[type, ...]] = (int, str)

    def condition_value_problem(self, value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int | Decimal):
            return f"{value!r} is not a number"
        return None

    def input_attributes(self) -> dict[str, Any]:
        return {"inputmode": "decimal", "autocomplete": "off"}


class Number(_Numeric):
    """A whole number (a count, a year, square metres). Amounts are `money`."""

    type: Literal["number"]
    min: int | None = None
    max: int | None = None
    #: Shown after the field and the answer ("m²", "jaar").
    unit: Text | None = None

    stored_as: ClassVar[tuple[type, ...]] = (int,)

    @model_validator(mode="after")
    def _consistent(self):
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min is more than max")
        return self

    def parse(self, raw: Any, ctx: Context) -> Any:
        wrong = Invalid(ctx.lang.gettext("Vul een heel getal in, zoals 3 of 1980."))
        try:
            number = parse_number(raw, ctx.lang)
        except ValueError:
            raise wrong from None
        if number is None:
            return None
        if number != number.to_integral_value() or abs(number) > LARGEST:
            raise wrong
        return int(number)

    def check(self, value: Any, ctx: Context) -> None:
        if self.min is not None and value < self.min:
            raise Invalid(
                ctx.lang.gettext("Vul een getal in van ten minste %(min)s.")
                % {"min": self._plain(self.min, ctx.lang)}
            )
        if self.max is not None and value > self.max:
            raise Invalid(
                ctx.lang.gettext("Vul een getal in van ten hoogste %(max)s.")
                % {"max": self._plain(self.max, ctx.lang)}
            )

    @staticmethod
    def _plain(value: int, lang: Language) -> str:
        """1980 as a year is not "1.980"; 25.000 m² is grouped."""
        return format_decimal(value, locale=lang.locale, group_separator=abs(value) >= 10000)

    def display(self, value: Any, lang: Language) -> str:
        text = self._plain(value, lang)
        return f"{text} {self.unit.get(lang.code)}" if self.unit else text

    def to_raw(self, value: Any, lang: Language) -> Any:
        return "" if value is None else str(value)

    def input_attributes(self) -> dict[str, Any]:
        return {"inputmode": "numeric", "autocomplete": "off"}


class Money(_Numeric):
    """An amount in euros, stored as a string with two decimals ("1234.50"): exact, and readable
    by whoever looks at the stored answers."""

    type: Literal["money"]
    #: 0 by default: an amount asked for is rarely negative; say `min: -1000000` where it may be.
    min: Decimal = Decimal(0)
    max: Decimal | None = None

    stored_as: ClassVar[tuple[type, ...]] = (str,)

    @model_validator(mode="after")
    def _consistent(self):
        for name in ("min", "max"):
            bound = getattr(self, name)
            if bound is not None and bound != bound.quantize(CENT):
                raise ValueError(f"{name} has more than two decimals")
        if self.max is not None and self.min > self.max:
            raise ValueError("min is more than max")
        return self

    def parse(self, raw: Any, ctx: Context) -> Any:
        _ = ctx.lang.gettext
        try:
            amount = parse_number(raw, ctx.lang)
        except ValueError:
            raise Invalid(_("Vul een bedrag in euro's in, zoals 1.250 of 1.250,50.")) from None
        if amount is None:
            return None
        try:
            exact = amount.quantize(CENT, rounding=ROUND_HALF_EVEN)
        except InvalidOperation:
            exact = None
        if exact is None or exact != amount:
            raise Invalid(_("Een bedrag heeft ten hoogste twee cijfers achter de komma."))
        if abs(exact) > LARGEST:
            raise Invalid(_("Dit bedrag is te groot. Controleer het aantal cijfers."))
        return str(exact)

    def check(self, value: Any, ctx: Context) -> None:
        amount, _ = Decimal(value), ctx.lang.gettext
        if amount < self.min:
            if amount < 0 <= self.min:
                raise Invalid(_("Een negatief bedrag kan hier niet. Vul het bedrag zonder min in."))
            raise Invalid(
                _("Vul een bedrag in van ten minste %(min)s.") % {"min": self._euros(self.min, ctx)}
            )
        if self.max is not None and amount > self.max:
            raise Invalid(
                _("Vul een bedrag in van ten hoogste %(max)s.")
                % {"max": self._euros(self.max, ctx)}
            )

    def coerce(self, value: Any, ctx: Context) -> Any:
        if not isinstance(value, str) or not re.fullmatch(r"-?\d+\.\d\d", value):
            raise wrong_type(ctx.lang)
        return self.parse(self.to_raw(value, ctx.lang), ctx)

    @staticmethod
    def _euros(amount: Decimal, ctx: Context) -> str:
        return format_currency(amount, "EUR", locale=ctx.lang.locale)

    def display(self, value: Any, lang: Language) -> str:
        return format_currency(Decimal(value), "EUR", locale=lang.locale)

    def to_raw(self, value: Any, lang: Language) -> Any:
        if value is None:
            return ""
        return format_decimal(Decimal(value), format="#,##0.00", locale=lang.locale)
