"""Every question type with one answer, as one tagged union on `type`."""

from __future__ import annotations

from typing import Annotated, Union

from pydantic import Field

from forms.questions.choices import MultipleChoice, SingleChoice, YesNo
from forms.questions.dates import Date
from forms.questions.identifiers import Bsn, Iban, Postcode
from forms.questions.numbers import Money, Number
from forms.questions.texts import Email, LongText, Phone, ShortText
from forms.questions.uploads import FileUpload

SCALAR_TYPES = (
    ShortText, LongText, Number, Money, Date, YesNo, SingleChoice, MultipleChoice, Email, Phone,
    Iban, Bsn, Postcode, FileUpload,
)  # fmt: skip

ScalarQuestion = Annotated[Union[SCALAR_TYPES], Field(discriminator="type")]  # noqa: UP007
