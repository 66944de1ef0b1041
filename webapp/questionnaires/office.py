"""The office's side: send a questionnaire ad hoc from the dossier page, read the answers (also
while the client is still filling in) and the PDF, send a completed one back for rework with a
remark, withdraw one sent ad hoc."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from casemodel.models import QuestionnaireFile
from casemodel.queries.dossiers import get_dossier_for
from casemodel.queries.questionnaires import get_questionnaire_for
from casemodel.services.errors import InvalidState, NotAllowed, NotFound
from casemodel.services.questionnaires import (
    answers_of,
    definition_of,
    send_back,
    send_questionnaire,
    withdraw_questionnaire,
)
from forms import summarise
from webapp.extensions import db
from webapp.outbox import deliver_after_commit
from webapp.questionnaires import bp, for_staff
from webapp.questionnaires.context import page_language, send_form
from webapp.questionnaires.forms import ReworkForm


def _back_to(questionnaire):
    return redirect(url_for("questionnaires.show_answers", questionnaire_id=questionnaire.id))


@bp.route("/office/dossiers/<int:dossier_id>/questionnaires", methods=["POST"])
@for_staff
def send_ad_hoc(dossier_id: int):
    dossier = get_dossier_for(db.session, dossier_id, current_user)
    form = send_form(dossier)
    if form.validate_on_submit():
        try:
            questionnaire = send_questionnaire(
                db.session, dossier=dossier, definition_key=form.definition_key.data,
                actor=current_user, due_date=form.due_date.data,
            )  # fmt: skip
        except InvalidState:
            flash(_("Dit dossier is afgesloten; er kan geen vragenlijst meer heen."), "error")
        else:
            deliver_after_commit()
            title = definition_of(questionnaire).title.get(page_language().code)
            flash(_("De vragenlijst '%(title)s' staat nu bij de cliënt onder Acties.",
                    title=title), "success")  # fmt: skip
    else:
        for errors in form.errors.values():
            for error in errors:
                flash(error, "error")
    return redirect(url_for("office.show_dossier", dossier_id=dossier.id) + "#questionnaires")


@bp.route("/office/questionnaires/<int:questionnaire_id>")
@for_staff
def show_answers(questionnaire_id: int):
    questionnaire = get_questionnaire_for(db.session, questionnaire_id, current_user)
    definition = definition_of(questionnaire)
    files = db.session.scalars(
        select(QuestionnaireFile).where(QuestionnaireFile.questionnaire_id == questionnaire.id)
    )
    return render_template(
        "questionnaires/office.html",
        questionnaire=questionnaire,
        definition=definition,
        pages=summarise(definition, answers_of(db.session, questionnaire), page_language()),
        files={file.sha256: file.id for file in files if file.document_id},
        rework=ReworkForm(),
    )


@bp.route("/office/questionnaires/<int:questionnaire_id>/rework", methods=["POST"])
@for_staff
def send_back_for_rework(questionnaire_id: int):
    questionnaire = get_questionnaire_for(db.session, questionnaire_id, current_user)
    form = ReworkForm()
    if not form.validate_on_submit():
        flash(_("Schrijf erbij wat de cliënt moet aanpassen (ten hoogste 2000 tekens)."), "error")
        return _back_to(questionnaire)
    try:
        send_back(db.session, questionnaire=questionnaire, actor=current_user,
                  remark=form.remark.data)  # fmt: skip
    except InvalidState:
        flash(_("Alleen een voltooide vragenlijst van een lopend dossier kan terug."), "error")
    else:
        deliver_after_commit()
        flash(_("De vragenlijst staat weer open voor de cliënt, met uw opmerking."), "success")
    return _back_to(questionnaire)


@bp.route("/office/questionnaires/<int:questionnaire_id>/withdraw", methods=["POST"])
@for_staff
def withdraw(questionnaire_id: int):
    questionnaire = get_questionnaire_for(db.session, questionnaire_id, current_user)
    try:
        withdraw_questionnaire(db.session, questionnaire=questionnaire, actor=current_user)
    except (InvalidState, NotAllowed, NotFound):
        flash(_("Alleen een openstaande vragenlijst die los is verstuurd, kan worden "
                "ingetrokken."), "error")  # fmt: skip
    else:
        flash(_("De vragenlijst is ingetrokken."), "success")
    return _back_to(questionnaire)
