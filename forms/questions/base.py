"""What every question type has and does.

A question type is a pydantic model (its settings, checked when the definition loads) with the
behaviour of that type:

- `read(form, name, ctx)`: its raw value from a posted form (strings, as Werkzeug gives them);
- `parse(raw, ctx)`: the raw value as a stored answer (JSON: str, int, bool, list, dict), or None
  when nothing was given; raises Invalid with a message in the client's language;
- `coerce(value, ctx)`: a stored answer checked again (before the flow gets it), the same JSON;
- `check(value, ctx)`: the question's limits (length, min/max, pattern) on a parsed value;
- `to_raw(value, lang)`: a stored answer as the form shows it again;
- `display(value, lang)`: a stored answer as the summary page and the PDF print it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from forms.conditions import Comparison, Condition, operation
from forms.files import FileAnswer, UploadStore
from forms.language import Language
from forms.texts import Key, Strict, Text


class Invalid(Exception):
    """A wrong answer. `message` is in the client's language, ready to show next to the field."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class Context:
    """What checking answers needs besides the answers: the language, today's date (for "not in
    the future"), and for file questions the service's upload store and the files this
    questionnaire may refer to (see forms.files)."""

    lang: Language
    today: dt.date
    uploads: UploadStore | None = None
    known_files: Mapping[str, FileAnswer] = field(default_factory=dict)
    #: Files the upload store accepted while checking this page (the service keeps them known).
    new_files: list[FileAnswer] = field(default_factory=list)


class RawForm:
    """A posted form, read the same way whether it is Werkzeug's MultiDict (several values per
    name) or a plain dict of str or list of str (tests, JSON)."""

    def __init__(self, data: Any):
        self._data = data if data is not None else {}

    def getlist(self, name: str) -> list[str]:
        if hasattr(self._data, "getlist"):
            values = self._data.getlist(name)
        else:
            value = self._data.get(name)
            values = [] if value is None else value if isinstance(value, list) else [value]
        return [value for value in values if isinstance(value, str)]

    def get(self, name: str) -> str:
        values = self.getlist(name)
        return values[0] if values else ""

    def names(self) -> list[str]:
        return list(self._data.keys())


class Common(Strict):
    """What questions and repeating groups share."""

    key: Key
    label: Text
    help: Text | None = None
    when: Condition | None = None

    #: The comparisons a condition may make on this question's answer.
    comparisons: ClassVar[tuple[type, ...]] = ()

    def check_condition(self, leaf: Comparison) -> None:
        """Refuse, when the definition loads, a condition this answer can never satisfy (a
        misspelled option, a number compared with a text). Raises ValueError."""
        name, values = operation(leaf)
        if type(leaf) not in self.comparisons:
            kind = getattr(self, "type", "")
            raise ValueError(f"a condition cannot use {name} on {self.key!r} (a {kind} question)")
        for value in values:
            problem = self.condition_value_problem(value)
            if problem:
                raise ValueError(f"a condition on {self.key!r}: {problem}")

    def condition_value_problem(self, value: Any) -> str | None:
        return None


class Question(Common):
    """A question with one answer (every type but the repeating group)."""

    required: bool = True

    widget: ClassVar[str] = "text"
    #: The JSON type(s) of a stored answer.
    stored_as: ClassVar[tuple[type, ...]] = (str,)

    def read(self, form: RawForm, name: str, ctx: Context) -> Any:
        return form.get(name)

    def parse(self, raw: Any, ctx: Context) -> Any:
        raise NotImplementedError

    def coerce(self, value: Any, ctx: Context) -> Any:
        """By default a stored answer is checked as if it had been typed again."""
        if not isinstance(value, self.stored_as) or (
            isinstance(value, bool) and bool not in self.stored_as
        ):
            raise wrong_type(ctx.lang)
        return self.parse(self.to_raw(value, ctx.lang), ctx)

    def check(self, value: Any, ctx: Context) -> None:
        """The question's limits; the type's own format is checked by parse."""

    def to_raw(self, value: Any, lang: Language) -> Any:
        return "" if value is None else str(value)

    def display(self, value: Any, lang: Language) -> str:
        return str(value)

    def required_message(self, lang: Language) -> str:
        return lang.gettext("Vul dit in.")

    def empty(self, raw: Any) -> bool:
        """Whether nothing was given (a blank row of a repeating group is left out)."""
        return not (raw or "").strip() if isinstance(raw, str) else not raw

    def redisplay(self, raw: Any, value: Any) -> Any:
        """What the form shows again after a refused post: what was typed."""
        return raw

    def input_attributes(self) -> dict[str, Any]:
        """HTML attributes that help the browser (and a screen reader) with this field."""
        return {}


def wrong_type(lang: Language) -> Invalid:
    """A stored answer of the wrong JSON type: only a bug or a changed definition makes one."""
    return Invalid(lang.gettext("Dit antwoord is niet (meer) geldig. Vul het opnieuw in."))


def bilingual_pattern_message(text: Text | None, lang: Language) -> str:
    return text.get(lang.code) if text else lang.gettext("Dit antwoord heeft niet de juiste vorm.")
