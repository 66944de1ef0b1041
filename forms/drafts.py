"""A page as it was typed, kept so that nothing is lost when the client leaves a page that still
has a mistake on it ("Vorige"): the service stores the draft, and when the page is opened again
it is checked once more (`validate_page(form=draft)`) and shown with what was typed and the
messages, in the language of that moment."""

from __future__ import annotations

from typing import Any

from forms.definition import Definition
from forms.files import is_file_answer
from forms.questions.base import RawForm
from forms.validation import PageResult


def page_draft(definition: Definition, page_key: str, form: Any, result: PageResult) -> dict:
    """The posted fields of one page as a JSON-ready dict of lists (several values per name
    kept), ready to be posted again as `form`. Fields of other pages and the page's own
    controls (the CSRF token, the button pressed) are left out. A file the upload store
    accepted during this post is kept as `<field>.keep`, since the upload itself cannot be
    posted again."""
    keys = [question.key for question in definition.page(page_key).questions]
    raw = RawForm(form)
    draft = {
        name: raw.getlist(name)
        for name in raw.names()
        if any(name == key or name.startswith((f"{key}.", f"{key}-")) for key in keys)
    }
    for name, value in result.values.items():
        if is_file_answer(value):
            draft[f"{name}.keep"] = [value["sha256"]]
            draft.pop(f"{name}.remove", None)
    return draft
