"""A questionnaire definition: pages of questions, as the office writes it in YAML.

    key: intake-koper                 # the file is forms/definitions/intake-koper.v1.yaml
    version: 1
    office_kind: notary               # or accountancy
    title: {nl: Intake koper, en: Buyer's intake}
    intro: {nl: ..., en: ...}         # optional, above the first page
    pages:
      - key: persons
        title: {nl: Personalia, en: Personal details}
        intro: {nl: ..., en: ...}     # optional
        when: <condition>             # optional: the page is skipped unless it holds
        questions:
          - key: name
            type: text                # see forms.questions.TYPE_NAMES
            label: {nl: Volledige naam, en: Full name}
            help: {nl: ..., en: ...}  # optional, shown under the label
            required: true            # the default; false for an optional question
            when: <condition>         # optional (forms.conditions)
            ...                       # the type's own settings (max_length, options, min, ...)

Question keys are unique in the whole definition (also inside repeating groups): they are the
keys of the stored answers, and a case template's `when:` names them. A condition may only look
back: at a question on an earlier page, or earlier on the same page (for a question inside a
repeating group also at an earlier question of the same row). Everything is checked when the
definition loads (forms.registry), so a mistake never reaches a client.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from pydantic import Field, model_validator

from forms.conditions import Condition, comparisons
from forms.questions import AnyQuestion, Common, Group
from forms.texts import Key, Strict, Text


class Page(Strict):
    key: Key
    title: Text
    intro: Text | None = None
    when: Condition | None = None
    questions: tuple[AnyQuestion, ...] = Field(min_length=1)


class Definition(Strict):
    key: str = Field(pattern=r"^[a-z][a-z0-9-]{0,59}$")
    version: int = Field(ge=1)
    office_kind: Literal["notary", "accountancy"]
    title: Text
    intro: Text | None = None
    pages: tuple[Page, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _cross_checks(self):
        check_keys_and_conditions(self)
        return self

    def page(self, key: str) -> Page:
        """The page with this key; KeyError when there is none."""
        for page in self.pages:
            if page.key == key:
                return page
        raise KeyError(key)

    def questions(self) -> Iterator[tuple[Page, Common]]:
        """Every question and group, page by page, in order (not the questions inside groups)."""
        for page in self.pages:
            for question in page.questions:
                yield page, question

    def question(self, key: str) -> Common:
        """The question (or group, or question inside a group) with this key; KeyError."""
        for _page, question in self.questions():
            if question.key == key:
                return question
            if isinstance(question, Group):
                for child in question.questions:
                    if child.key == key:
                        return child
        raise KeyError(key)

    def question_count(self) -> int:
        """Questions a client may see, counting a group's questions once."""
        return sum(
            len(question.questions) if isinstance(question, Group) else 1
            for _page, question in self.questions()
        )


def check_condition(definition: Definition, condition: Condition) -> None:
    """Check a condition from outside the definition (a case template's `when:` on a step after
    the questionnaire): every question it names must be a question or group of the definition
    (not one inside a group) whose answers can satisfy it. Raises ValueError."""
    top = {question.key: question for _page, question in definition.questions()}
    inside = {
        child.key: question.key
        for _page, question in definition.questions()
        if isinstance(question, Group)
        for child in question.questions
    }
    for leaf in comparisons(condition):
        target = top.get(leaf.question)
        if target is None:
            if leaf.question in inside:
                raise ValueError(
                    f"the condition refers to {leaf.question!r}, a question inside group "
                    f"{inside[leaf.question]!r} of {definition.key}; use the group's number of rows"
                )
            raise ValueError(
                f"the condition refers to {leaf.question!r}, which is no question of "
                f"{definition.key} version {definition.version}"
            )
        target.check_condition(leaf)


def check_keys_and_conditions(definition: Definition) -> None:
    """Keys unique, conditions looking back at questions that can satisfy them. Raises
    ValueError naming the page and the question."""
    every_key = {
        key
        for _page, question in definition.questions()
        for key in [question.key, *[c.key for c in getattr(question, "questions", ())]]
    }
    seen_pages: set[str] = set()
    earlier: dict[str, Common] = {}  # top-level questions and groups met so far
    inside_groups: dict[str, str] = {}  # question key -> its group's key

    def check(condition: Condition, visible: dict[str, Common], where: str) -> None:
        for leaf in comparisons(condition):
            target = visible.get(leaf.question)
            if target is None:
                raise ValueError(f"{where}: {_why_not(leaf.question, inside_groups, every_key)}")
            try:
                target.check_condition(leaf)
            except ValueError as exc:
                raise ValueError(f"{where}: {exc}") from None

    for page in definition.pages:
        if page.key in seen_pages:
            raise ValueError(f"page {page.key!r}: the page key is used twice")
        seen_pages.add(page.key)
        if page.when is not None:
            check(page.when, earlier, f"page {page.key!r}")
        for question in page.questions:
            where = f"question {question.key!r} (page {page.key!r})"
            _not_seen(question.key, earlier, inside_groups, where)
            if question.when is not None:
                check(question.when, earlier, where)
            if isinstance(question, Group):
                row: dict[str, Common] = {}
                for child in question.questions:
                    child_where = (
                        f"question {child.key!r} in group {question.key!r} (page {page.key!r})"
                    )
                    if child.key == question.key:
                        raise ValueError(f"{child_where}: the key is the group's own key")
                    _not_seen(child.key, {**earlier, **row}, inside_groups, child_where)
                    if child.when is not None:
                        check(child.when, {**earlier, **row}, child_where)
                    row[child.key] = child
                inside_groups.update({key: question.key for key in row})
            earlier[question.key] = question


def _not_seen(key: str, earlier: dict, inside_groups: dict, where: str) -> None:
    if key in earlier or key in inside_groups:
        raise ValueError(f"{where}: the key is used twice")


def _why_not(key: str, inside_groups: dict[str, str], every_key: set[str]) -> str:
    if key in inside_groups:
        return (
            f"the condition refers to {key!r}, a question inside group {inside_groups[key]!r} "
            "(which row?); a condition may use the group's number of rows"
        )
    if key in every_key:
        return (
            f"the condition refers to {key!r}, which comes later (a condition may only look "
            "back: at earlier pages, or earlier on the same page)"
        )
    return f"the condition refers to {key!r}, which is no question of this questionnaire"
