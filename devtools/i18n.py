"""The translation catalogs: extract the strings, update the catalogs, check they are complete.

    python -m devtools.i18n update    extract into translations/messages.pot and update nl and en,
                                      keeping every existing translation; the Dutch catalog is
                                      filled in (Dutch is the source: msgstr = msgid)
    python -m devtools.i18n check     exit 1, listing each problem: a string in the code that a
                                      catalog lacks, an empty or fuzzy msgstr, placeholders or
                                      plural forms that do not match, a Dutch msgstr != msgid
    python -m devtools.i18n compile   write the .mo files (what `make translations` does)
    python -m devtools.i18n todo FILE write the English strings still to translate to FILE (JSON:
                                      msgid, or [singular, plural], with an empty translation)
    python -m devtools.i18n fill FILE put the translations of such a file, filled in, into the
                                      English catalog

The same functions back tests/unit/test_translations.py, so CI fails on an untranslated string.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from casemodel.config import PROJECT_ROOT

MAPPING = PROJECT_ROOT / "babel.cfg"
TRANSLATIONS = PROJECT_ROOT / "translations"
TEMPLATE = TRANSLATIONS / "messages.pot"
#: The source language first: its catalog is derived from the msgids.
SOURCE_LOCALE = "nl"
LOCALES = ("nl", "en")
#: pybabel's defaults plus Flask-Babel's lazy variants (form labels are built at import time).
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "lazy_ngettext": (1, 2)}
COMMENT_TAGS = ("TRANSLATORS:",)
PROJECT = "Dossierflow"
HEADER = {"project": PROJECT, "version": "0.1", "copyright_holder": PROJECT}


def catalog_path(locale: str, directory: Path = TRANSLATIONS) -> Path:
    return directory / locale / "LC_MESSAGES" / "messages.po"


def extract(root: Path = PROJECT_ROOT) -> Catalog:
    """Every translatable string in the code and templates that babel.cfg names.

    Returns:
        A template catalog (no translations), like `pybabel extract` writes.
    """
    with MAPPING.open(encoding="utf-8") as mapping:
        method_map, options_map = parse_mapping_cfg(mapping)
    template = Catalog(**HEADER, charset="utf-8", fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
        str(root),
        method_map,
        options_map,
        keywords=KEYWORDS,
        comment_tags=COMMENT_TAGS,
        strip_comment_tags=True,
    ):
        template.add(
            message,
            None,
            [(Path(filename).as_posix(), lineno)],
            auto_comments=comments,
            context=context,
        )
    return template


def write_template(path: Path = TEMPLATE, root: Path = PROJECT_ROOT) -> Catalog:
    """Extract and write the .pot file at path; returns the template as written."""
    template = extract(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        write_po(out, template, width=100)
    return template


def read_template(path: Path = TEMPLATE) -> Catalog:
    with path.open("rb") as pot:
        return read_po(pot)


def read_catalog(locale: str, directory: Path = TRANSLATIONS) -> Catalog | None:
    path = catalog_path(locale, directory)
    if not path.exists():
        return None
    with path.open("rb") as po:
        return read_po(po, locale=locale)


def update(directory: Path = TRANSLATIONS) -> dict[str, list[str]]:
    """Extract, then bring each locale's catalog in line with the code, keeping translations.

    New strings arrive empty in the English catalog (or fuzzy, from a near match, for a translator
    to confirm); in the Dutch catalog every msgstr is set to its msgid. Strings no longer in the
    code are dropped (git keeps them).

    Returns:
        Per locale, the msgids that still need a translator.
    """
    template_path = directory / "messages.pot"
    write_template(template_path)
    todo: dict[str, list[str]] = {}
    for locale in LOCALES:
        # Catalog.update adopts the template's Message objects: a fresh copy per locale.
        template = read_template(template_path)
        catalog = read_catalog(locale, directory) or Catalog(
            locale=locale, **HEADER, charset="utf-8", fuzzy=False
        )
        catalog.update(template, no_fuzzy_matching=locale == SOURCE_LOCALE)
        catalog.fuzzy = False
        if locale == SOURCE_LOCALE:
            for message in _messages(catalog):
                message.string = message.id
                message.flags.discard("fuzzy")
        path = catalog_path(locale, directory)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as out:
            write_po(out, catalog, width=100, ignore_obsolete=True)
        todo[locale] = [_label(m) for m in _messages(catalog) if m.fuzzy or not _translated(m)]
    return todo


def find_problems(template: Catalog, directory: Path = TRANSLATIONS) -> list[str]:
    """What keeps the catalogs in directory from covering template completely and correctly.

    Returns:
        One line per problem, "<locale>: <what>: <msgid>"; empty when all is well.
    """
    problems = []
    for locale in LOCALES:
        catalog = read_catalog(locale, directory)
        if catalog is None:
            problems.append(f"{locale}: no catalog at {catalog_path(locale, directory)}")
            continue
        for wanted in _messages(template):
            if catalog.get(wanted.id, wanted.context) is None:
                problems.append(f"{locale}: missing from the catalog: {_label(wanted)}")
        for message in _messages(catalog):
            if message.fuzzy:
                problems.append(f"{locale}: fuzzy: {_label(message)}")
            elif not _translated(message):
                problems.append(f"{locale}: not translated: {_label(message)}")
            elif locale == SOURCE_LOCALE and message.string != message.id:
                problems.append(f"{locale}: msgstr differs from the Dutch msgid: {_label(message)}")
        for message, errors in catalog.check():
            for error in errors:
                problems.append(f"{locale}: {error}: {_label(message)}")
    return problems


def compile_catalogs(target: Path = TRANSLATIONS, source: Path = TRANSLATIONS) -> None:
    """Write each locale's messages.mo under target (as `pybabel compile --use-fuzzy`)."""
    for locale in LOCALES:
        catalog = read_catalog(locale, source)
        if catalog is None:
            continue
        path = catalog_path(locale, target).with_suffix(".mo")
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as out:
            write_mo(out, catalog, use_fuzzy=True)


