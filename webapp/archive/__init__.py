"""The organisation's folders (accountancy manual, "Dossier") and the office's archive of what
clients upload into them: the client's Accordering, Online Dossier <client number> and Upload,
the office's list across its clients, and the one download route of an archived file.
casemodel decides who sees what (queries.archive)."""

from flask import Blueprint

from webapp.audience import require_login

bp = Blueprint("archive", __name__, template_folder="templates")
bp.before_request(require_login)

from webapp.archive import routes  # noqa: E402, F401
