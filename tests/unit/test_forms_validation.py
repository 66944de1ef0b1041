"""Checking posted pages: every type's valid and wrong input (with its message in Dutch and
English and the typed value kept), conditions hiding and dropping answers, repeating groups,
files through the portal's real file store, and the final check before the flow."""

from __future__ import annotations

import json

import pytest
from werkzeug.datastructures import MultiDict

from casemodel.filestore import FileStore
from forms import (
    AnswersInvalid,
    PageUnavailable,
    merge_page,
    next_page,
    parse_definition,
    previous_page,
    validate_answers,
    validate_page,
    visible_pages,
)
from tests.unit.forms_helpers import (
    EN,
    NL,
    PDF,
    PNG,
    TODAY,
    StoreUploads,
    T,
    definition,
    definition_data,
    question,
)


def check(settings: dict, raw, lang=NL, **kwargs):
    """Post one field of one question; (stored answer, error message, value kept)."""
    form = raw if isinstance(raw, dict) else {"q": raw}
    result = validate_page(
        definition([question("q", **settings)]), "page1", form, lang, today=TODAY, **kwargs
    )
    return result.answers.get("q"), result.errors.get("q"), result.values.get("q")


# (settings, typed, stored) for good input; the stored value is JSON.
VALID = [
    ({"type_": "text"}, "  Zoë   van der\tĲssel ", "Zoë van der Ĳssel"),
    ({"type_": "long_text"}, "Regel één\r\nRegel twee\r\n", "Regel één\nRegel twee"),
    ({"type_": "number"}, "1980", 1980),
    ({"type_": "number"}, " 12 ", 12),
    ({"type_": "money"}, "1.250,50", "1250.50"),
    ({"type_": "money"}, "€ 1.250", "1250.00"),
    ({"type_": "money"}, "1500.5", "1500.50"),  # a decimal point typed in Dutch
    ({"type_": "money", "min": -1000}, "-12,34", "-12.34"),
    ({"type_": "date"}, "1980-02-29", "1980-02-29"),
    ({"type_": "date"}, "29-2-1980", "1980-02-29"),
    ({"type_": "date", "max": "today"}, "22-11-2026", "2026-11-22"),
    ({"type_": "yes_no"}, "yes", True),
    ({"type_": "yes_no"}, "no", False),
    ({"type_": "email"}, "Zoe@Example.NL", "Zoe@example.nl"),
    ({"type_": "phone"}, "06 12 34 56 78", "+31612345678"),
    ({"type_": "phone"}, "+32 470 12 34 56", "+32470123456"),
    ({"type_": "iban"}, "nl91 abna 0417 1643 00", "NL91ABNA0417164300"),
    ({"type_": "bsn"}, "1112.22.333", "111222333"),
]


@pytest.mark.parametrize(("settings", "typed", "stored"), VALID)
def test_valid_input_becomes_a_normalised_json_answer(settings, typed, stored):
    answer, error, _kept = check(settings, typed)
    assert error is None
    assert answer == stored
    json.dumps(answer)  # stored in the database and handed to the flow as JSON


def test_money_is_read_the_way_each_language_writes_it():
    assert check({"type_": "money"}, "1,250.50", lang=EN)[0] == "1250.50"
    assert check({"type_": "money"}, "1.250,50", lang=NL)[0] == "1250.50"
    assert check({"type_": "money"}, "12,5", lang=EN)[0] == "12.50"
    # Three decimals: a mistake in Dutch, a thousands separator in English.
    assert check({"type_": "money"}, "12,345", lang=NL)[1] == (
        "Een bedrag heeft ten hoogste twee cijfers achter de komma."
    )
    assert check({"type_": "money"}, "12,345", lang=EN)[0] == "12345.00"
    assert check({"type_": "money"}, "12.345", lang=EN)[1] == (
        "An amount has at most two digits after the decimal point."
    )


CHOICES = [
    {"key": "married", "label": T("Gehuwd", "Married")},
    {"key": "single", "label": T("Ongehuwd", "Unmarried")},
    {"key": "other", "label": T("Anders", "Other")},
]

