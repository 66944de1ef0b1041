"""What a web page gets to render a page: texts in the client's language, saved values or the
typed ones after a refused post with their messages, conditions evaluated, group rows."""

from __future__ import annotations

from forms import page_view, validate_page
from tests.unit.forms_helpers import EN, NL, TODAY, T, definition, question

FORM = definition(
    [question("name", "text", help=T("Zoals in uw paspoort.", "As in your passport."))],
    [
        question("mortgage", "yes_no"),
        question("amount", "money", when={"question": "mortgage", "equals": True}),
        {
            **question(
                "accounts",
                "group",
                item_label=T("Rekening", "Account"),
                min=0,
                max=3,
                add_label=T("Nog een rekening", "Another account"),
            ),
            "questions": [question("iban", "iban"), question("balance", "money", min=-1000)],
        },
        question("scan", "file", accept=["pdf", "png"], max_mb=5, required=False),
    ],
    [question("remarks", "long_text", required=False)],
)


def by_key(view):
    return {item.key: item for item in view.items}


def test_a_page_with_saved_answers_in_the_clients_language():
    saved = {
        "name": "Zoë",
        "mortgage": True,
        "amount": "250000.00",
        "accounts": [{"iban": "NL91ABNA0417164300", "balance": "-12.50"}],
    }
    view = page_view(FORM, "page2", saved, NL)
    assert (view.title, view.number, view.total) == ("Pagina 2", 2, 3)
    assert (view.previous_key, view.next_key) == ("page1", "page3")
    items = by_key(view)
    assert items["mortgage"].options == (("yes", "Ja"), ("no", "Nee"))
    assert items["mortgage"].value == "yes"
    assert items["amount"].visible and items["amount"].value == "250.000,00"
    assert items["amount"].condition == {"question": "mortgage", "equals": True}
    accounts = items["accounts"]
    assert [row.title for row in accounts.rows] == ["Rekening 1"]
    assert [f.value for f in accounts.rows[0].fields] == ["NL91 ABNA 0417 1643 00", "-12,50"]
    assert accounts.rows[0].fields[0].name == "accounts-0-iban"
    assert accounts.template.fields[0].name == "accounts-__row__-iban"
    assert accounts.add_label == "Nog een rekening" and accounts.can_add
    assert items["scan"].note == "PDF of PNG, ten hoogste 5 MB"
    assert items["scan"].attributes["accept"].startswith(".pdf,.png,application/pdf")

    english = by_key(page_view(FORM, "page2", saved, EN))
    assert english["amount"].value == "250,000.00"
    assert english["mortgage"].options == (("yes", "Yes"), ("no", "No"))
    assert english["scan"].note == "PDF or PNG, at most 5 MB"


def test_conditions_are_evaluated_and_blank_rows_offered():
    view = by_key(page_view(FORM, "page2", {"mortgage": False}, NL))
    assert not view["amount"].visible
    assert [row.title for row in view["accounts"].rows] == ["Rekening 1"]  # one blank to start
    more = by_key(page_view(FORM, "page2", {}, NL, add_rows={"accounts": 5}))
    assert len(more["accounts"].rows) == 3 and not more["accounts"].can_add  # never past max
    help_text = page_view(FORM, "page1", {}, EN).items[0].help
    assert help_text == "As in your passport."


def test_a_refused_post_shows_what_was_typed_with_its_messages():
    post = {
        "mortgage": "yes",
        "amount": "-5",
        "accounts-0-iban": "NL91 ABNA 0417 1643 01",
        "accounts-0-balance": "10",
        "accounts-2-iban": "NL91ABNA0417164300",
        "accounts-2-balance": "1,5",
    }
    result = validate_page(FORM, "page2", post, EN, today=TODAY)
    assert not result.ok
    view = page_view(FORM, "page2", {}, EN, result=result)
    items = by_key(view)
    assert items["amount"].visible and items["amount"].value == "-5"
    assert items["amount"].error == (
        "A negative amount is not possible here. Enter the amount without a minus."
    )
    rows = items["accounts"].rows
    assert [[f.value for f in row.fields] for row in rows] == [
        ["NL91 ABNA 0417 1643 01", "10"],
        ["NL91ABNA0417164300", "1,5"],  # row 2 of the post is the second row now
    ]
    assert rows[0].fields[0].error.startswith("This IBAN is not right")
    assert rows[1].fields[0].error is None
    assert set(view.errors) == {"amount", "accounts-0-iban"}


def test_date_limits_reach_the_date_picker_and_a_catalog_knows_its_language():
    from forms import Language
    from forms.language import LOCALES

    dated = definition([question("born", "date", max="today", autocomplete="bday")])
    field = page_view(dated, "page1", {}, NL, today=TODAY).items[0]
    assert field.widget == "date"
    assert field.attributes == {"autocomplete": "bday", "max": "2026-11-22"}
    assert [Language.of(lang.translations).code for lang in (NL, EN)] == list(LOCALES)


def test_a_page_tells_its_script_the_earlier_answers_its_conditions_look_at():
    view = page_view(FORM, "page2", {"name": "Zoë", "mortgage": True}, NL)
    assert view.outside_answers == {}  # page 2 looks only at its own "mortgage"
    later = definition(
        [question("mortgage", "yes_no"), question("name", "text")],
        [question("lender", "text", when={"question": "mortgage", "equals": True})],
    )
    assert page_view(later, "page2", {"mortgage": True, "name": "Zoë"}, NL).outside_answers == {
        "mortgage": True
    }


def test_a_draft_keeps_the_page_as_typed_and_checks_again_as_before(tmp_path):
    from casemodel.filestore import FileStore
    from forms import page_draft
    from tests.unit.forms_helpers import PDF, StoreUploads

    post = {
        "mortgage": "yes",
        "amount": "-5",
        "accounts-0-iban": "NL91 ABNA 0417 1643 01",
        "csrf_token": "x",
        "action": "previous",
        "name": "from another page",
    }
    uploads = StoreUploads(FileStore(tmp_path), {"scan": ("scan.pdf", PDF)})
    result = validate_page(FORM, "page2", post, NL, uploads=uploads, today=TODAY)
    draft = page_draft(FORM, "page2", post, result)

    stored = result.values["scan"]
    assert draft == {
        "mortgage": ["yes"],
        "amount": ["-5"],
        "accounts-0-iban": ["NL91 ABNA 0417 1643 01"],
        "scan.keep": [stored["sha256"]],
    }
    again = validate_page(
        FORM, "page2", draft, NL, known_files={stored["sha256"]: stored}, today=TODAY
    )
    assert again.errors == result.errors and again.values["scan"] == stored
