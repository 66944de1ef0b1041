"""Counting the SQL statements a request makes: for tests that a page costs a fixed number of
queries however much data it shows."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import event

from webapp.extensions import db


def statements_during(request: Callable[[], object]) -> int:
    """How many statements the portal's engine executes while `request()` runs."""
    seen: list[int] = []

    def count(*_args) -> None:
        seen.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        request()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(seen)
