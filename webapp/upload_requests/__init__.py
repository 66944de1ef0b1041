"""Upload requests ("Gevraagde bestanden"): the files an upload_request step asks the client
for, supplied, removed again and sent from the client's dossier page. casemodel decides who may
(casemodel.stepkinds.upload_request: the client's people, while the request is open)."""

from flask import Blueprint

from webapp.audience import require_login

bp = Blueprint("upload_requests", __name__, template_folder="templates")
bp.before_request(require_login)

from webapp.upload_requests import routes  # noqa: E402, F401
