"""Checking answers: a posted page (raw strings) into stored answers, and all stored answers
once more before the flow gets them.

Answers are a JSON-ready dict keyed by question key (see forms.questions for each type's
stored form; a repeating group is a list of rows). A question that is hidden by its condition,
or sits on a hidden page, has no answer: whatever was posted or saved for it is dropped, so it
is never required and never kept.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from forms.conditions import evaluate
from forms.definition import Definition, Page
from forms.files import FileAnswer, UploadStore
from forms.language import Language
from forms.questions import Common, Context, Group, Invalid, Question, RawForm
from forms.questions.group import ROW_FIELD

Answers = dict[str, Any]
#: "Today" for date limits is the office's day, not the server's UTC one.
OFFICE_TIME = ZoneInfo("Europe/Amsterdam")


class PageUnavailable(LookupError):
    """A page that does not exist, or that the answers so far hide: nothing may be posted to it."""


@dataclass
class PageResult:
    """What `validate_page` found.

    answers:   the page's answers as stored (visible questions only), when `ok`;
    errors:    field name -> message in the client's language, next to the field;
    values:    field name -> what to show again in the field (as typed; a file as FileAnswer);
    new_files: files the upload store accepted during this check. The service must keep them
               known to this questionnaire (as `known_files` next time), also when the page is
               refused for another field, so the client need not choose them again.
    """

    page: Page
    answers: Answers = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)
    new_files: list[FileAnswer] = field(default_factory=list)
    #: Field names (and group keys) hidden by a condition, given what this post answered.
    hidden: set[str] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class Problem:
    """One answer that is missing or wrong, found by `validate_answers`."""

    page: str
    field: str
    message: str


class AnswersInvalid(ValueError):
    """Stored answers that cannot go to the flow; `problems` says which and why, page by page."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(f"{p.page}/{p.field}: {p.message}" for p in problems))
        self.problems = problems


def office_today(moment: dt.datetime | None = None) -> dt.date:
    """The office's date now, or at an (aware) moment: "today" for date limits."""
    return (moment or dt.datetime.now(dt.UTC)).astimezone(OFFICE_TIME).date()


def is_visible(item: Common | Page, answers: Mapping[str, Any]) -> bool:
    """Whether a page, group or question shows, given the answers before it."""
    return item.when is None or evaluate(item.when, answers)


def visible_pages(definition: Definition, answers: Mapping[str, Any]) -> list[Page]:
    """The pages the client goes through with these answers, in order."""
    kept = drop_hidden(definition, answers)
    return [page for page in definition.pages if is_visible(page, kept)]


def next_page(definition: Definition, answers: Mapping[str, Any], page_key: str) -> str | None:
    """The page after this one ("Volgende"), skipping hidden pages; None after the last (the
    summary comes next)."""
    later = _order(definition, page_key)
    return next(
        (p.key for p in visible_pages(definition, answers) if _order(definition, p.key) > later),
        None,
    )


def previous_page(
    definition: Definition, answers: Mapping[str, Any], page_key: str | None
) -> str | None:
    """The page before this one ("Vorige"); None on the first. `page_key` None stands for the
    summary, whose previous page is the last."""
    here = len(definition.pages) if page_key is None else _order(definition, page_key)
    earlier = [
        p.key for p in visible_pages(definition, answers) if _order(definition, p.key) < here
    ]
    return earlier[-1] if earlier else None


def _order(definition: Definition, page_key: str) -> int:
    for index, page in enumerate(definition.pages):
        if page.key == page_key:
            return index
    raise PageUnavailable(page_key)


