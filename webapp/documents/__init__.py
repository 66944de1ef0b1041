"""A dossier's documents, for clients and the office alike: the download (authorised, audited,
marked read), placing a document and a new version of one. casemodel decides who may do what
(services.documents.may_publish, queries.documents.get_version_for)."""

from flask import Blueprint

from webapp.audience import require_login

bp = Blueprint("documents", __name__, template_folder="templates")
bp.before_request(require_login)

from webapp.documents import routes  # noqa: E402, F401
