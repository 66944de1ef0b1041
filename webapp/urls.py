"""Small helpers about where a request may lead."""

from __future__ import annotations

LOCALES = ("nl", "en")


def same_origin(target: str | None) -> str | None:
    """The target if it is a path on this site, else None: never an absolute or scheme-relative
    URL, so that no `next=` parameter can send someone to another site."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None
