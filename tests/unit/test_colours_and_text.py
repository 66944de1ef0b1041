"""The theme's contrast check (casemodel.colours, office_settings.check_primary_colour): WCAG
2.1's contrast ratio, and 4.5:1 against white as the line. And text counted as people see it
(casemodel.text), for a message's limit."""

from __future__ import annotations

import pytest

from casemodel.colours import WHITE, contrast_ratio, parse_hex, theme_colours
from casemodel.services.office_settings import InvalidSetting, check_primary_colour
from casemodel.text import longer_than, perceived_length


@pytest.mark.parametrize(
    ("one", "other", "ratio"),
    [("#000000", "#ffffff", 21.0), ("#ffffff", "#ffffff", 1.0), ("#767676", "#ffffff", 4.54),
     ("#777777", "#ffffff", 4.48), ("#ff0000", "#ffffff", 4.0), ("#1f4e79", "#ffffff", 8.66)],
)  # fmt: skip
def test_contrast_ratio_as_wcag_computes_it(one, other, ratio):
    assert round(contrast_ratio(one, other), 2) == ratio
    assert contrast_ratio(one, other) == contrast_ratio(other, one)


def test_a_colour_is_read_in_the_ways_people_type_it_and_nothing_else():
    assert parse_hex("#1F4E79") == parse_hex("1f4e79") == "#1f4e79"
    assert parse_hex(" #17a ") == "#1177aa"
    for text in ("blue", "#1f4e7", "#1f4e799", "#1f4e7g", "red;}body{x:y", "", "#"):
        assert parse_hex(text) is None, text


def test_the_line_is_4_5_to_1_against_white():
    assert check_primary_colour("#767676") == "#767676"  # 4.54: just readable
    with pytest.raises(InvalidSetting) as refused:
        check_primary_colour("#777777")  # 4.48: just not
    assert refused.value.reason == "colour_low_contrast" and round(refused.value.ratio, 2) == 4.48
    with pytest.raises(InvalidSetting) as refused:
        check_primary_colour("geel")
    assert refused.value.reason == "colour_unreadable"


def test_the_derived_shades_read_at_least_as_well_on_white():
    for colour in ("#767676", "#1f4e79", "#7a1f3d", "#0b5e6b"):
        shades = theme_colours(colour)
        assert contrast_ratio(shades["primary-hover"], WHITE) > contrast_ratio(colour, WHITE)
        assert contrast_ratio(shades["primary-active"], WHITE) > contrast_ratio(colour, WHITE)
        # The pale tint is a background for dark text.
        assert contrast_ratio(shades["primary-subtle"], "#1d2733") >= 4.5


@pytest.mark.parametrize(
    ("text", "length"),
    [("abc", 3), ("👍🏽", 1), ("🇳🇱", 1), ("👨\u200d👩\u200d👧", 1), ("e\u0301", 1), ("é", 1),
     ("a\nb", 3), ("", 0)],
)  # fmt: skip
def test_a_message_is_counted_as_people_see_its_characters(text, length):
    assert perceived_length(text) == length


def test_a_text_that_cannot_fit_is_refused_without_counting_it():
    assert perceived_length("a\r\nb") == 3  # CR LF is one character, as for the regex
    assert perceived_length("é\r\nb") == 3
    assert not longer_than("👍🏽" * 4000, 4000) and longer_than("👍🏽" * 4001, 4000)
    assert longer_than("e" + "\u0301" * 200_000, 4000)  # one character, but no message
