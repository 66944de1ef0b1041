"""Questions answered with typed text: short and long text, e-mail address, phone number."""

from __future__ import annotations

import re
import unicodedata
from typing import Any, ClassVar, Literal

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from pydantic import Field, model_validator

from forms.conditions import Equals, In
from forms.language import Language
from forms.questions.base import Context, Invalid, Question, bilingual_pattern_message
from forms.texts import Text

#: The browser's autofill names a definition may give (the HTML `autocomplete` tokens that fit
#: a questionnaire about a person).
AUTOCOMPLETE = frozenset(
    {
        "name", "given-name", "additional-name", "family-name", "honorific-prefix", "bday",
        "email", "tel", "street-address", "address-line1", "address-level2", "postal-code",
        "country-name", "organization", "organization-title", "sex", "off",
    }
)  # fmt: skip


def clean_line(value: str) -> str:
    """One line of text: NFC, control characters gone, every run of white space one space."""
    value = unicodedata.normalize("NFC", value)
    value = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in value)
    return re.sub(r"\s+", " ", value).strip()


def clean_text(value: str) -> str:
    """Several lines: NFC, CRLF as LF, control characters other than LF and tab gone."""
    value = unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n"))
    value = "".join(ch for ch in value if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    return value.strip()


class _Typed(Question):
    autocomplete: str | None = None

    @model_validator(mode="after")
    def _known_autocomplete(self):
        if self.autocomplete is not None and self.autocomplete not in AUTOCOMPLETE:
            known = ", ".join(sorted(AUTOCOMPLETE))
            raise ValueError(f"autocomplete {self.autocomplete!r} is not one of: {known}")
        return self

    def input_attributes(self) -> dict[str, Any]:
        return {"autocomplete": self.autocomplete} if self.autocomplete else {}


class _Lengths(_Typed):
    min_length: int | None = Field(default=None, ge=1)
    max_length: int
    pattern: str | None = None
    #: What the pattern asks, for the client ("Vul het nummer in zoals het op uw polis staat").
    pattern_message: Text | None = None

    comparisons: ClassVar[tuple[type, ...]] = (Equals, In)

    @model_validator(mode="after")
    def _consistent(self):
        if self.min_length and self.min_length > self.max_length:
            raise ValueError("min_length is more than max_length")
        if self.pattern is not None:
            try:
                re.compile(self.pattern)
            except re.error as exc:
                raise ValueError(f"pattern is not a regular expression: {exc}") from None
            if self.pattern_message is None:
                raise ValueError("a pattern needs a pattern_message that tells the client the form")
        return self

    def condition_value_problem(self, value: Any) -> str | None:
        return None if isinstance(value, str) else f"{value!r} is not a text"

    def check(self, value: Any, ctx: Context) -> None:
        if len(value) > self.max_length:
            raise Invalid(
                ctx.lang.ngettext(
                    "Dit is te lang: ten hoogste %(count)s teken (nu %(length)s).",
                    "Dit is te lang: ten hoogste %(count)s tekens (nu %(length)s).",
                    self.max_length,
                )
                % {"count": self.max_length, "length": len(value)}
            )
        if self.min_length and len(value) < self.min_length:
            raise Invalid(
                ctx.lang.ngettext(
                    "Dit is te kort: ten minste %(count)s teken.",
                    "Dit is te kort: ten minste %(count)s tekens.",
                    self.min_length,
                )
                % {"count": self.min_length}
            )
        if self.pattern and not re.fullmatch(self.pattern, value):
            raise Invalid(bilingual_pattern_message(self.pattern_message, ctx.lang))

    def input_attributes(self) -> dict[str, Any]:
        attributes = super().input_attributes() | {"maxlength": self.max_length}
        if self.min_length:
            attributes["minlength"] = self.min_length
        return attributes


class ShortText(_Lengths):
    type: Literal["text"]
    max_length: int = Field(default=200, ge=1, le=1000)

    def parse(self, raw: Any, ctx: Context) -> Any:
        return clean_line(raw) or None


class LongText(_Lengths):
    type: Literal["long_text"]
    max_length: int = Field(default=4000, ge=1, le=20000)

    widget: ClassVar[str] = "textarea"

    def parse(self, raw: Any, ctx: Context) -> Any:
        return clean_text(raw) or None


class Email(_Typed):
    type: Literal["email"]

    widget: ClassVar[str] = "email"

    def parse(self, raw: Any, ctx: Context) -> Any:
        value = clean_line(raw)
        if not value:
            return None
        try:
            return validate_email(value, check_deliverability=False).normalized
        except EmailNotValidError:
            raise Invalid(
                ctx.lang.gettext("Vul een geldig e-mailadres in, zoals naam@voorbeeld.nl.")
            ) from None

    def input_attributes(self) -> dict[str, Any]:
        return {"autocomplete": self.autocomplete or "email", "maxlength": 254}


class Phone(_Typed):
    """Stored as E.164 (+31612345678); a number without a country code is Dutch."""

    type: Literal["phone"]

    widget: ClassVar[str] = "tel"

    def parse(self, raw: Any, ctx: Context) -> Any:
        value = clean_line(raw)
        if not value:
            return None
        try:
            number = phonenumbers.parse(value, "NL")
        except phonenumbers.NumberParseException:
            number = None
        if number is None or not phonenumbers.is_valid_number(number):
            raise Invalid(
                ctx.lang.gettext(
                    "Vul een geldig telefoonnummer in, zoals 06 12345678 of, uit het "
                    "buitenland, +32 470 12 34 56."
                )
            )
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    def to_raw(self, value: Any, lang: Language) -> Any:
        return "" if value is None else self.display(value, lang)

    def display(self, value: Any, lang: Language) -> str:
        number = phonenumbers.parse(value, "NL")
        if number.country_code == 31:
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)

    def input_attributes(self) -> dict[str, Any]:
        return {"autocomplete": self.autocomplete or "tel", "maxlength": 30}
