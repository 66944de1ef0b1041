"""Attachments of a message being written, both sides: each file of the upload dialog is stored
and held for its writer (a staged file) until the message is sent, or put in the bin."""

from flask import Blueprint

from webapp.audience import require_login

bp = Blueprint("attachments", __name__)
bp.before_request(require_login)

from webapp.attachments import routes  # noqa: E402, F401
