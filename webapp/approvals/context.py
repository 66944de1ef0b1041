"""What other pages show of approvals: the count in the menu, on Home and in "Acties"; a
dossier's approvals (the client's dossier page, the office's); names and statuses."""

from __future__ import annotations

from flask_babel import get_locale
from flask_login import current_user
from wtforms import SelectChoice

from casemodel.models import OutboxMessage
from casemodel.queries.approvals import requests_in, status_of
from casemodel.queries.documents import documents_in
from casemodel.recipients import recipients
from webapp.approvals.forms import PutUpForm
from webapp.client_actions import approvals_waiting
from webapp.extensions import db


def recipient_name(key: str) -> str:
    known = recipients().get(key)
    return known.name(str(get_locale())) if known else key


def recipient_choices() -> list[SelectChoice]:
    return [SelectChoice(key, recipient_name(key)) for key in recipients()]


def put_up_form(dossier) -> PutUpForm:
    """The office's form to put one of the dossier's documents up for approval."""
    form = PutUpForm()
    form.document_id.choices = [
        SelectChoice(document.id, f"{document.title} (v{document.latest_version})")
        for folder in ("documents", "correspondence")
        for document, _read in documents_in(db.session, dossier.id, folder, current_user)
    ]
    form.recipient.choices = recipient_choices()
    return form


def template_context():
    return {
        "approvals_waiting": approvals_waiting,
        "approvals_of": lambda dossier: requests_in(db.session, dossier.id),
        "approval_status": status_of,
        "recipient_name": recipient_name,
        "recipient_choices": recipient_choices,
        "outbox_message_of": lambda delivery: (
            db.session.get(OutboxMessage, delivery.outbox_message_id)
            if delivery.outbox_message_id
            else None
        ),
        "put_up_form": put_up_form,
    }
