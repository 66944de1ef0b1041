"""Reading a response as a person reads the page, shared by the web tests."""

from __future__ import annotations

import html
import re


def text(response) -> str:
    """The page's words: tags gone, entities turned back into characters, spaces folded."""
    without_tags = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return " ".join(html.unescape(without_tags).split())
