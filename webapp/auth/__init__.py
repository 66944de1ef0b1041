"""Signing in and out."""

from flask import Blueprint

bp = Blueprint("auth", __name__, template_folder="templates")

from webapp.auth import routes  # noqa: E402, F401, I001  (routes before accounts)
from webapp.auth import accounts  # noqa: E402, F401
from webapp.auth import session_check, settings  # noqa: E402, F401
