"""Static files: a URL that names their content, so browsers may keep them for a year, and the
favicon where browsers look for it."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from flask import current_app, send_from_directory


def static_url_version(endpoint: str, values: dict) -> None:
    """url_for("static", filename=...) gets `?v=<digest of the file>` (Flask's url_defaults):
    a new version of a file is a new URL, so the old one can be cached for good."""
    if endpoint == "static" and "filename" in values and "v" not in values:
        path = Path(current_app.static_folder) / values["filename"]
        if path.is_file():
            values["v"] = _digest(path, path.stat().st_mtime_ns)


@cache
def _digest(path: Path, _mtime_ns: int) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def favicon():
    """/favicon.ico, which browsers ask for on their own (pages name the SVG as well)."""
    return send_from_directory(current_app.static_folder, "favicon.ico",
                               mimetype="image/vnd.microsoft.icon")  # fmt: skip
