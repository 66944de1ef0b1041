"""Counting text as people see it. A message's limit is in user-perceived characters
(Unicode's extended grapheme clusters, UAX #29): "é" typed as e + accent, a flag, a family or
a thumbs-up with its skin tone are one each, as the browser's counter shows them
(Intl.Segmenter with granularity "grapheme", in webapp/static/messages.js). The `regex`
module's \\X follows the Unicode version it was built for, as the browser does."""

from __future__ import annotations

import regex

_GRAPHEME = regex.compile(r"\X")


def perceived_length(text: str) -> int:
    """How many characters a person counts in the text (grapheme clusters)."""
    return sum(1 for _match in _GRAPHEME.finditer(text))
