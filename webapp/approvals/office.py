"""The office's side of approvals (a dossier's page lists them: what waits, since when, the
outcome, the sending on): withdrawing a request, another recipient, a retry of the sending,
putting a document up ad hoc, and placing the document an approval step waits for ("Mijn
stappen"). And the certificate, for both audiences."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from casemodel.queries.approvals import get_request_for
from casemodel.queries.dossiers import get_dossier_for
from casemodel.services.approvals import (
    change_recipient,
    get_delivery_for,
    put_up_ad_hoc,
    retry,
    withdraw,
)
from casemodel.services.approvals.step_kind import place_document
from casemodel.services.audit import record_event
from casemodel.services.errors import InvalidState, NotFound
from webapp.approvals import bp, for_staff
from webapp.approvals.context import put_up_form, recipient_choices
from webapp.approvals.forms import RecipientForm
from webapp.downloads import send_stored
from webapp.extensions import db
from webapp.outbox import deliver_after_commit
from webapp.uploads import store_form_file


def _dossier_page(dossier_id: int):
    return redirect(url_for("office.show_dossier", dossier_id=dossier_id) + "#approvals")


@bp.route("/approvals/<int:approval_id>/certificate")
def download_certificate(approval_id: int):
    """The approval certificate (PDF), for the organisation's people and the office, audited."""
    approval = get_request_for(db.session, approval_id, current_user)
    if approval.certificate_sha256 is None:
        raise NotFound(f"the certificate of approval {approval_id}")
    record_event(
        db.session, action="approval.certificate_downloaded", actor=current_user,
        dossier_id=approval.dossier_id,
        detail={"request_id": approval.id, "sha256": approval.certificate_sha256,
                "ip": request.remote_addr},
    )  # fmt: skip
    name = _("Accorderingsbewijs") + f" {approval.document.title} v{approval.version}.pdf"
    return send_stored(approval.certificate_sha256, "application/pdf", name)


@bp.route("/office/approvals/<int:approval_id>/withdraw", methods=["POST"])
@for_staff
def withdraw_approval(approval_id: int):
    approval = get_request_for(db.session, approval_id, current_user)
    try:
        withdraw(db.session, request=approval, actor=current_user)
    except InvalidState:
        flash(_("Dit verzoek om akkoord staat niet meer open."), "info")
    else:
        flash(_("Het verzoek om akkoord is ingetrokken."), "success")
    return _dossier_page(approval.dossier_id)


@bp.route("/office/approvals/<int:approval_id>/recipient", methods=["POST"])
@for_staff
def change_approval_recipient(approval_id: int):
    approval = get_request_for(db.session, approval_id, current_user)
    form = RecipientForm()
    form.recipient.choices = recipient_choices()
    if not form.validate():
        flash(_("Kies een ontvanger."), "error")
        return _dossier_page(approval.dossier_id)
    try:
        change_recipient(db.session, request=approval, recipient=form.recipient.data,
                         actor=current_user)  # fmt: skip
    except InvalidState:
        flash(_("Dit verzoek om akkoord staat niet meer open."), "info")
    else:
        flash(_("De ontvanger is gewijzigd; de cliënt geeft zo nodig opnieuw akkoord."),
              "success")  # fmt: skip
    return _dossier_page(approval.dossier_id)


@bp.route("/office/approvals/<int:approval_id>/retry", methods=["POST"])
@for_staff
def retry_sending(approval_id: int):
    approval = get_request_for(db.session, approval_id, current_user)
    if approval.delivery is None:
        raise NotFound(f"the sending of approval {approval_id}")
    try:
        retry(db.session, delivery=get_delivery_for(db.session, approval.delivery.id,
                                                    current_user), actor=current_user)  # fmt: skip
    except InvalidState:
        flash(_("Het document is al verzonden."), "info")
    else:
        flash(_("Het document wordt nu opnieuw verzonden."), "success")
    return _dossier_page(approval.dossier_id)


@bp.route("/office/dossiers/<int:dossier_id>/approvals", methods=["POST"])
@for_staff
def put_up_document(dossier_id: int):
    """Put a document of the dossier up for approval outside the template's steps."""
    dossier = get_dossier_for(db.session, dossier_id, current_user)
    form = put_up_form(dossier)
    if not form.validate():
        flash(_("Kies een document en een ontvanger; een datum mag niet in het verleden "
                "liggen."), "error")  # fmt: skip
        return _dossier_page(dossier.id)
    try:
        approval = put_up_ad_hoc(
            db.session, dossier=dossier, document_id=form.document_id.data,
            recipient=form.recipient.data, actor=current_user, due_date=form.due_date.data,
        )  # fmt: skip
    except InvalidState:
        flash(_("Dit document wacht al op akkoord, of het dossier is gesloten."), "error")
        return _dossier_page(dossier.id)
    flash(_("'%(title)s' wacht nu op het akkoord van de cliënt.", title=approval.document.title),
          "success")  # fmt: skip
    return _dossier_page(dossier.id)


def place_for_task(task_id: int, target: str):
    """"Mijn stappen": staff place the document an approval step waits for (the first, or a
    new version after "Niet akkoord"); it is put up for the client's approval."""
    upload = store_form_file()
    if upload is None:
        return redirect(target)
    try:
        approval = place_document(db.session, task_id=task_id, actor=current_user,
                                  stored=upload[0], filename=upload[1])  # fmt: skip
    except InvalidState:
        flash(_("Deze stap was al afgerond."), "info")
        return redirect(target)
    deliver_after_commit()
    flash(_("'%(title)s' (versie %(version)s) wacht nu op het akkoord van de cliënt.",
            title=approval.document.title, version=approval.version), "success")  # fmt: skip
    return redirect(target)