# (settings, typed, Dutch message, English message)
INVALID = [
    (
        {"type_": "text", "max_length": 5},
        "Zoë Ĳssel",
        "Dit is te lang: ten hoogste 5 tekens (nu 9).",
        "This is too long: at most 5 characters (now 9).",
    ),
    (
        {"type_": "text", "min_length": 4},
        "Ab",
        "Dit is te kort: ten minste 4 tekens.",
        "This is too short: at least 4 characters.",
    ),
    (
        {
            "type_": "text",
            "pattern": "[A-Z]{2}[0-9]{6}",
            "pattern_message": T("Twee letters en zes cijfers.", "Two letters and six digits."),
        },
        "AB12",
        "Twee letters en zes cijfers.",
        "Two letters and six digits.",
    ),
    (
        {"type_": "number"},
        "3,5",
        "Vul een heel getal in, zoals 3 of 1980.",
        "Enter a whole number, such as 3 or 1980.",
    ),
    (
        {"type_": "number", "min": 1900},
        "1850",
        "Vul een getal in van ten minste 1900.",
        "Enter a number of at least 1900.",
    ),
    (
        {"type_": "money"},
        "-50",
        "Een negatief bedrag kan hier niet. Vul het bedrag zonder min in.",
        "A negative amount is not possible here. Enter the amount without a minus.",
    ),
    (
        {"type_": "money"},
        "twaalf",
        "Vul een bedrag in euro's in, zoals 1.250 of 1.250,50.",
        "Enter an amount in euros, such as 1,250 or 1,250.50.",
    ),
    (
        {"type_": "money", "max": 1000},
        "1001",
        "Vul een bedrag in van ten hoogste €\xa01.000,00.",
        "Enter an amount of at most €1,000.00.",
    ),
    (
        {"type_": "date"},
        "31-02-2024",
        "Deze datum bestaat niet: 31-02-2024. Controleer de dag en de maand.",
        "This date does not exist: 31-02-2024. Please check the day and the month.",
    ),
    (
        {"type_": "date"},
        "31/2/24",
        "Vul het jaar met vier cijfers in, zoals 31-12-1980.",
        "Enter the year with four digits, such as 31-12-1980.",
    ),
    (
        {"type_": "date"},
        "morgen",
        "Vul een datum in als dag-maand-jaar, zoals 31-12-1980.",
        "Enter a date as day-month-year, such as 31-12-1980.",
    ),
    (
        {"type_": "date", "max": "today"},
        "23-11-2026",
        "Deze datum ligt in de toekomst.",
        "This date is in the future.",
    ),
    (
        {"type_": "date", "min": "today"},
        "21-11-2026",
        "Deze datum ligt in het verleden.",
        "This date is in the past.",
    ),
    ({"type_": "yes_no"}, "misschien", "Kies ja of nee.", "Choose yes or no."),
    (
        {"type_": "single_choice", "options": CHOICES},
        "widowed",
        "Kies een van de mogelijkheden.",
        "Choose one of the options.",
    ),
    (
        {"type_": "email"},
        "zoe@",
        "Vul een geldig e-mailadres in, zoals naam@voorbeeld.nl.",
        "Enter a valid email address, such as name@example.com.",
    ),
    (
        {"type_": "phone"},
        "0612",
        "Vul een geldig telefoonnummer in, zoals 06 12345678 of, uit het buitenland, "
        "+32 470 12 34 56.",
        "Enter a valid phone number, such as 06 12345678 or, from abroad, +32 470 12 34 56.",
    ),
    (
        {"type_": "iban"},
        "NL91 ABNA 0417 1643 01",
        "Dit IBAN klopt niet: de controlecijfers passen niet bij het nummer. Controleer of u "
        "elk teken goed heeft overgenomen.",
        "This IBAN is not right: its check digits do not match the number. Please check that you "
        "copied every character correctly.",
    ),
    (
        {"type_": "iban"},
        "NL91 ABNA 0417 1643",
        "Een Nederlands IBAN heeft 18 tekens, zoals NL91 ABNA 0417 1643 00 (nu 16).",
        "A Dutch IBAN has 18 characters, such as NL91 ABNA 0417 1643 00 (this one has 16).",
    ),
    (
        {"type_": "bsn"},
        "111222334",
        "Dit BSN klopt niet: het voldoet niet aan de elfproef. Controleer de cijfers op uw "
        "paspoort, identiteitskaart of rijbewijs.",
        "This BSN is not right: it fails the eleven test. Please check the digits on your "
        "passport, identity card or driving licence.",
    ),
    (
        {"type_": "bsn"},
        "12345",
        "Een BSN bestaat uit 9 cijfers, zoals 123456782.",
        "A BSN consists of 9 digits, such as 123456782.",
    ),
    ({"type_": "text"}, "   ", "Vul dit in.", "Please fill this in."),
]


