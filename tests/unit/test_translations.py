"""The catalogs cover every string in the code: a string nobody translated fails CI.

Fix a failure with `python -m devtools.i18n update`, then translate what it lists in
translations/en/LC_MESSAGES/messages.po (the Dutch catalog fills itself in).
"""

from babel.support import Translations

from devtools import i18n


def test_every_string_in_the_code_is_translated_in_both_catalogs(tmp_path):
    pot = tmp_path / "messages.pot"
    i18n.write_template(pot)
    template = i18n.read_template(pot)
    assert len([m for m in template if m.id]) > 50, "extraction found almost nothing: babel.cfg?"

    problems = i18n.find_problems(template)

    assert not problems, "\n".join(["translations incomplete:", *problems])


def test_the_check_reports_a_string_the_catalogs_lack(tmp_path):
    template = i18n.extract()
    template.add("Een zin die nergens vertaald is")

    problems = i18n.find_problems(template)

    assert "nl: missing from the catalog: 'Een zin die nergens vertaald is'" in problems
    assert "en: missing from the catalog: 'Een zin die nergens vertaald is'" in problems


def test_the_catalogs_compile_with_two_plural_forms(tmp_path):
    i18n.compile_catalogs(tmp_path)
    for locale in i18n.LOCALES:
        catalog = i18n.read_catalog(locale)
        assert catalog.plural_expr == "(n != 1)" and catalog.num_plurals == 2
    english = Translations.load(str(tmp_path), ["en"])
    assert english.ngettext("openstaande actie", "openstaande acties", 1) == "open action"
    assert english.ngettext("openstaande actie", "openstaande acties", 3) == "open actions"
    assert english.gettext("Voortgang") == "Progress"