def _messages(catalog: Catalog) -> Iterable[Message]:
    return (message for message in catalog if message.id)


def _translated(message: Message) -> bool:
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return bool(strings) and all(strings)


def _label(message: Message) -> str:
    text = message.id[0] if isinstance(message.id, tuple) else message.id
    return f"{text!r}" + (f" (context {message.context!r})" if message.context else "")


def write_todo(target: Path, directory: Path = TRANSLATIONS) -> int:
    """The English catalog's untranslated or fuzzy strings as a JSON list to fill in."""
    catalog = read_catalog("en", directory)
    todo = [
        {"id": list(m.id) if isinstance(m.id, tuple) else m.id,
         "string": ["", ""] if isinstance(m.id, tuple) else ""}
        for m in _messages(catalog) if m.fuzzy or not _translated(m)
    ]  # fmt: skip
    target.write_text(json.dumps(todo, ensure_ascii=False, indent=1))
    return len(todo)


def fill(source: Path, directory: Path = TRANSLATIONS) -> int:
    """Write the filled-in translations of a `todo` file into the English catalog."""
    catalog = read_catalog("en", directory)
    filled = 0
    for entry in json.loads(source.read_text()):
        key = tuple(entry["id"]) if isinstance(entry["id"], list) else entry["id"]
        message = catalog.get(key[0] if isinstance(key, tuple) else key)
        string = tuple(entry["string"]) if isinstance(entry["string"], list) else entry["string"]
        if message is None or not all(string if isinstance(string, tuple) else [string]):
            continue
        message.string = string
        message.flags.discard("fuzzy")
        filled += 1
    with catalog_path("en", directory).open("wb") as out:
        write_po(out, catalog, width=100, ignore_obsolete=True)
    return filled


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devtools.i18n", description=__doc__.split("\n")[0]
    )
    parser.add_argument("command", choices=("update", "check", "compile", "todo", "fill"))
    parser.add_argument("file", nargs="?", type=Path)
    args = parser.parse_args(argv)
    if args.command == "todo":
        print(f"{write_todo(args.file)} string(s) to translate in {args.file}")
        return 0
    if args.command == "fill":
        print(f"{fill(args.file)} translation(s) filled in")
        return 0
    if args.command == "update":
        for locale, missing in update().items():
            print(f"{locale}: {len(missing)} string(s) to translate")
            for label in missing:
                print(f"  {label}")
        return 0
    if args.command == "compile":
        compile_catalogs()
        return 0
    problems = find_problems(extract())
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s); run `python -m devtools.i18n update` and translate")
        return 1
    print("translations complete")
    return 0


if __name__ == "__main__":
    sys.exit(main())