@pytest.mark.parametrize(("settings", "typed", "dutch", "english"), INVALID)
def test_wrong_input_gets_a_clear_message_in_both_languages_and_is_kept(
    settings, typed, dutch, english
):
    for lang, message in ((NL, dutch), (EN, english)):
        answer, error, kept = check(settings, typed, lang=lang)
        assert (answer, error) == (None, message)
        assert kept == typed  # the client sees what they typed, to correct it


def test_postcode_and_house_number():
    settings = {"type_": "postcode"}
    post = {"q.postcode": "1234ab", "q.house_number": "12", "q.addition": "a"}
    assert check(settings, post)[0] == {"postcode": "1234 AB", "house_number": 12, "addition": "A"}
    answer, error, kept = check(settings, {**post, "q.postcode": "1234 A"})
    assert answer is None
    assert error == "Vul een geldige postcode in: vier cijfers en twee letters, zoals 1234 AB."
    assert kept == {"postcode": "1234 A", "house_number": "12", "addition": "a"}
    assert check(settings, {**post, "q.postcode": "1234 A"}, lang=EN)[1] == (
        "Enter a valid postcode: four digits and two letters, such as 1234 AB."
    )
    assert check(settings, {**post, "q.house_number": "12b"})[1] == (
        "Vul het huisnummer in met alleen cijfers; een letter of toevoeging apart."
    )
    assert check(settings, {})[1] == "Vul dit in."


def test_multiple_choice_from_a_multidict():
    settings = {"type_": "multiple_choice", "options": CHOICES, "max": 2}
    form = MultiDict([("q", "other"), ("q", "married")])
    assert check(settings, form)[0] == ["married", "other"]  # in the options' order
    too_many = MultiDict([("q", "other"), ("q", "married"), ("q", "single")])
    assert check(settings, too_many)[1] == "Kies ten hoogste 2 mogelijkheden."
    assert check(settings, too_many, lang=EN)[1] == "Choose at most 2 options."
    assert check(settings, MultiDict([("q", "nonsense")]))[1] == "Kies een van de mogelijkheden."
    assert check(settings, MultiDict())[1] == "Kies ten minste één mogelijkheid."
    assert check({**settings, "required": False}, MultiDict())[:2] == (None, None)


def test_an_optional_question_left_empty_has_no_answer():
    result = validate_page(
        definition([question("a", "text", required=False), question("b", "money", required=False)]),
        "page1",
        {"a": "", "b": " "},
        NL,
        today=TODAY,
    )
    assert result.ok and result.answers == {}


# --- conditions on a page -------------------------------------------------------------------

MARRIAGE = [
    question("married", "yes_no"),
    question("wed", "date", when={"question": "married", "equals": True}),
    question(
        "regime", "single_choice", options=CHOICES, when={"question": "married", "equals": True}
    ),
]


def test_a_shown_question_is_required_and_a_hidden_one_is_neither_required_nor_kept():
    form = definition(MARRIAGE)
    shown = validate_page(form, "page1", {"married": "yes"}, NL, today=TODAY)
    assert shown.errors == {"wed": "Vul dit in.", "regime": "Maak een keuze."}
    # Answered "no": the date typed before the change is posted still (no JavaScript), but the
    # question is hidden, so it is neither checked nor kept.
    hidden = validate_page(
        form, "page1", {"married": "no", "wed": "31-02-2020", "regime": "x"}, NL, today=TODAY
    )
    assert hidden.ok
    assert hidden.answers == {"married": False}
    assert {"wed", "regime"} <= hidden.hidden


def test_a_later_page_can_be_hidden_and_its_saved_answers_are_dropped():
    data = definition_data(
        [question("mortgage", "yes_no")],
        [question("lender", "text"), question("amount", "money")],
        [question("remarks", "long_text", required=False)],
    )
    data["pages"][1]["when"] = {"question": "mortgage", "equals": True}
    form = parse_definition(data)
    saved = {"mortgage": True, "lender": "Rabobank", "amount": "250000.00"}
    assert [p.key for p in visible_pages(form, saved)] == ["page1", "page2", "page3"]
    assert next_page(form, saved, "page1") == "page2"

    no_mortgage = validate_page(form, "page1", {"mortgage": "no"}, NL, answers=saved, today=TODAY)
    merged = merge_page(form, saved, no_mortgage)
    assert merged == {"mortgage": False}  # the lender and the amount are not kept
    assert next_page(form, merged, "page1") == "page3"
    assert previous_page(form, merged, "page3") == "page1"
    assert previous_page(form, merged, None) == "page3"  # from the summary
    with pytest.raises(PageUnavailable):
        validate_page(form, "page2", {"lender": "ING"}, NL, answers=merged, today=TODAY)
    with pytest.raises(PageUnavailable):
        validate_page(form, "nonsense", {}, NL, answers=merged, today=TODAY)


