"""Berichten (notary manual §2.1.1.5), for clients and the office alike: a dossier's messages,
reading them, writing and answering them (with attachments, webapp/attachments), the office's
inbox across its dossiers and giving a client's message to a colleague. casemodel decides who
may do what (services.messages); the pages differ by audience only in where they lead."""

from flask import Blueprint

from webapp.audience import require_login

bp = Blueprint("messages", __name__, template_folder="templates")
bp.before_request(require_login)

from webapp.messages import routes  # noqa: E402, F401
