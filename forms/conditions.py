"""Conditions: when a question, a group or a page is shown, written as data, never as code.

In YAML a condition is one of::

    {question: has_mortgage, equals: true}
    {question: marital_status, in: [married, registered_partnership]}
    {question: purchase_price, greater_than: 500000}       # number, money, date, group size
    {question: wedding_date, less_than: 2018-01-01}
    {all: [<condition>, ...]}   {any: [<condition>, ...]}   {not: <condition>}

The same format serves a case template's `when:` on a step, so `evaluate` works on a plain dict
of stored answers (JSON: money and dates as strings, a group as a list of rows) and needs no
definition. A question that is not answered (or hidden, whose answer is not kept) makes every
comparison false, so `not` of it is true.

How answers compare, whatever the question type:
- numbers and money compare as exact decimals ("1250.00" equals 1250); dates as dates
  ("2018-01-01" in the answers, an unquoted 2018-01-01 in YAML);
- a multiple-choice answer (a list) `equals` an option when that option is chosen, and is `in`
  a list when any chosen option is in it;
- a repeating group (a list of rows) compares by its number of rows:
  `{question: children, greater_than: 0}` is "has children";
- yes/no only equals true or false (never 1 or 0), a text only a text.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Union

from pydantic import BeforeValidator, Discriminator, Field, Tag, TypeAdapter, ValidationError

from forms.errors import readable_errors
from forms.texts import Key, Strict


class ConditionError(ValueError):
    """A condition that is not well formed; the message says where and why."""


def _condition_value(value: Any) -> Any:
    """What a condition may compare with, as YAML gives it."""
    if isinstance(value, bool | int | str | Decimal):
        return value
    if isinstance(value, float):
        return Decimal(str(value))  # YAML's 0.5: exact from here on
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    raise ValueError(f"a condition compares with a text, number, true/false or date, not {value!r}")


Value = Annotated[Any, BeforeValidator(_condition_value)]


class Equals(Strict):
    question: Key
    equals: Value


class In(Strict):
    question: Key
    in_: tuple[Value, ...] = Field(alias="in", min_length=1)


class GreaterThan(Strict):
    question: Key
    greater_than: Value


class LessThan(Strict):
    question: Key
    less_than: Value


class All(Strict):
    all: tuple[Condition, ...] = Field(min_length=1)


class AnyOf(Strict):
    any: tuple[Condition, ...] = Field(min_length=1)


class Not(Strict):
    not_: Condition = Field(alias="not")


_TAGS = {
    "all": All,
    "any": AnyOf,
    "not": Not,
    "equals": Equals,
    "in": In,
    "greater_than": GreaterThan,
    "less_than": LessThan,
}
_TAG_OF = {model: tag for tag, model in _TAGS.items()}


def _tag(value: Any) -> str | None:
    # Tags show in pydantic's error locations; "<equals>" cannot be mistaken for the field.
    if isinstance(value, dict):
        tag = next((tag for tag in _TAGS if tag in value), None)
    else:
        tag = _TAG_OF.get(type(value))
    return f"<{tag}>" if tag else None


Condition = Annotated[
    Union[tuple(Annotated[model, Tag(f"<{tag}>")] for tag, model in _TAGS.items())],  # noqa: UP007
    Discriminator(
        _tag,
        custom_error_type="condition",
        custom_error_message=(
            "a condition is all, any or not, or a question with equals, in, greater_than or "
            "less_than"
        ),
    ),
]

#: The leaf conditions: those that name a question.
Comparison = Equals | In | GreaterThan | LessThan

for _model in (All, AnyOf, Not):
    _model.model_rebuild()

_ADAPTER: TypeAdapter[Any] = TypeAdapter(Condition)


def parse_condition(data: Any) -> Condition:
    """A condition from its YAML (a dict). Raises ConditionError naming what is wrong; that the
    questions exist, come earlier and take such values is for the caller, who knows them
    (`forms.definition` does it for a definition's own `when:`)."""
    try:
        return _ADAPTER.validate_python(data)
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(part) for part in path) or 'when'}: {message}"
            for path, message in readable_errors(exc, data)
        ]
        raise ConditionError("; ".join(problems)) from None