# --- repeating groups -----------------------------------------------------------------------

CHILDREN = [
    question("has_children", "yes_no"),
    {
        **question(
            "children",
            "group",
            item_label=T("Kind", "Child"),
            min=1,
            max=3,
            when={"question": "has_children", "equals": True},
        ),
        "questions": [
            question("child_name", "text"),
            question("child_alive", "yes_no"),
            question(
                "child_descendants",
                "number",
                min=0,
                when={"question": "child_alive", "equals": False},
            ),
        ],
    },
]


def test_group_rows_are_parsed_renumbered_and_checked_per_row():
    form = definition(CHILDREN)
    post = MultiDict(
        [
            ("has_children", "yes"),
            ("children-0-child_name", "Ĳsbrand de Vries"),
            ("children-0-child_alive", "yes"),
            ("children-0-child_descendants", "7"),  # hidden in this row: dropped
            ("children-4-child_name", ""),
            ("children-4-child_alive", ""),  # a blank row: left out
            ("children-7-child_name", "Łucja Wiśniewska"),
            ("children-7-child_alive", "no"),
            ("children-7-child_descendants", "2"),
            ("children-9-child_name", "Weg"),
            ("children-9-child_alive", "yes"),
            ("children-9.remove", "1"),  # ticked to remove
        ]
    )
    result = validate_page(form, "page1", post, NL, today=TODAY)
    assert result.ok, result.errors
    assert result.answers == {
        "has_children": True,
        "children": [
            {"child_name": "Ĳsbrand de Vries", "child_alive": True},
            {"child_name": "Łucja Wiśniewska", "child_alive": False, "child_descendants": 2},
        ],
    }


def test_group_errors_name_the_row_field_and_the_count():
    form = definition(CHILDREN)
    wrong_row = MultiDict(
        [
            ("has_children", "yes"),
            ("children-3-child_name", "Ayşe"),
            ("children-3-child_alive", "no"),
        ]
    )
    result = validate_page(form, "page1", wrong_row, EN, today=TODAY)
    assert result.errors == {"children-0-child_descendants": "Please fill this in."}
    assert result.values["children-0-child_name"] == "Ayşe"
    none = validate_page(form, "page1", {"has_children": "yes"}, NL, today=TODAY)
    assert none.errors == {"children": "Er is ten minste 1 nodig."}
    assert validate_page(form, "page1", {"has_children": "yes"}, EN, today=TODAY).errors == {
        "children": "At least 1 is needed."
    }
    four = MultiDict(
        [("has_children", "yes")]
        + [
            (f"children-{i}-{key}", value)
            for i in range(4)
            for key, value in (("child_name", f"Kind {i}"), ("child_alive", "yes"))
        ]
    )
    assert validate_page(form, "page1", four, NL, today=TODAY).errors == {
        "children": "Er kunnen er ten hoogste 3 zijn."
    }
    hidden = validate_page(form, "page1", {"has_children": "no", "children-0-child_name": "X"}, NL)
    assert hidden.ok and hidden.answers == {"has_children": False}


# --- files ----------------------------------------------------------------------------------


def test_a_file_goes_through_the_file_store_and_is_checked_against_the_question(tmp_path):
    store = FileStore(tmp_path)
    form = definition(
        [question("id_copy", "file", accept=["pdf"], max_mb=1), question("name", "text")]
    )
    uploads = StoreUploads(store, {"id_copy": ("../paspoort Zoë.pdf", PDF)})

    refused_elsewhere = validate_page(form, "page1", {"name": ""}, NL, uploads=uploads, today=TODAY)
    assert refused_elsewhere.errors == {"name": "Vul dit in."}
    [stored] = refused_elsewhere.new_files  # stored, for the service to keep known
    assert stored["filename"] == "paspoort Zoë.pdf" and stored["content_type"] == "application/pdf"
    assert refused_elsewhere.values["id_copy"] == stored  # shown again, posted back as .keep

    # The next post keeps the file by its SHA-256, which the service knows for this form.
    known = {stored["sha256"]: stored}
    kept = validate_page(
        form,
        "page1",
        {"id_copy.keep": stored["sha256"], "name": "Zoë"},
        NL,
        known_files=known,
        today=TODAY,
    )
    assert kept.ok and kept.answers["id_copy"] == stored

    # A SHA-256 the service does not know (someone else's file) never becomes an answer.
    foreign = validate_page(
        form,
        "page1",
        {"id_copy.keep": "ab" * 32, "name": "Zoë"},
        NL,
        known_files=known,
        today=TODAY,
    )
    assert foreign.errors == {"id_copy": "Dit bestand is niet meer beschikbaar. Kies het opnieuw."}


