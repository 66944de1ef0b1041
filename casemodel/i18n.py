"""Translations outside a request (mails, SMS texts): flask_babel.force_locale does nothing
outside an app context, so casemodel loads the compiled catalogs itself."""

from __future__ import annotations

import os
from functools import cache
from zoneinfo import ZoneInfo

from babel.support import Translations

from casemodel.config import PROJECT_ROOT

LOCALES = ("nl", "en")
#: The offices are Dutch: times told to people (in mails, in "you can go on at ...") are theirs.
OFFICE_TIME_ZONE = ZoneInfo("Europe/Amsterdam")


def translations_folder() -> str:
    """The compiled catalogs: DOSSIERFLOW_TRANSLATIONS, or translations/ in the checkout."""
    return os.environ.get("DOSSIERFLOW_TRANSLATIONS", str(PROJECT_ROOT / "translations"))


@cache
def translations(locale: str) -> Translations:
    """The catalog for the locale (Dutch, the source language, for anything else)."""
    return Translations.load(translations_folder(), [locale if locale in LOCALES else "nl"])


def gettext_for(locale: str):
    return translations(locale).gettext