def validate_page(
    definition: Definition,
    page_key: str,
    form: Any,
    lang: Language,
    *,
    answers: Mapping[str, Any] | None = None,
    uploads: UploadStore | None = None,
    known_files: Mapping[str, FileAnswer] | None = None,
    today: dt.date | None = None,
) -> PageResult:
    """Check one posted page.

    Args:
        definition: the version the questionnaire was sent with.
        page_key: the page posted; PageUnavailable if it does not exist or `answers` hide it.
        form: the posted fields (Werkzeug's MultiDict, or a dict of str / list of str).
        lang: the client's language, for the messages and for reading numbers.
        answers: every answer saved so far (conditions look back at earlier pages).
        uploads: the service's store for files posted with this page (forms.files).
        known_files: SHA-256 -> file, the files this questionnaire may refer to.
        today: the date for "not in the future"; the office's today by default.

    Returns:
        A PageResult. Questions hidden by a condition (also by what this very post answered
        earlier on the page) are left out of its answers, whatever was posted for them.
    """
    answers = drop_hidden(definition, answers or {})
    page = _page(definition, page_key, answers)
    ctx = Context(lang, today or office_today(), uploads, known_files or {})
    raw_form = RawForm(form)
    result = PageResult(page=page)
    # Conditions later on this page see what was answered above them in this very post.
    seen = {key: value for key, value in answers.items() if key not in _keys(page)}
    for question in page.questions:
        if isinstance(question, Group):
            rows = _validate_group(question, raw_form, ctx, seen, result)
            if is_visible(question, seen) and rows:
                result.answers[question.key] = seen[question.key] = rows
            continue
        raw = question.read(raw_form, question.key, ctx)
        value = _field(question, question.key, raw, ctx, seen, result)
        if value is not None:
            result.answers[question.key] = seen[question.key] = value
    result.new_files = ctx.new_files
    if not result.ok:
        result.answers = {}
    return result


def _validate_group(group: Group, form: RawForm, ctx: Context, seen: dict, result: PageResult):
    raw_rows = _posted_rows(group, form, ctx)
    # Rows are renumbered from 0 in the order posted, so the page shows them without gaps.
    for number, raw_row in enumerate(raw_rows):
        for child in group.questions:
            name = group.field_name(group.key, number, child.key)
            result.values[name] = child.redisplay(raw_row[child.key], None)
    if not is_visible(group, seen):
        result.hidden.add(group.key)
        return []
    rows = []
    for number, raw_row in enumerate(raw_rows):
        row: dict[str, Any] = {}
        for child in group.questions:
            name = group.field_name(group.key, number, child.key)
            value = _field(child, name, raw_row[child.key], ctx, {**seen, **row}, result)
            if value is not None:
                row[child.key] = value
        rows.append(row)
    wrong_count = _wrong_count(group, len(rows), ctx.lang)
    if wrong_count:
        result.errors[group.key] = wrong_count
    return rows


def _wrong_count(group: Group, count: int, lang: Language) -> str | None:
    if count < group.min:
        return lang.ngettext(
            "Er is ten minste %(count)s nodig.", "Er zijn ten minste %(count)s nodig.", group.min
        ) % {"count": group.min}
    if count > group.max:
        return lang.ngettext(
            "Er kan er ten hoogste %(count)s zijn.",
            "Er kunnen er ten hoogste %(count)s zijn.",
            group.max,
        ) % {"count": group.max}
    return None


def _posted_rows(group: Group, form: RawForm, ctx: Context) -> list[dict[str, Any]]:
    """The group's rows as posted, in row order, without rows left blank or ticked to remove
    (`<group>-<row>.remove`)."""
    numbers = sorted(
        {
            int(match["row"])
            for name in form.names()
            if (match := ROW_FIELD.fullmatch(name)) and match["group"] == group.key
        }
    )
    rows = []
    for number in numbers:
        if form.get(f"{group.key}-{number}.remove"):
            continue
        raw_row = {
            child.key: child.read(form, group.field_name(group.key, number, child.key), ctx)
            for child in group.questions
        }
        if not all(child.empty(raw_row[child.key]) for child in group.questions):
            rows.append(raw_row)
    return rows


