"""Turning pydantic's errors into messages a definition's author can act on."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError


def readable_errors(exc: ValidationError, data: Any) -> list[tuple[list[Any], str]]:
    """Each error as (the path into `data`, the message): pydantic's locations also hold the
    tags of tagged unions ("money", "equals"), which are left out by walking the data itself."""
    errors = exc.errors()
    found = []
    for error in errors:
        if error["type"] == "too_short" and any(
            other["loc"][: len(error["loc"])] == error["loc"] and other is not error
            for other in errors
        ):
            continue  # "at least 1 item": only because an item failed, which says why
        path, node = [], data
        for position, part in enumerate(error["loc"], start=1):
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
                node = node[part]
            elif not (
                error["type"] == "missing"
                and isinstance(node, dict)
                and position == len(error["loc"])
            ):
                continue  # a union's tag ("money", "equals"), not a place in the data
            path.append(part)
        message = error["msg"]
        if error["type"] in ("value_error", "assertion_error"):
            message = str(error["ctx"]["error"])
        found.append((path, message))
    return found
