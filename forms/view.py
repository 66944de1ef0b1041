"""A page of a questionnaire as a web page shows it: every text in the client's language,
conditions evaluated, the values to put in the fields (saved, or as typed in a refused post)
and the message next to each wrong field. Templates only lay it out.

Field names: a question's key ("buyer_name"); in a repeating group "<group>-<row>-<key>" (rows
from 0) with "<group>-<row>.remove" to drop a row; a postcode's parts "<name>.postcode",
"<name>.house_number", "<name>.addition"; a file "<name>" (the upload) with "<name>.keep" (the
SHA-256 of the file kept) and "<name>.remove". Several choices post the same name repeatedly.
Hidden questions are still in the page (marked hidden, with their condition as JSON for the
page's script): without JavaScript the server's check after "Volgende" decides.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from forms.conditions import comparisons, condition_to_json
from forms.definition import Definition, Page
from forms.files import MIB
from forms.language import Language
from forms.questions import Group, Question
from forms.questions.choices import ChoiceQuestion, YesNo
from forms.questions.dates import Date
from forms.questions.group import ROW_FIELD
from forms.questions.numbers import Number
from forms.questions.uploads import FileUpload
from forms.validation import (
    PageResult,
    drop_hidden,
    is_visible,
    next_page,
    office_today,
    previous_page,
    visible_pages,
)


@dataclass(frozen=True)
class FieldView:
    key: str
    name: str
    #: text, textarea, email, tel, date, yes_no, radio, select, checkboxes, postcode, file
    widget: str
    label: str
    help: str | None
    required: bool
    visible: bool
    #: str; list of str (checkboxes); dict of str (postcode parts); FileAnswer or None (file)
    value: Any
    error: str | None
    #: (value, label) for yes/no and choices
    options: tuple[tuple[str, str], ...]
    #: HTML attributes for the input (maxlength, inputmode, autocomplete, accept, min, max)
    attributes: dict[str, Any]
    #: The `when:` as JSON, for the page's script; None when always shown.
    condition: dict[str, Any] | None
    #: After the field ("m²"), or what a file may be ("PDF, JPEG of PNG, ten hoogste 10 MB").
    note: str | None


@dataclass(frozen=True)
class RowView:
    index: int
    #: "Kind 2"
    title: str
    fields: tuple[FieldView, ...]
    #: The checkbox that drops this row when the page is posted.
    remove_name: str


@dataclass(frozen=True)
class GroupView:
    key: str
    name: str
    label: str
    help: str | None
    visible: bool
    error: str | None
    rows: tuple[RowView, ...]
    #: An empty row with "__row__" for the row number, for a script that adds rows.
    template: RowView
    min: int
    max: int
    #: "Nog een toevoegen": whether another row fits.
    can_add: bool
    add_label: str
    condition: dict[str, Any] | None
    widget: str = "group"


@dataclass(frozen=True)
class PageView:
    key: str
    title: str
    intro: str | None
    #: "Stap <number> van <total>", counting only the pages these answers show.
    number: int
    total: int
    previous_key: str | None
    #: None on the last page: "Volgende" leads to the summary.
    next_key: str | None
    items: tuple[FieldView | GroupView, ...]
    errors: dict[str, str]
    #: The saved answers of questions on other pages that this page's conditions look at, for
    #: the page's script (it reads the rest from the fields themselves).
    outside_answers: dict[str, Any] = field(default_factory=dict)


def page_view(
    definition: Definition,
    page_key: str,
    answers: Mapping[str, Any],
    lang: Language,
    *,
    result: PageResult | None = None,
    add_rows: Mapping[str, int] | None = None,
    today: dt.date | None = None,
) -> PageView:
    """The page to show.

    Args:
        answers: every answer saved so far.
        result: the refused post of this page, to show again with its messages (the fields
            then hold what was typed, not what was saved).
        add_rows: group key -> blank rows to add (the page's "Nog een toevoegen" without
            JavaScript posts, and the service shows the page again with one more).
    """
    kept = drop_hidden(definition, answers)
    page = definition.page(page_key)
    pages = [p.key for p in visible_pages(definition, kept)]
    seen = dict(kept)
    today = today or office_today()
    items: list[FieldView | GroupView] = []
    add_rows = add_rows or {}
    for question in page.questions:
        if isinstance(question, Group):
            items.append(_group(question, seen, lang, result, add_rows.get(question.key, 0), today))
        else:
            items.append(_field(question, question.key, seen, lang, result, today))
    return PageView(
        key=page.key,
        title=page.title.get(lang.code),
        intro=page.intro.get(lang.code) if page.intro else None,
        number=pages.index(page.key) + 1 if page.key in pages else 0,
        total=len(pages),
        previous_key=previous_page(definition, kept, page.key),
        next_key=next_page(definition, kept, page.key),
        items=tuple(items),
        errors=dict(result.errors) if result else {},
        outside_answers=_outside_answers(page, kept),
    )


def _outside_answers(page: Page, kept: Mapping[str, Any]) -> dict[str, Any]:
    on_page = {
        key
        for question in page.questions
        for key in (question.key, *(c.key for c in getattr(question, "questions", ())))
    }
    conditions = [
        item.when
        for question in page.questions
        for item in (question, *getattr(question, "questions", ()))
        if item.when is not None
    ]
    named = {leaf.question for condition in conditions for leaf in comparisons(condition)}
    return {key: kept[key] for key in sorted(named - on_page) if key in kept}


def _field(
    question: Question,
    name: str,
    seen: Mapping[str, Any],
    lang: Language,
    result: PageResult | None,
    today: dt.date,
    row: Mapping[str, Any] | None = None,
) -> FieldView:
    if result is not None:
        visible = name not in result.hidden
        value = result.values.get(name, question.to_raw(None, lang))
    else:
        source = seen if row is None else row
        visible = is_visible(question, {**seen, **(row or {})})
        value = question.to_raw(source.get(question.key), lang)
    return FieldView(
        key=question.key,
        name=name,
        widget=question.widget,
        label=question.label.get(lang.code),
        help=question.help.get(lang.code) if question.help else None,
        required=question.required,
        visible=visible,
        value=value,
        error=result.errors.get(name) if result else None,
        options=_options(question, lang),
        attributes=_attributes(question, today),
        condition=condition_to_json(question.when) if question.when else None,
        note=_note(question, lang),
    )


def _attributes(question: Question, today: dt.date) -> dict[str, Any]:
    attributes = question.input_attributes()
    if isinstance(question, Date):  # "today" as a bound is today's date in the date picker
        for name in ("min", "max"):
            if getattr(question, name) == "today":
                attributes[name] = today.isoformat()
    return attributes


def _options(question: Question, lang: Language) -> tuple[tuple[str, str], ...]:
    if isinstance(question, YesNo):
        return ((YesNo.RAW[True], lang.gettext("Ja")), (YesNo.RAW[False], lang.gettext("Nee")))
    if isinstance(question, ChoiceQuestion):
        return tuple((option.key, option.label.get(lang.code)) for option in question.options)
    return ()


def _note(question: Question, lang: Language) -> str | None:
    if isinstance(question, Number) and question.unit:
        return question.unit.get(lang.code)
    if isinstance(question, FileUpload):
        return lang.gettext("%(types)s, ten hoogste %(max)s MB") % {
            "types": question.type_names(lang),
            "max": question.max_mb,
        }
    return None


def _group(
    group: Group,
    seen: dict[str, Any],
    lang: Language,
    result: PageResult | None,
    add: int,
    today: dt.date,
) -> GroupView:
    if result is not None:
        visible = group.key not in result.hidden
        count = _posted_row_count(group, result)
        saved_rows: list[Mapping[str, Any]] = [{} for _ in range(count)]
    else:
        visible = is_visible(group, seen)
        saved_rows = [row for row in seen.get(group.key) or [] if isinstance(row, Mapping)]
        count = len(saved_rows)
    # Blank rows: up to the minimum, one to start with, and those asked for; never past max.
    blank = max(group.min - count, 0 if count else 1) + max(add, 0)
    blank = max(0, min(blank, group.max - count))
    rows = []
    for index in range(count + blank):
        row = saved_rows[index] if index < count and result is None else {}
        rows.append(_row(group, index, seen, row, lang, result if index < count else None, today))
    return GroupView(
        key=group.key,
        name=group.key,
        label=group.label.get(lang.code),
        help=group.help.get(lang.code) if group.help else None,
        visible=visible,
        error=result.errors.get(group.key) if result else None,
        rows=tuple(rows),
        template=_row(group, "__row__", seen, {}, lang, None, today),
        min=group.min,
        max=group.max,
        can_add=len(rows) < group.max,
        add_label=group.add_label.get(lang.code) if group.add_label else lang.gettext(
            "Nog een toevoegen"
        ),
        condition=condition_to_json(group.when) if group.when else None,
    )  # fmt: skip


def _row(group: Group, index, seen, row, lang: Language, result, today: dt.date) -> RowView:
    fields = tuple(
        _field(child, group.field_name(group.key, index, child.key), seen, lang, result, today, row)
        for child in group.questions
    )
    number = index + 1 if isinstance(index, int) else index
    return RowView(
        index=index,
        title=f"{group.item_label.get(lang.code)} {number}",
        fields=fields,
        remove_name=f"{group.key}-{index}.remove",
    )


def _posted_row_count(group: Group, result: PageResult) -> int:
    rows = {
        int(match["row"])
        for name in result.values
        if (match := ROW_FIELD.fullmatch(name)) and match["group"] == group.key
    }
    return max(rows) + 1 if rows else 0


def first_page(definition: Definition, answers: Mapping[str, Any]) -> Page:
    """Where "Invullen" starts: the first page these answers show."""
    return visible_pages(definition, answers)[0]


def upload_limit(definition: Definition, page_key: str) -> int:
    """The most bytes one file of this page may have (for the service's request limit)."""
    sizes = [
        question.max_mb * MIB
        for item in definition.page(page_key).questions
        for question in (item.questions if isinstance(item, Group) else (item,))
        if isinstance(question, FileUpload)
    ]
    return max(sizes, default=0)
