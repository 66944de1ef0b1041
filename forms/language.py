"""The language a questionnaire is shown, checked and printed in.

forms/ imports no Flask: the caller hands over the catalog (a `babel.support.Translations`, e.g.
`casemodel.i18n.translations("en")` in a worker, or Flask-Babel's `get_translations()` in a
request), because `flask_babel.force_locale` silently does nothing outside an app context.
"""

from __future__ import annotations

import gettext
from dataclasses import dataclass

#: Every text of a definition exists in these; Dutch is the source language.
LOCALES = ("nl", "en")


@dataclass(frozen=True)
class Language:
    """`code` picks the definition's own texts ("nl" or "en"); `translations` translates the
    library's messages (errors, "Ja"/"Nee", the PDF's headings)."""

    code: str
    translations: gettext.NullTranslations

    def __post_init__(self) -> None:
        if self.code not in LOCALES:
            raise ValueError(f"language must be one of {', '.join(LOCALES)} (got {self.code!r})")

    @classmethod
    def of(cls, translations: gettext.NullTranslations) -> Language:
        """The language a catalog says it is in (its Language header); Dutch when it says none."""
        code = translations.info().get("language", "nl")
        return cls(code if code in LOCALES else "nl", translations)

    @property
    def locale(self) -> str:
        """Babel's locale for dates and numbers: Dutch as in the Netherlands, English as in
        Britain ("22 November 2026", not the American "November 22, 2026")."""
        return "en_GB" if self.code == "en" else "nl_NL"

    def gettext(self, message: str) -> str:
        return self.translations.gettext(message)

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        return self.translations.ngettext(singular, plural, count)
