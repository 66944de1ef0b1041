"""Filling in a questionnaire page by page (notary manual §2.1.2).

"Volgende" checks the page and saves it; "Vorige" goes back, saving the page when it is right
and otherwise keeping what was typed as the page's draft, so nothing typed is lost. The client
may stop at any moment and resume, on any device, at the page they were on.

Two people of one organisation may fill the questionnaire at once. Each page has a version:
a save posted from a page whose version has changed since it was shown is not taken; the
person sees that the page was changed, with what is saved now beside what they typed, and
their next "Volgende" saves theirs deliberately. Every save first raises the questionnaire's
revision where it is still open (one UPDATE): that refuses a save to a completed questionnaire
and makes saves of one questionnaire take turns, so each reads what the one before wrote.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from casemodel.db import increment, utcnow
from casemodel.models import Questionnaire, QuestionnairePage, User
from casemodel.services.errors import InvalidState, NotAllowed, NotFound
from casemodel.services.questionnaires.answers import (
    SUMMARY,
    definition_of,
    known_files,
    page_rows,
    saved_answers,
)
from casemodel.services.questionnaires.uploads import remember_files
from casemodel.services.rights import require_right
from forms import (
    AnswersInvalid,
    Definition,
    Language,
    PageResult,
    PageUnavailable,
    PageView,
    Problem,
    UploadStore,
    merge_page,
    next_page,
    page_draft,
    page_view,
    previous_page,
    summarise,
    validate_answers,
    validate_page,
    visible_pages,
)
from forms.summary import PageSummary

#: The buttons of a page.
NEXT, PREVIOUS = "next", "previous"


@dataclass(frozen=True)
class PageConflict:
    """The page was saved by someone else after it was shown to this person."""

    saved_by: str | None
    saved_at: dt.datetime | None
    #: The page's version now: the form's next post saves over it deliberately.
    version: int
    #: What is saved on the page now, to compare with what was typed.
    saved_now: PageSummary | None


@dataclass(frozen=True)
class PageOutcome:
    """What became of a posted page."""

    #: The posted page checked (its answers, or its messages per field).
    result: PageResult
    #: Where the client goes now: a page key or SUMMARY; None shows this page again (`view`).
    go_to: str | None
    #: The page to show again: what was typed, with the messages (and the conflict).
    view: PageView | None = None
    #: The page's version for the form shown again.
    version: int | None = None
    conflict: PageConflict | None = None


@dataclass(frozen=True)
class PageState:
    """A page as "Invullen" or a link shows it."""

    view: PageView
    version: int
    #: The page shows a draft: what was typed when the client went back from it.
    draft: bool


@dataclass(frozen=True)
class SummaryState:
    """The summary page before "Voltooien"."""

    #: Every visible page with its answers (forms.summarise).
    pages: list[PageSummary]
    #: What still stops "Voltooien": missing or wrong answers, page by page.
    problems: list[Problem]
    #: Pages left with a mistake on them ("Vorige"): what was typed there is not saved yet.
    drafts: list[str]
    #: The questionnaire's revision now: "Voltooien" completes exactly what this summary shows.
    revision: int


def check_may_fill(session: Session, questionnaire: Questionnaire, actor: User) -> None:
    """That the actor is one of the client organisation's people with the right to fill in
    its questionnaires (services.rights), whatever the questionnaire's state; staff only read.

    Raises:
        NotAllowed: the actor is staff, or a member without the right. NotFound: not a member
        of the organisation it was sent to (as if it did not exist).
    """
    if actor.is_staff:
        raise NotAllowed("the client fills in a questionnaire")
    try:
        require_right(session, actor, questionnaire.organisation_id, "fill")
    except NotFound:
        raise NotFound(f"questionnaire {questionnaire.id}") from None


def check_fillable(session: Session, questionnaire: Questionnaire, actor: User) -> None:
    """The client organisation's people with the right to fill in questionnaires fill an open
    one (check_may_fill).

    Raises:
        NotAllowed, NotFound: see check_may_fill. InvalidState: completed, withdrawn, or the
        dossier was cancelled.
    """
    check_may_fill(session, questionnaire, actor)
    if questionnaire.state != "open" or questionnaire.dossier.status == "cancelled":
        raise InvalidState(f"the questionnaire is {questionnaire.state}")


def resume_at(session: Session, questionnaire: Questionnaire) -> str:
    """Where "Invullen" opens: the page the client was on (also on another device), else the
    first page; SUMMARY once they have been past the last page."""
    definition = definition_of(questionnaire)
    if questionnaire.current_page == SUMMARY:
        return SUMMARY
    answers = saved_answers(definition, page_rows(session, questionnaire))
    visible = [page.key for page in visible_pages(definition, answers)]
    if questionnaire.current_page in visible:
        return questionnaire.current_page
    return visible[0] if visible else SUMMARY


def page_state(
    session: Session,
    *,
    questionnaire: Questionnaire,
    page_key: str,
    lang: Language,
    add_rows: Mapping[str, int] | None = None,
) -> PageState:
    """The page with the saved answers, or with its draft checked again (messages in the
    language of now).

    Raises:
        NotFound: no such page, or the answers so far hide it.
    """
    definition = definition_of(questionnaire)
    rows = page_rows(session, questionnaire)
    answers = saved_answers(definition, rows)
    _available(definition, page_key, answers)
    row = rows[page_key]
    result = None
    if row.draft is not None:
        result = validate_page(
            definition, page_key, row.draft, lang, answers=answers,
            known_files=known_files(session, questionnaire),
        )  # fmt: skip
    view = page_view(definition, page_key, answers, lang, result=result, add_rows=add_rows)
    return PageState(view, row.version, row.draft is not None)


def summary_state(
    session: Session, *, questionnaire: Questionnaire, lang: Language
) -> SummaryState:
    """Every answer as the client reads it back before completing, and what is still wrong."""
    definition = definition_of(questionnaire)
    rows = page_rows(session, questionnaire)
    answers = saved_answers(definition, rows)
    try:
        validate_answers(definition, answers, lang)
        problems: list[Problem] = []
    except AnswersInvalid as invalid:
        problems = invalid.problems
    visible = [page.key for page in visible_pages(definition, answers)]
    drafts = [key for key in visible if rows[key].draft is not None]
    return SummaryState(summarise(definition, answers, lang), problems, drafts,
                        questionnaire.revision)  # fmt: skip


def check_page(
    session: Session,
    *,
    questionnaire: Questionnaire,
    page_key: str,
    form: Any,
    lang: Language,
    actor: User,
    uploads: UploadStore | None = None,
    add_rows: Mapping[str, int] | None = None,
) -> PageView:
    """The page shown again as typed, without saving and without messages: "Nog een
    toevoegen" without JavaScript posts the page to get another row. Files posted with it
    are kept for the questionnaire.

    Raises:
        NotFound: no such page, or hidden. NotAllowed, InvalidState: see check_fillable.
    """
    check_fillable(session, questionnaire, actor)
    definition = definition_of(questionnaire)
    answers = saved_answers(definition, page_rows(session, questionnaire))
    result = _validate(session, questionnaire, definition, page_key, form, lang, answers, uploads)
    remember_files(session, questionnaire, result.new_files)
    quiet = dataclasses.replace(result, errors={})
    return page_view(definition, page_key, answers, lang, result=quiet, add_rows=add_rows)


def save_page(
    session: Session,
    *,
    questionnaire: Questionnaire,
    page_key: str,
    form: Any,
    lang: Language,
    version: int,
    actor: User,
    uploads: UploadStore | None = None,
    direction: str = NEXT,
) -> PageOutcome:
    """Check a posted page and save it ("Volgende", or "Vorige" with PREVIOUS).

    Args:
        form: the posted fields (Werkzeug's MultiDict or a dict).
        version: the page's version when it was shown (the form's hidden field).
        uploads: the files posted with the page (PostedFiles).
    Returns:
        Where to go next, or the page to show again with its messages or a conflict.
    Raises:
        NotFound: no such page, or hidden by the answers (nothing saved).
        NotAllowed, InvalidState: see check_fillable (nothing saved).
    """
    check_fillable(session, questionnaire, actor)
    definition = definition_of(questionnaire)
    rows = page_rows(session, questionnaire)
    answers = saved_answers(definition, rows)
    result = _validate(session, questionnaire, definition, page_key, form, lang, answers, uploads)
    if not result.ok and direction != PREVIOUS:
        remember_files(session, questionnaire, result.new_files)
        return _again(definition, page_key, answers, lang, result, rows[page_key], version)
    if result.ok and _unchanged(definition, page_key, answers, result, rows[page_key], version):
        go_to = _destination(definition, answers, page_key, direction)
        questionnaire.current_page = go_to
        session.flush()
        return PageOutcome(result, go_to)
    if increment(session, questionnaire, "revision", Questionnaire.state == "open") is None:
        raise InvalidState("the questionnaire is no longer open")
    remember_files(session, questionnaire, result.new_files)
    rows = page_rows(session, questionnaire, fresh=True)
    answers = saved_answers(definition, rows)
    row = rows[page_key]
    if row.version != version:
        return _again(definition, page_key, answers, lang, result, row, version)
    if not result.ok:  # "Vorige" with a mistake on the page: keep what was typed
        row.draft = page_draft(definition, page_key, form, result)
        go_to = previous_page(definition, answers, page_key) or page_key
    else:
        merged = merge_page(definition, answers, result)
        _store(definition, rows, merged, page_key, actor)
        go_to = _destination(definition, merged, page_key, direction)
    questionnaire.current_page = go_to
    session.flush()
    return PageOutcome(result, go_to)


def _validate(session, questionnaire, definition, page_key, form, lang, answers, uploads):
    try:
        return validate_page(
            definition, page_key, form, lang, answers=answers, uploads=uploads,
            known_files=known_files(session, questionnaire),
        )  # fmt: skip
    except PageUnavailable:
        raise NotFound(f"page {page_key!r} of questionnaire {questionnaire.id}") from None


def _available(definition: Definition, page_key: str, answers: Mapping[str, Any]) -> None:
    if page_key not in {page.key for page in visible_pages(definition, answers)}:
        raise NotFound(f"page {page_key!r}")


def _again(definition, page_key, answers, lang, result, row, version) -> PageOutcome:
    """The page shown again as typed, with its messages and, when it was saved since it was
    shown, what is saved now."""
    conflict = None
    if row.version != version:
        saved_now = next((p for p in summarise(definition, answers, lang) if p.key == page_key),
                         None)  # fmt: skip
        conflict = PageConflict(
            saved_by=row.saved_by.name if row.saved_by else None, saved_at=row.saved_at,
            version=row.version, saved_now=saved_now,
        )  # fmt: skip
    view = page_view(definition, page_key, answers, lang, result=result)
    return PageOutcome(result, None, view=view, version=row.version, conflict=conflict)


def _page_answers(definition: Definition, page_key: str, answers: Mapping[str, Any]) -> dict:
    keys = {question.key for question in definition.page(page_key).questions}
    return {key: value for key, value in answers.items() if key in keys}


def _unchanged(definition, page_key, answers, result, row, version) -> bool:
    """Nothing to save: the page as posted is the page as saved (clicking through)."""
    merged = merge_page(definition, answers, result)
    return (
        row.version == version
        and row.draft is None
        and _page_answers(definition, page_key, merged) == row.answers
        and merged == answers
    )


def _store(
    definition: Definition,
    rows: dict[str, QuestionnairePage],
    merged: dict[str, Any],
    page_key: str,
    actor: User,
) -> None:
    """The saved page with a new version; on other pages, answers this save hides are not
    kept (their versions stay: nothing anyone can see there changes)."""
    for page in definition.pages:
        row = rows[page.key]
        answers = _page_answers(definition, page.key, merged)
        if page.key == page_key:
            row.answers, row.draft = answers, None
            row.version += 1
            row.saved_at, row.saved_by_id = utcnow(), actor.id
        elif answers != row.answers:
            row.answers = answers


def _destination(definition, answers, page_key: str, direction: str) -> str:
    if direction == PREVIOUS:
        return previous_page(definition, answers, page_key) or page_key
    return next_page(definition, answers, page_key) or SUMMARY
