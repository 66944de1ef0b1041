"""Questionnaires: one definition drives the web form, the checks, the PDF and the answers the
flow receives.

forms/ is a library: it imports neither Flask nor Prefect nor the rest of Dossierflow. The
portal renders pages from it, the services check posted pages and keep the answers, the flow
branches on them, and the PDF is drawn by it. Messages come in the client's language through
the `babel.support.Translations` the caller passes in a `Language` (flask_babel.force_locale
silently does nothing outside an app context).

The public API, by module:
    registry     shipped_definitions(), check_all(folder=None), DefinitionRegistry,
                 load_definition_file(path), parse_definition(data, source), DefinitionError
    definition   Definition (.page(key), .question(key), .questions()), Page,
                 check_condition(definition, condition) (a template's `when:` against it)
    conditions   parse_condition(data), evaluate(condition, answers), condition_to_json(c),
                 comparisons(c), ConditionError
    validation   validate_page(...) -> PageResult, merge_page(definition, answers, result),
                 validate_answers(definition, answers, lang) (AnswersInvalid), drop_hidden(...),
                 visible_pages / next_page / previous_page, PageUnavailable, office_today()
    view         page_view(definition, page_key, answers, lang, result=, add_rows=) -> PageView,
                 first_page(definition, answers), upload_limit(definition, page_key)
    drafts       page_draft(definition, page_key, form, result): a page as typed, to keep
    summary      summarise(definition, answers, lang) -> [PageSummary]
    pdf          render_pdf(definition, answers, lang, header: PdfHeader) -> bytes;
                 register_fonts() for other PDFs in the same fonts
    files        FileAnswer, UploadStore (the service's side), UploadRefused, FILE_TYPES
    language     Language(code, translations), Language.of(translations)
"""

from forms.conditions import ConditionError, condition_to_json, evaluate, parse_condition
from forms.definition import Definition, Page, check_condition
from forms.drafts import page_draft
from forms.files import FILE_TYPES, FileAnswer, UploadRefused, UploadStore
from forms.language import Language
from forms.pdf import PdfHeader, register_fonts, render_pdf
from forms.registry import (
    DefinitionError,
    DefinitionRegistry,
    check_all,
    load_definition_file,
    parse_definition,
    shipped_definitions,
)
from forms.summary import summarise
from forms.validation import (
    AnswersInvalid,
    PageResult,
    PageUnavailable,
    Problem,
    drop_hidden,
    merge_page,
    next_page,
    office_today,
    previous_page,
    validate_answers,
    validate_page,
    visible_pages,
)
from forms.view import PageView, first_page, page_view, upload_limit

__all__ = [
    "FILE_TYPES",
    "AnswersInvalid",
    "ConditionError",
    "Definition",
    "DefinitionError",
    "DefinitionRegistry",
    "FileAnswer",
    "Language",
    "Page",
    "PageResult",
    "PageUnavailable",
    "PageView",
    "PdfHeader",
    "Problem",
    "UploadRefused",
    "UploadStore",
    "check_all",
    "check_condition",
    "condition_to_json",
    "drop_hidden",
    "evaluate",
    "first_page",
    "load_definition_file",
    "merge_page",
    "next_page",
    "office_today",
    "page_draft",
    "page_view",
    "parse_condition",
    "parse_definition",
    "previous_page",
    "register_fonts",
    "render_pdf",
    "shipped_definitions",
    "summarise",
    "upload_limit",
    "validate_answers",
    "validate_page",
    "visible_pages",
]