def condition_to_json(condition: Condition) -> dict[str, Any]:
    """The condition as JSON, in the YAML's own shape (for a page's JavaScript, or storage)."""
    return _ADAPTER.dump_python(condition, mode="json", by_alias=True)


def comparisons(condition: Condition) -> list[Comparison]:
    """Every leaf of the condition, in the order written."""
    if isinstance(condition, All | AnyOf):
        parts = condition.all if isinstance(condition, All) else condition.any
        return [leaf for part in parts for leaf in comparisons(part)]
    if isinstance(condition, Not):
        return comparisons(condition.not_)
    return [condition]


def operation(leaf: Comparison) -> tuple[str, list[Any]]:
    """A leaf's operation as written ("equals", "in", "greater_than", "less_than") and the
    values it compares the answer with."""
    if isinstance(leaf, Equals):
        return "equals", [leaf.equals]
    if isinstance(leaf, In):
        return "in", list(leaf.in_)
    if isinstance(leaf, GreaterThan):
        return "greater_than", [leaf.greater_than]
    return "less_than", [leaf.less_than]


def evaluate(condition: Condition, answers: Mapping[str, Any]) -> bool:
    """Whether the condition holds for these answers (keyed by question key, JSON values)."""
    if isinstance(condition, All):
        return all(evaluate(part, answers) for part in condition.all)
    if isinstance(condition, AnyOf):
        return any(evaluate(part, answers) for part in condition.any)
    if isinstance(condition, Not):
        return not evaluate(condition.not_, answers)
    answer = answers.get(condition.question)
    if isinstance(condition, Equals):
        return any(_same(given, comparable(condition.equals)) for given in _candidates(answer))
    if isinstance(condition, In):
        wanted = [comparable(value) for value in condition.in_]
        return any(_same(given, one) for given in _candidates(answer) for one in wanted)
    given = _ordered(answer)
    if isinstance(condition, GreaterThan):
        bound = comparable(condition.greater_than)
        return _orderable(given, bound) and given > bound
    bound = comparable(condition.less_than)
    return _orderable(given, bound) and given < bound


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DECIMAL = re.compile(r"-?\d+(\.\d+)?")


def comparable(value: Any) -> Any:
    """One value (an answer's or a condition's) in the form comparisons use: bool, Decimal,
    date or str; None for what cannot be compared (an address, a file)."""
    if isinstance(value, bool | dt.date | Decimal):
        return value
    if isinstance(value, int | float):
        return Decimal(str(value))
    if isinstance(value, str):
        if _ISO_DATE.fullmatch(value):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                return value
        if _DECIMAL.fullmatch(value):
            try:
                return Decimal(value)
            except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
                return value
        return value
    return None


def _candidates(answer: Any) -> list[Any]:
    """The values an answer offers to equals/in: a group its size, a multiple choice each
    option chosen, anything else itself."""
    if answer is None:
        return []
    if isinstance(answer, list):
        if all(isinstance(row, dict) for row in answer):
            return [Decimal(len(answer))]
        return [comparable(item) for item in answer]
    return [comparable(answer)]


def _ordered(answer: Any) -> Any:
    if isinstance(answer, list):
        return Decimal(len(answer)) if all(isinstance(r, dict) for r in answer) else None
    return comparable(answer) if answer is not None else None


def _same(one: Any, other: Any) -> bool:
    # True == Decimal(1) in Python; a yes/no answer is not a count.
    return _kind(one) is not None and _kind(one) == _kind(other) and one == other


def _orderable(one: Any, other: Any) -> bool:
    return _kind(one) in (Decimal, dt.date) and _kind(one) == _kind(other)


def _kind(value: Any) -> type | None:
    for kind in (bool, Decimal, dt.date, str):
        if isinstance(value, kind):
            return kind
    return None
