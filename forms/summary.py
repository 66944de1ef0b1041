"""Every answer as the client reads it back: the summary page before "Voltooien", the print
view, and the PDF all come from `summarise`, so they never disagree."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from forms.definition import Definition
from forms.files import FileAnswer
from forms.language import Language
from forms.questions import Group, Question
from forms.questions.texts import LongText
from forms.questions.uploads import FileUpload
from forms.validation import drop_hidden, is_visible


@dataclass(frozen=True)
class AnswerLine:
    key: str
    #: The field's name on its page (for a link that changes it).
    name: str
    label: str
    #: The answer as text; None when an optional question was left empty.
    text: str | None
    #: Long text keeps its lines.
    multiline: bool = False
    file: FileAnswer | None = None


@dataclass(frozen=True)
class RowSummary:
    #: "Kind 1"
    title: str
    lines: tuple[AnswerLine, ...]


@dataclass(frozen=True)
class GroupSummary:
    key: str
    label: str
    rows: tuple[RowSummary, ...]


@dataclass(frozen=True)
class PageSummary:
    key: str
    title: str
    items: tuple[AnswerLine | GroupSummary, ...]


def summarise(
    definition: Definition, answers: Mapping[str, Any], lang: Language
) -> list[PageSummary]:
    """The visible pages with their visible questions and the answers given (hidden ones left
    out, unanswered optional ones with text None), in the client's language."""
    kept = drop_hidden(definition, answers)
    pages = []
    for page in definition.pages:
        if not is_visible(page, kept):
            continue
        items: list[AnswerLine | GroupSummary] = []
        for question in page.questions:
            if not is_visible(question, kept):
                continue
            if isinstance(question, Group):
                items.append(_group(question, kept, lang))
            else:
                items.append(_line(question, question.key, kept.get(question.key), lang))
        pages.append(PageSummary(page.key, page.title.get(lang.code), tuple(items)))
    return pages


def _line(question: Question, name: str, value: Any, lang: Language) -> AnswerLine:
    return AnswerLine(
        key=question.key,
        name=name,
        label=question.label.get(lang.code),
        text=None if value is None else question.display(value, lang),
        multiline=isinstance(question, LongText),
        file=value if isinstance(question, FileUpload) else None,
    )


def _group(group: Group, kept: Mapping[str, Any], lang: Language) -> GroupSummary:
    rows = []
    for index, row in enumerate(kept.get(group.key) or []):
        lines = tuple(
            _line(child, group.field_name(group.key, index, child.key), row.get(child.key), lang)
            for child in group.questions
            if is_visible(child, {**kept, **row})
        )
        rows.append(RowSummary(f"{group.item_label.get(lang.code)} {index + 1}", lines))
    return GroupSummary(group.key, group.label.get(lang.code), tuple(rows))
