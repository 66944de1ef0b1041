"""Questions answered by choosing: yes/no, one option, several options."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator

from forms.conditions import Equals, In
from forms.language import Language
from forms.questions.base import Context, Invalid, Question, RawForm, wrong_type
from forms.texts import Key, Strict, Text


class YesNo(Question):
    """Stored as true or false."""

    type: Literal["yes_no"]

    widget: ClassVar[str] = "yes_no"
    comparisons: ClassVar[tuple[type, ...]] = (Equals, In)
    stored_as: ClassVar[tuple[type, ...]] = (bool,)
    #: What a form posts for each answer (the radio buttons' values).
    RAW: ClassVar[dict[bool, str]] = {True: "yes", False: "no"}

    def condition_value_problem(self, value: Any) -> str | None:
        return None if isinstance(value, bool) else f"{value!r} is not true or false"

    def parse(self, raw: Any, ctx: Context) -> Any:
        text = raw.strip().lower()
        if not text:
            return None
        for value, posted in self.RAW.items():
            if text == posted:
                return value
        raise Invalid(ctx.lang.gettext("Kies ja of nee."))

    def to_raw(self, value: Any, lang: Language) -> Any:
        return "" if value is None else self.RAW[value]

    def display(self, value: Any, lang: Language) -> str:
        return lang.gettext("Ja") if value else lang.gettext("Nee")

    def required_message(self, lang: Language) -> str:
        return lang.gettext("Kies ja of nee.")


class Option(Strict):
    key: Key
    label: Text


class ChoiceQuestion(Question):
    """What single and multiple choice share: options with a key and a label."""

    options: tuple[Option, ...] = Field(min_length=1)

    comparisons: ClassVar[tuple[type, ...]] = (Equals, In)

    @model_validator(mode="after")
    def _unique_options(self):
        keys = [option.key for option in self.options]
        doubles = sorted({key for key in keys if keys.count(key) > 1})
        if doubles:
            raise ValueError(f"option key(s) used twice: {', '.join(doubles)}")
        return self

    def option_keys(self) -> list[str]:
        return [option.key for option in self.options]

    def condition_value_problem(self, value: Any) -> str | None:
        if value not in self.option_keys():
            return f"{value!r} is not one of its options ({', '.join(self.option_keys())})"
        return None

    def label_of(self, key: str, lang: Language) -> str:
        return next(option.label.get(lang.code) for option in self.options if option.key == key)

    def required_message(self, lang: Language) -> str:
        return lang.gettext("Maak een keuze.")


class SingleChoice(ChoiceQuestion):
    type: Literal["single_choice"]
    #: Radio buttons (the default: every option in sight), or a drop-down for a long list.
    display_as: Literal["radio", "select"] = "radio"

    @property
    def widget(self) -> str:  # type: ignore[override]
        return self.display_as

    def parse(self, raw: Any, ctx: Context) -> Any:
        key = raw.strip()
        if not key:
            return None
        if key not in self.option_keys():
            raise Invalid(ctx.lang.gettext("Kies een van de mogelijkheden."))
        return key

    def display(self, value: Any, lang: Language) -> str:
        return self.label_of(value, lang)


class MultipleChoice(ChoiceQuestion):
    """Stored as the chosen option keys, in the order of the options."""

    type: Literal["multiple_choice"]
    min: int | None = Field(default=None, ge=1)
    max: int | None = Field(default=None, ge=1)

    widget: ClassVar[str] = "checkboxes"
    stored_as: ClassVar[tuple[type, ...]] = (list,)

    @model_validator(mode="after")
    def _consistent(self):
        if self.min and self.max and self.min > self.max:
            raise ValueError("min is more than max")
        if (self.min or 0) > len(self.options):
            raise ValueError("min is more than the number of options")
        return self

    def read(self, form: RawForm, name: str, ctx: Context) -> Any:
        return form.getlist(name)

    def parse(self, raw: Any, ctx: Context) -> Any:
        chosen = {value.strip() for value in raw if value.strip()}
        if not chosen:
            return None
        if not chosen <= set(self.option_keys()):
            raise Invalid(ctx.lang.gettext("Kies een van de mogelijkheden."))
        return [key for key in self.option_keys() if key in chosen]

    def coerce(self, value: Any, ctx: Context) -> Any:
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise wrong_type(ctx.lang)
        return self.parse(value, ctx)

    def check(self, value: Any, ctx: Context) -> None:
        if self.min and len(value) < self.min:
            raise Invalid(
                ctx.lang.ngettext(
                    "Kies ten minste %(count)s mogelijkheid.",
                    "Kies ten minste %(count)s mogelijkheden.",
                    self.min,
                )
                % {"count": self.min}
            )
        if self.max and len(value) > self.max:
            raise Invalid(
                ctx.lang.ngettext(
                    "Kies ten hoogste %(count)s mogelijkheid.",
                    "Kies ten hoogste %(count)s mogelijkheden.",
                    self.max,
                )
                % {"count": self.max}
            )

    def to_raw(self, value: Any, lang: Language) -> Any:
        return list(value or [])

    def display(self, value: Any, lang: Language) -> str:
        return ", ".join(self.label_of(key, lang) for key in value)

    def required_message(self, lang: Language) -> str:
        return lang.gettext("Kies ten minste één mogelijkheid.")
