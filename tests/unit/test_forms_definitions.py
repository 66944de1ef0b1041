"""Definitions: the shipped ones load; a broken one is refused at load with a message naming the
file, the question and the problem; versions are kept apart."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from forms import DefinitionError, DefinitionRegistry, check_all, load_definition_file
from forms.files import FILE_TYPES
from tests.unit.forms_helpers import T, definition_data, question


def write(folder: Path, data, name: str | None = None) -> Path:
    path = folder / (name or f"{data['key']}.v{data['version']}.yaml")
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def refusal(tmp_path: Path, data) -> str:
    with pytest.raises(DefinitionError) as caught:
        load_definition_file(write(tmp_path, data))
    return str(caught.value)


def test_the_shipped_definitions_load_in_every_version():
    registry = check_all()
    assert registry.keys() == ["aangifte-ib", "intake-koper", "testament"]
    buyer = registry.latest("intake-koper")
    assert buyer.office_kind == "notary" and buyer.title.en == "Intake for the buyer of a home"
    assert registry.latest("aangifte-ib").office_kind == "accountancy"
    # What the issue asks of each: persons, ID, marital regime, financing, the property; a will's
    # children as a repeating group; income tax's income, home, deductions, box 3, children,
    # partner.
    assert {"buyer", "identity", "marital", "financing", "property"} <= {p.key for p in buyer.pages}
    assert buyer.question("lender").when is not None
    # Version 2 leaves the copy of the ID and the purchase agreement to the transfer's upload
    # request; version 1 stays for the dossiers it was sent to.
    assert buyer.version == 2 and registry.get("intake-koper", 1).question("id_copy")
    with pytest.raises(KeyError):
        buyer.question("id_copy")
    assert registry.latest("testament").question("children").type == "group"
    assert registry.latest("testament").question("heirs").type == "group"
    tax = registry.latest("aangifte-ib")
    assert {p.key for p in tax.pages} >= {
        "partner",
        "income",
        "home",
        "deductions",
        "assets",
        "children",
    }
    assert tax.question("accounts").type == "group" and tax.question("properties").type == "group"


def test_every_text_of_the_shipped_definitions_is_in_both_languages_and_differs_where_it_should():
    for definition in check_all():
        texts = [definition.title, *(page.title for page in definition.pages)]
        for _page, item in definition.questions():
            texts.append(item.label)
            texts.extend(child.label for child in getattr(item, "questions", ()))
        assert all(text.nl and text.en for text in texts)
        # A copy-paste of the Dutch into the English shows as many identical labels.
        same = [text.nl for text in texts if text.nl == text.en]
        assert len(same) <= 3, (definition.key, same)


def test_the_flask_forms_check_entry_point_reports_a_broken_file_by_name(tmp_path):
    data = definition_data([question("naam", "text", max_length=0)])
    write(tmp_path, data)
    with pytest.raises(DefinitionError) as caught:
        check_all(tmp_path)
    assert caught.value.problems == [
        "proef.v1.yaml: question 'naam' (page 'page1'): max_length: "
        "Input should be greater than or equal to 1"
    ]


def test_check_all_lists_the_problems_of_every_broken_file(tmp_path):
    write(tmp_path, definition_data([question("a", "yesno")]))
    other = definition_data([question("b", "text")])
    other["key"] = "ander"
    other["pages"][0]["questions"][0]["label"] = {"nl": "Alleen Nederlands"}
    write(tmp_path, other)
    with pytest.raises(DefinitionError) as caught:
        check_all(tmp_path)
    assert len(caught.value.problems) == 2
    assert caught.value.problems[0].startswith(
        "ander.v1.yaml: question 'b' (page 'page1'): label.en"
    )
    assert caught.value.problems[1].startswith(
        "proef.v1.yaml: question 'a' (page 'page1'): unknown type"
    )


@pytest.mark.parametrize(
    ("questions", "expected"),
    [
        (
            [question("a", "text", colour="red")],
            "question 'a' (page 'page1'): colour: Extra inputs",
        ),
        (
            [question("a", "text"), question("a", "yes_no")],
            "question 'a' (page 'page1'): the key is used twice",
        ),
        ([question("Naam", "text")], "question 'Naam' (page 'page1'): key: 'Naam' is not a key"),
        (
            [{"key": "a", "label": T("A")}],
            "question 'a' (page 'page1'): type is missing; one of: text",
        ),
        (
            [question("a", "text", help={"nl": "hulp"})],
            "question 'a' (page 'page1'): help.en: Field required",
        ),
        ([question("a", "text", pattern="[0-9")], "pattern is not a regular expression"),
        ([question("a", "text", pattern="[0-9]+")], "a pattern needs a pattern_message"),
        (
            [question("a", "money", min="1.005")],
            "question 'a' (page 'page1'): min has more than two decimals",
        ),
        (
            [question("a", "number", min=5, max=2)],
            "question 'a' (page 'page1'): min is more than max",
        ),
        ([question("a", "file", accept=["exe"])], "accept must list file types from: pdf"),
        ([question("a", "file", max_mb=500)], "max_mb: Input should be less than or equal to 100"),
        (
            [
                question(
                    "a",
                    "single_choice",
                    options=[{"key": "x", "label": T("X")}, {"key": "x", "label": T("Y")}],
                )
            ],
            "option key(s) used twice: x",
        ),
        (
            [
                {
                    **question("g", "group", item_label=T("Rij"), min=3, max=2),
                    "questions": [question("c", "text")],
                }
            ],
            "question 'g' (page 'page1'): min is more than max",
        ),
        (
            [
                {
                    **question("g", "group", item_label=T("Rij")),
                    "questions": [question("c", "texts")],
                }
            ],
            "question 'c' in group 'g' (page 'page1'): unknown type",
        ),
        (
            [
                {
                    **question("g", "group", item_label=T("Rij")),
                    "questions": [question("c", "text", max_length=-1)],
                }
            ],
            "question 'c' in group 'g' (page 'page1'): max_length",
        ),
    ],
)
def test_a_broken_question_is_refused_naming_file_question_and_problem(
    tmp_path, questions, expected
):
    message = refusal(tmp_path, definition_data(questions))
    assert message.startswith("proef.v1.yaml: ")
    assert expected in message


@pytest.mark.parametrize(
    ("pages", "expected"),
    [
        # unknown question
        (
            [
                [
                    question("a", "yes_no"),
                    question("b", "text", when={"question": "x", "equals": True}),
                ]
            ],
            "question 'b' (page 'page1'): the condition refers to 'x', which is no question",
        ),
        # a later question on the same page
        (
            [
                [
                    question("a", "text", when={"question": "b", "equals": True}),
                    question("b", "yes_no"),
                ]
            ],
            "question 'a' (page 'page1'): the condition refers to 'b', which comes later",
        ),
        # a page that looks at its own question
        ([[question("a", "yes_no")], [question("b", "yes_no")]], None),
        # a misspelled option
        (
            [
                [
                    question(
                        "s", "single_choice", options=[{"key": "married", "label": T("Gehuwd")}]
                    ),
                    question("b", "text", when={"question": "s", "in": ["maried"]}),
                ]
            ],
            "question 'b' (page 'page1'): a condition on 's': 'maried' is not one of its options",
        ),
        # yes/no compared with a text
        (
            [
                [
                    question("a", "yes_no"),
                    question("b", "text", when={"question": "a", "equals": "ja"}),
                ]
            ],
            "a condition on 'a': 'ja' is not true or false",
        ),
        # greater_than on a text
        (
            [
                [
                    question("a", "text"),
                    question("b", "text", when={"question": "a", "greater_than": 3}),
                ]
            ],
            "a condition cannot use greater_than on 'a' (a text question)",
        ),
        # a question inside a group from outside it
        (
            [
                [
                    {
                        **question("g", "group", item_label=T("Kind")),
                        "questions": [question("c", "yes_no")],
                    },
                    question("b", "text", when={"question": "c", "equals": True}),
                ]
            ],
            "the condition refers to 'c', a question inside group 'g' (which row?)",
        ),
        # not a condition at all: code is never evaluated
        (
            [[question("a", "yes_no"), question("b", "text", when="a == True")]],
            "question 'b' (page 'page1'): when: a condition is all, any or not",
        ),
        (
            [
                [
                    question("a", "yes_no"),
                    question("b", "text", when={"question": "a", "equals": True, "in": [True]}),
                ]
            ],
            "when.in: Extra inputs are not permitted",
        ),
    ],
)
def test_conditions_on_unknown_later_or_unsuitable_questions_are_refused(tmp_path, pages, expected):
    data = definition_data(*pages)
    if expected is None:  # a page whose condition looks at a question on that same page
        data["pages"][1]["when"] = {"question": "b", "equals": True}
        expected = "page 'page2': the condition refers to 'b', which comes later"
    assert expected in refusal(tmp_path, data)


def test_conditions_that_look_back_are_accepted(tmp_path):
    data = definition_data(
        [
            question("married", "yes_no"),
            question("price", "money"),
            question("wed", "date", when={"question": "married", "equals": True}),
        ],
        [
            {
                **question("kids", "group", item_label=T("Kind"), min=1),
                "questions": [
                    question("minor", "yes_no"),
                    question(
                        "guardian",
                        "text",
                        when={
                            "all": [
                                {"question": "minor", "equals": True},
                                {"question": "married", "equals": False},
                            ]
                        },
                    ),
                ],
            }
        ],
        [
            question(
                "n",
                "number",
                when={
                    "any": [
                        {"question": "kids", "greater_than": 1},
                        {"not": {"question": "price", "less_than": 100000}},
                    ]
                },
            )
        ],
    )
    data["pages"][2]["when"] = {
        "question": "wed",
        "less_than": __import__("datetime").date(2018, 1, 1),
    }
    assert load_definition_file(write(tmp_path, data)).question_count() == 6


def test_invalid_yaml_and_a_wrong_file_name_are_refused(tmp_path):
    bad = tmp_path / "kapot.v1.yaml"
    bad.write_text("key: kapot\npages: [\n", encoding="utf-8")
    with pytest.raises(DefinitionError, match=r"^kapot.v1.yaml: not valid YAML"):
        load_definition_file(bad)
    path = write(tmp_path, definition_data([question("a", "text")]), name="proef.v2.yaml")
    with pytest.raises(DefinitionError, match="must be named proef.v1.yaml"):
        load_definition_file(path)


def test_a_dossier_keeps_its_version_when_a_newer_one_is_added(tmp_path):
    first = definition_data([question("a", "text")])
    second = definition_data([question("a", "text"), question("b", "yes_no")], version=2)
    write(tmp_path, first)
    write(tmp_path, second)
    registry = DefinitionRegistry.from_folder(tmp_path)
    assert registry.latest("proef").version == 2
    assert registry.get("proef", 1).question_count() == 1
    with pytest.raises(KeyError):
        registry.get("proef", 3)


def test_file_types_are_ones_the_portals_file_store_accepts():
    from casemodel.filestore import ALLOWED_TYPES

    assert set(FILE_TYPES.values()) <= set(ALLOWED_TYPES)


def test_the_library_imports_neither_flask_nor_prefect_nor_the_rest_of_dossierflow():
    code = (
        "import sys, forms, forms.pdf, forms.view; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'flask', 'flask_babel', 'prefect', 'werkzeug', 'webapp', 'flows', 'casemodel'}))"
    )
    imported = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert imported == "[]"
