"""Counting text as people see it. A message's limit is in user-perceived characters
(Unicode's extended grapheme clusters, UAX #29): "é" typed as e + accent, a flag, a family or
a thumbs-up with its skin tone are one each, as the browser's counter shows them
(Intl.Segmenter with granularity "grapheme", in webapp/static/messages.js). The `regex`
module's \\X follows the Unicode version it was built for, as the browser does."""

from __future__ import annotations

import regex

_GRAPHEME = regex.compile(r"\X")

#: A character a person sees is rarely more than a handful of code points (a family emoji is
#: 5 to 11, Unicode's stream-safe format allows 30 combining marks); a text with more code
#: points than this many per allowed character is too long without counting it.
MAX_CODE_POINTS_PER_CHARACTER = 32


def perceived_length(text: str) -> int:
    """How many characters a person counts in the text (grapheme clusters). ASCII text is
    counted at once (only CR LF joins two ASCII code points); other text by the regex."""
    if text.isascii():
        return len(text) - text.count("\r\n")
    return sum(1 for _match in _GRAPHEME.finditer(text))


def longer_than(text: str, limit: int) -> bool:
    """Whether the text holds more than `limit` perceived characters, without counting a text
    that cannot fit (a request body of megabytes is refused at once, not read by the regex)."""
    if len(text) > limit * MAX_CODE_POINTS_PER_CHARACTER:
        return True
    return perceived_length(text) > limit
