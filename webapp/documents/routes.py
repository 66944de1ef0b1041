from flask import flash, redirect, request
from flask_babel import gettext as _
from flask_login import current_user

from casemodel.queries.documents import get_version_for
from casemodel.queries.dossiers import get_dossier_for
from casemodel.services.documents import add_version, check_may_publish
from casemodel.services.documents import publish_document as publish_document_service
from casemodel.services.office_settings import kind_of_office
from webapp.audience import dossier_page_url
from webapp.documents import bp
from webapp.documents.forms import NewVersionForm, PublishDocumentForm
from webapp.downloads import download_document as send_document
from webapp.extensions import db
from webapp.uploads import store_all_or_none


@bp.route("/dossiers/<int:dossier_id>/documents/<int:document_id>/download")
def download_document(dossier_id: int, document_id: int):
    """Every file of a dossier, attachments included: authorised, audited, marks the document
    read (GET changes only the read mark, which is what opening a document means, and the
    audit trail)."""
    _dossier, document, version = get_version_for(
        db.session, dossier_id=dossier_id, document_id=document_id,
        version=request.args.get("version", type=int), user=current_user,
    )  # fmt: skip
    return send_document(document, version)


@bp.route("/dossiers/<int:dossier_id>/documents", methods=["POST"])
def publish_document(dossier_id: int):
    dossier = get_dossier_for(db.session, dossier_id, current_user)
    check_may_publish(current_user, dossier)  # before a byte is stored
    form = PublishDocumentForm()
    kind_of_office(db.session, form.kind_id.data, dossier.office_id)  # 404 for another's kind
    if form.validate_on_submit():
        stored = store_all_or_none([("file", form.file.data)])
        if stored is not None:
            document = publish_document_service(
                db.session, dossier=dossier, folder=form.folder.data, title=form.title.data,
                stored=stored[0], filename=form.file.data.filename or "", actor=current_user,
                kind_id=form.kind_id.data,
            )  # fmt: skip
            flash(_("'%(title)s' staat nu in het dossier.", title=document.title), "success")
    else:
        flash(_("Kies een bestand en vul een titel in."), "error")
    return redirect(dossier_page_url(dossier))


@bp.route("/dossiers/<int:dossier_id>/documents/<int:document_id>/versions", methods=["POST"])
def add_document_version(dossier_id: int, document_id: int):
    dossier, document, _version = get_version_for(
        db.session, dossier_id=dossier_id, document_id=document_id, version=None,
        user=current_user,
    )  # fmt: skip
    check_may_publish(current_user, dossier)  # before a byte is stored
    form = NewVersionForm()
    if form.validate_on_submit():
        stored = store_all_or_none([("file", form.file.data)])
        if stored is not None:
            filename = form.file.data.filename or ""
            version = add_version(
                db.session, document=document, stored=stored[0], filename=filename,
                actor=current_user,
            )  # fmt: skip
            flash(_("Versie %(version)s van '%(title)s' staat nu in het dossier.",
                    version=version.version, title=document.title), "success")  # fmt: skip
    else:
        flash(_("Kies een bestand."), "error")
    return redirect(dossier_page_url(dossier))
