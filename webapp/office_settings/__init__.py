"""An office's settings for its managers (its theme and its login policy), the managers' own
page ("Beheer"), and the office's logo as pages, mails and PDFs show it."""

from flask import Blueprint

from webapp.audience import require_login

bp = Blueprint("office_settings", __name__, template_folder="templates")
bp.before_request(require_login)

from webapp.office_settings import routes  # noqa: E402, F401