@pytest.mark.parametrize(
    ("content", "dutch", "english"),
    [
        (
            PNG,
            "Dit soort bestand kan hier niet. Kies een bestand van het type PDF.",
            "This kind of file is not accepted here. Choose a file of type PDF.",
        ),
        (
            b"MZ" + b"\x00" * 100,
            "Dit soort bestand kan hier niet. Kies een bestand van het type PDF.",
            "This kind of file is not accepted here. Choose a file of type PDF.",
        ),
        (
            PDF + b"\x00" * (1024 * 1024),
            "Dit bestand is te groot: ten hoogste 1 MB.",
            "This file is too large: at most 1 MB.",
        ),
        (
            b"",
            "Dit bestand is leeg. Kies een ander bestand.",
            "This file is empty. Please choose another file.",
        ),
    ],
)
def test_a_file_of_the_wrong_type_or_too_big_is_refused_in_both_languages(
    tmp_path, content, dutch, english
):
    form = definition([question("id_copy", "file", accept=["pdf"], max_mb=1)])
    for lang, message in ((NL, dutch), (EN, english)):
        uploads = StoreUploads(FileStore(tmp_path), {"id_copy": ("scan.pdf", content)})
        result = validate_page(form, "page1", {}, lang, uploads=uploads, today=TODAY)
        assert result.errors == {"id_copy": message}


def test_a_required_file_not_chosen_and_the_types_named_for_the_client(tmp_path):
    form = definition([question("scan", "file", accept=["pdf", "jpeg", "png"])])
    uploads = StoreUploads(FileStore(tmp_path), {})
    assert validate_page(form, "page1", {}, NL, uploads=uploads).errors == {
        "scan": "Kies een bestand."
    }
    assert validate_page(form, "page1", {}, EN, uploads=uploads).errors == {
        "scan": "Choose a file."
    }
    assert form.question("scan").type_names(NL) == "PDF, JPEG of PNG"
    assert form.question("scan").type_names(EN) == "PDF, JPEG or PNG"


# --- the final check ------------------------------------------------------------------------


def test_validate_answers_checks_every_visible_question_again_and_drops_hidden_ones():
    form = definition(MARRIAGE, CHILDREN, [question("iban", "iban")])
    good = {
        "married": False,
        "wed": "2001-05-05",  # hidden by married = false: dropped
        "has_children": True,
        "children": [{"child_name": "Zoë", "child_alive": False, "child_descendants": 1}],
        "iban": "NL91ABNA0417164300",
        "unknown_key": "from an older version",
    }
    cleaned = validate_answers(form, good, NL, today=TODAY)
    assert cleaned == {k: v for k, v in good.items() if k not in ("wed", "unknown_key")}

    with pytest.raises(AnswersInvalid) as caught:
        validate_answers(
            form,
            {
                **good,
                "married": True,
                "iban": "NL91ABNA0417164301",
                "children": [{"child_name": "Zoë", "child_alive": False}],
            },
            EN,
            today=TODAY,
        )
    problems = {(p.page, p.field): p.message for p in caught.value.problems}
    assert problems == {
        ("page1", "regime"): "Please make a choice.",
        ("page2", "children-0-child_descendants"): "Please fill this in.",
        ("page3", "iban"): "This IBAN is not right: its check digits do not match the number. "
        "Please check that you copied every character correctly.",
    }


@pytest.mark.parametrize(
    ("settings", "stored"),
    [
        ({"type_": "money"}, 12.5),  # a float: never money
        ({"type_": "money"}, "12.5"),
        ({"type_": "yes_no"}, "yes"),
        ({"type_": "number"}, True),
        ({"type_": "date"}, "2024-02-30"),
        ({"type_": "postcode"}, {"postcode": "1234 AB"}),
        (
            {"type_": "file"},
            {"sha256": "x", "filename": "a.pdf", "content_type": "application/pdf", "size": 3},
        ),
        ({"type_": "multiple_choice", "options": CHOICES}, "married"),
    ],
)
def test_a_stored_answer_of_the_wrong_shape_never_reaches_the_flow(settings, stored):
    form = definition([question("q", **settings)])
    with pytest.raises(AnswersInvalid):
        validate_answers(form, {"q": stored}, NL, today=TODAY)
