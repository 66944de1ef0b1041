"""What a portal process does once, after its application is built and before its first request
(gunicorn.conf.py's post_worker_init)."""

from __future__ import annotations

import gc


def freeze_startup_objects() -> None:
    """Keep the objects alive now out of the garbage collector's passes, with Python's
    documented gc.freeze: modules, routes, SQLAlchemy's mappers and the like live as long as the
    process, yet each full collection walks all of them (some 200,000). bench.pages measured
    such a pass at about 170 ms, once every few hundred pages, stalling the page being drawn;
    frozen, a few milliseconds. What requests create later is collected as before."""
    gc.collect()
    gc.freeze()
