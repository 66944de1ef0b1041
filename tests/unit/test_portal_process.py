"""What a portal process does once its application is loaded (webapp/process.py)."""

from __future__ import annotations

import gc
import runpy
from pathlib import Path

GUNICORN_CONF = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"


def test_each_gunicorn_worker_freezes_the_objects_of_its_start():
    hooks = runpy.run_path(str(GUNICORN_CONF))
    assert gc.get_freeze_count() == 0
    try:
        hooks["post_worker_init"](worker=None)
        # Everything alive at the start is out of the collector's passes (a test process holds
        # at least pytest's and the project's modules).
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()
    assert gc.get_freeze_count() == 0
