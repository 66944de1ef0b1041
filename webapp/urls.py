"""Small helpers about where a request may lead."""

from __future__ import annotations

from urllib.parse import urlsplit

LOCALES = ("nl", "en")


def same_origin(target: str | None) -> str | None:
    """The target if it is a path on this site, else None: never an absolute or scheme-relative
    URL, so that no `next=` parameter can send someone to another site.

    Control characters and white space are refused outright: browsers and Werkzeug drop a tab
    or newline from a URL, which turns `/\t/evil.example` into `//evil.example`."""
    if not target or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return None
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