def _field(
    question: Question, name: str, raw: Any, ctx: Context, seen: dict, result: PageResult
) -> Any:
    """Parse and check one field; None when it is hidden, empty, or wrong (with its message)."""
    if not is_visible(question, seen):
        result.values[name] = question.redisplay(raw, None)
        result.hidden.add(name)
        return None
    try:
        value = question.parse(raw, ctx)
        if value is None:
            if question.required:
                raise Invalid(question.required_message(ctx.lang))
        else:
            question.check(value, ctx)
    except Invalid as wrong:
        result.errors[name] = wrong.message
        result.values[name] = question.redisplay(raw, None)
        return None
    result.values[name] = question.redisplay(raw, value)
    return value


def _page(definition: Definition, page_key: str, answers: Mapping[str, Any]) -> Page:
    try:
        page = definition.page(page_key)
    except KeyError:
        raise PageUnavailable(page_key) from None
    if not is_visible(page, answers):
        raise PageUnavailable(page_key)
    return page


def _keys(page: Page) -> set[str]:
    return {question.key for question in page.questions}


def drop_hidden(definition: Definition, answers: Mapping[str, Any]) -> Answers:
    """The answers without those of hidden questions and pages (and of keys no question has).
    A change early on can hide a later page: its answers go too."""
    kept: Answers = {}
    for page in definition.pages:
        if not is_visible(page, kept):
            continue
        for question in page.questions:
            if question.key not in answers or not is_visible(question, kept):
                continue
            value = answers[question.key]
            if isinstance(question, Group):
                if not isinstance(value, list):
                    continue
                value = [
                    _visible_row(question, row, kept) for row in value if isinstance(row, dict)
                ]
            kept[question.key] = value
    return kept


def _visible_row(group: Group, row: Mapping[str, Any], earlier: Mapping[str, Any]) -> Answers:
    kept: Answers = {}
    for child in group.questions:
        if child.key in row and is_visible(child, {**earlier, **kept}):
            kept[child.key] = row[child.key]
    return kept


def merge_page(definition: Definition, answers: Mapping[str, Any], result: PageResult) -> Answers:
    """The saved answers with a checked page put in (its questions left empty now removed), and
    whatever that hides elsewhere dropped: what the service stores after "Volgende"."""
    if not result.ok:
        raise ValueError("only a page without errors is saved")
    merged = {key: value for key, value in answers.items() if key not in _keys(result.page)}
    merged.update(result.answers)
    return drop_hidden(definition, merged)


def validate_answers(
    definition: Definition,
    answers: Mapping[str, Any],
    lang: Language,
    *,
    today: dt.date | None = None,
) -> Answers:
    """Every stored answer checked again, as on "Voltooien" and before the flow gets them: all
    required questions of the visible pages answered, every answer valid for its question.

    Returns:
        The answers as stored, hidden ones dropped.

    Raises:
        AnswersInvalid: listing every problem, page by page (the first page with one is where
        to send the client).
    """
    ctx = Context(lang, today or office_today())
    kept, problems = drop_hidden(definition, answers), []
    for page in definition.pages:
        if not is_visible(page, kept):
            continue
        for question in page.questions:
            if not is_visible(question, kept):
                continue
            if isinstance(question, Group):
                _check_stored_group(question, kept, ctx, page, problems)
                continue
            _check_stored(question, question.key, kept.get(question.key), ctx, page, problems)
    if problems:
        raise AnswersInvalid(problems)
    return kept


def _check_stored(question, name, value, ctx, page, problems) -> None:
    try:
        if value is None:
            if question.required:
                raise Invalid(question.required_message(ctx.lang))
            return
        question.check(question.coerce(value, ctx), ctx)
    except Invalid as wrong:
        problems.append(Problem(page.key, name, wrong.message))


def _check_stored_group(group: Group, kept: Answers, ctx: Context, page, problems) -> None:
    rows = kept.get(group.key) or []
    wrong_count = _wrong_count(group, len(rows), ctx.lang)
    if wrong_count:
        problems.append(Problem(page.key, group.key, wrong_count))
    for number, row in enumerate(rows):
        for child in group.questions:
            if is_visible(child, {**kept, **row}):
                name = group.field_name(group.key, number, child.key)
                _check_stored(child, name, row.get(child.key), ctx, page, problems)
