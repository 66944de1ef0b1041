"""Conditions as data: evaluated on a plain dict of stored answers (as a case template's `when:`
will be), never as code."""

from __future__ import annotations

import datetime as dt

import pytest

from forms import ConditionError, condition_to_json, evaluate, parse_condition


def holds(condition, answers) -> bool:
    return evaluate(parse_condition(condition), answers)


def test_equals_compares_like_with_like():
    assert holds({"question": "mortgage", "equals": True}, {"mortgage": True})
    assert not holds({"question": "mortgage", "equals": True}, {"mortgage": False})
    # A yes/no answer is not the number 1, and a text is not a yes/no.
    assert not holds({"question": "mortgage", "equals": 1}, {"mortgage": True})
    assert not holds({"question": "mortgage", "equals": True}, {"mortgage": "yes"})
    assert holds({"question": "status", "equals": "married"}, {"status": "married"})
    # Money is stored as text with two decimals and compares exactly with a YAML number.
    assert holds({"question": "price", "equals": 1250}, {"price": "1250.00"})


def test_in_greater_than_and_less_than():
    assert holds({"question": "status", "in": ["married", "registered"]}, {"status": "registered"})
    assert not holds({"question": "status", "in": ["married"]}, {"status": "single"})
    assert holds({"question": "price", "greater_than": 500000}, {"price": "500000.01"})
    assert not holds({"question": "price", "greater_than": 500000}, {"price": "500000.00"})
    assert holds({"question": "wed", "less_than": dt.date(2018, 1, 1)}, {"wed": "2017-12-31"})
    assert not holds({"question": "wed", "less_than": dt.date(2018, 1, 1)}, {"wed": "2018-01-01"})
    # A text is not ordered against a number.
    assert not holds({"question": "name", "greater_than": 3}, {"name": "Zoë"})


def test_multiple_choice_and_repeating_groups():
    chosen = {"deductions": ["healthcare", "gifts"]}
    assert holds({"question": "deductions", "in": ["gifts", "alimony"]}, chosen)
    assert holds({"question": "deductions", "equals": "healthcare"}, chosen)
    assert not holds({"question": "deductions", "in": ["alimony"]}, chosen)
    children = {"children": [{"name": "Ĳsbrand"}, {"name": "Ayşe"}]}
    assert holds({"question": "children", "greater_than": 1}, children)
    assert holds({"question": "children", "equals": 2}, children)
    assert not holds({"question": "children", "greater_than": 0}, {"children": []})


def test_an_unanswered_or_hidden_question_satisfies_no_comparison():
    for condition in (
        {"question": "x", "equals": True},
        {"question": "x", "in": [True, False]},
        {"question": "x", "greater_than": -1},
        {"question": "x", "less_than": 1},
    ):
        assert not holds(condition, {})
        assert holds({"not": condition}, {})


def test_all_any_not_nest():
    condition = {
        "all": [
            {"question": "mortgage", "equals": True},
            {
                "any": [
                    {"question": "nhg", "equals": True},
                    {"question": "amount", "less_than": 100},
                ]
            },
            {"not": {"question": "status", "in": ["divorced"]}},
        ]
    }
    answers = {"mortgage": True, "nhg": False, "amount": "50.00", "status": "married"}
    assert holds(condition, answers)
    assert not holds(condition, {**answers, "status": "divorced"})
    assert not holds(condition, {**answers, "amount": "150.00"})
    assert condition_to_json(parse_condition(condition)) == condition


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("mortgage == True", "a condition is all, any or not"),
        ({"question": "x"}, "a condition is all, any or not"),
        ({"question": "x", "equals": [1, 2]}, "equals: a condition compares with a text, number"),
        ({"question": "x", "matches": ".*"}, "a condition is all, any or not"),
        ({"all": []}, "all: Tuple should have at least 1 item"),
        ({"not": {"question": "X Y", "equals": 1}}, "not.question: 'X Y' is not a key"),
        ({"question": "__import__('os')", "equals": 1}, "is not a key"),
    ],
)
def test_malformed_conditions_are_refused_with_where_and_why(data, message):
    with pytest.raises(ConditionError) as caught:
        parse_condition(data)
    assert message in str(caught.value)


def test_a_case_templates_when_is_checked_against_the_definition_it_looks_at():
    from forms import check_condition, shipped_definitions

    buyer = shipped_definitions().latest("intake-koper")
    check_condition(buyer, parse_condition({"question": "mortgage", "equals": False}))
    check_condition(buyer, parse_condition({"question": "purchase_price", "greater_than": 500000}))
    for condition, message in (
        ({"question": "hypotheek", "equals": True}, "'hypotheek', which is no question of"),
        ({"question": "mortgage", "equals": "nee"}, "'nee' is not true or false"),
        ({"question": "property_kind", "in": ["flat"]}, "'flat' is not one of its options"),
    ):
        with pytest.raises(ValueError, match=message):
            check_condition(buyer, parse_condition(condition))
    will = shipped_definitions().latest("testament")
    check_condition(will, parse_condition({"question": "children", "greater_than": 2}))
    with pytest.raises(ValueError, match="inside group 'children'"):
        check_condition(will, parse_condition({"question": "child_alive", "equals": False}))
