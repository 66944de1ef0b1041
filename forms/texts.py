"""The small types every definition is made of: a key, and a text in Dutch and English."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, field_validator

#: Question and page keys: they become HTML field names ("children-0-name", "address.postcode")
#: and keys of the stored answers, so no "-" or "." (those separate rows and parts).
KEY_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,59}")


def _check_key(value: str) -> str:
    if not KEY_PATTERN.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a key: lower-case letters, digits and '_', starting with a "
            "letter, at most 60 characters"
        )
    return value


Key = Annotated[str, AfterValidator(_check_key)]


class Strict(BaseModel):
    """Every model of a definition: unknown fields are refused (a typo is an error, not a
    silently ignored setting), and a loaded definition never changes."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(Strict):
    """A text the client reads, in both languages."""

    nl: str
    en: str

    @field_validator("nl", "en")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must be a non-empty text")
        return value.strip()

    def get(self, code: str) -> str:
        """The text in the language with this code (Dutch for anything but "en")."""
        return self.en if code == "en" else self.nl
