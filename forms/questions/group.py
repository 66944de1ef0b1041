"""Repeating groups: the same few questions once per child, heir, property or account."""

from __future__ import annotations

import re
from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator

from forms.conditions import Equals, GreaterThan, LessThan
from forms.questions.base import Common
from forms.questions.scalar import ScalarQuestion
from forms.texts import Text

#: A repeating group's fields are named "<group>-<row>-<question>", rows counted from 0.
ROW_FIELD = re.compile(r"(?P<group>[a-z][a-z0-9_]*)-(?P<row>\d{1,4})-(?P<rest>.+)")


class Group(Common):
    """Answered as a list of rows, each a dict of its questions' answers. `min` rows at least
    (a group that must be filled says `min: 1`), `max` at most."""

    type: Literal["group"]
    #: What one row is called; rows are numbered after it: "Kind 1", "Kind 2".
    item_label: Text
    #: The button that adds a row ("Nog een kind toevoegen"); a general one when left out.
    add_label: Text | None = None
    min: int = Field(default=0, ge=0)
    max: int = Field(default=10, ge=1, le=100)
    questions: tuple[ScalarQuestion, ...] = Field(min_length=1)

    widget: ClassVar[str] = "group"
    comparisons: ClassVar[tuple[type, ...]] = (Equals, GreaterThan, LessThan)

    @model_validator(mode="after")
    def _consistent(self):
        if self.min > self.max:
            raise ValueError("min is more than max")
        return self

    def condition_value_problem(self, value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int):
            return f"{value!r} is not a number of rows"
        return None

    @staticmethod
    def field_name(group: str, row: int, question: str) -> str:
        return f"{group}-{row}-{question}"
