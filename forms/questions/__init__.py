"""The question types. `AnyQuestion` is what a page holds: a question or a repeating group."""

from __future__ import annotations

from typing import Annotated, Union

from pydantic import Field

from forms.questions.base import Common, Context, Invalid, Question, RawForm
from forms.questions.group import Group
from forms.questions.scalar import SCALAR_TYPES, ScalarQuestion

AnyQuestion = Annotated[Union[(*SCALAR_TYPES, Group)], Field(discriminator="type")]  # noqa: UP007

#: Every `type:` a definition may use.
TYPE_NAMES = tuple(
    model.model_fields["type"].annotation.__args__[0] for model in (*SCALAR_TYPES, Group)
)

__all__ = [
    "AnyQuestion", "Common", "Context", "Group", "Invalid", "Question", "RawForm", "ScalarQuestion",
    "TYPE_NAMES",
]  # fmt: skip
