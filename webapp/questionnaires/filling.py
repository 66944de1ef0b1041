"""Filling in a questionnaire (notary manual §2.1.2): "Invullen" opens the page the client was
on, "Volgende" checks and saves a page, "Vorige" goes back without losing what was typed, a
summary lists every answer with a link to change it before "Voltooien", and the result can be
printed. Works without JavaScript; webapp/static/questionnaire.js shows and hides questions as
the answers change and adds rows to a group at once."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from casemodel.queries.questionnaires import answered_file, get_questionnaire_for, pdf_of
from casemodel.services.errors import InvalidState
from casemodel.services.questionnaires import (
    NEXT,
    PREVIOUS,
    SUMMARY,
    AnswersChanged,
    PostedFiles,
    answers_of,
    check_may_fill,
    check_page,
    complete_questionnaire,
    definition_of,
    page_state,
    resume_at,
    save_page,
    summary_state,
)
from forms import AnswersInvalid, summarise
from webapp.downloads import download_document
from webapp.extensions import db, file_store
from webapp.outbox import deliver_after_commit
from webapp.questionnaires import bp, for_clients
from webapp.questionnaires.context import page_language


def _load(questionnaire_id: int, *, to_fill: bool = True):
    """The questionnaire, for a client who may see it; the pages of filling in it, completing
    it and its summary also need the right to fill in (403 without)."""
    questionnaire = get_questionnaire_for(db.session, questionnaire_id, current_user)
    if to_fill:
        check_may_fill(db.session, questionnaire, current_user)
    return questionnaire


def _not_open(questionnaire):
    """Where a closed questionnaire sends the client: its result, or the dossier."""
    if questionnaire.state == "completed":
        return redirect(url_for("questionnaires.show_result", questionnaire_id=questionnaire.id))
    flash(_("Deze vragenlijst is ingetrokken door het kantoor."), "info")
    return redirect(url_for("portal.show_dossier", dossier_id=questionnaire.dossier_id))


def _to(questionnaire, page_key: str):
    if page_key == SUMMARY:
        return redirect(url_for("questionnaires.show_summary", questionnaire_id=questionnaire.id))
    return redirect(
        url_for("questionnaires.show_page", questionnaire_id=questionnaire.id, page_key=page_key)
    )


def _page(questionnaire, view, version: int, **extra):
    return render_template(
        "questionnaires/page.html",
        questionnaire=questionnaire,
        definition=definition_of(questionnaire),
        view=view,
        version=version,
        **extra,
    )


@bp.route("/questionnaires/<int:questionnaire_id>")
@for_clients
def fill(questionnaire_id: int):
    """ "Invullen": the page where the client stopped, on whichever device."""
    questionnaire = _load(questionnaire_id)
    if questionnaire.state != "open":
        return _not_open(questionnaire)
    return _to(questionnaire, resume_at(db.session, questionnaire))


@bp.route("/questionnaires/<int:questionnaire_id>/pages/<page_key>")
@for_clients
def show_page(questionnaire_id: int, page_key: str):
    questionnaire = _load(questionnaire_id)
    if questionnaire.state != "open":
        return _not_open(questionnaire)
    state = page_state(
        db.session, questionnaire=questionnaire, page_key=page_key, lang=page_language()
    )
    return _page(questionnaire, state.view, state.version, draft=state.draft)


@bp.route("/questionnaires/<int:questionnaire_id>/pages/<page_key>", methods=["POST"])
@for_clients
def post_page(questionnaire_id: int, page_key: str):
    """ "Volgende", "Vorige", or (without JavaScript) "Nog een toevoegen" for a group."""
    questionnaire = _load(questionnaire_id)
    action = request.form.get("action", NEXT)
    version = request.form.get("version", -1, type=int)
    uploads = PostedFiles(
        file_store(),
        {name: (upload.stream, upload.filename or "") for name, upload in request.files.items()},
    )
    try:
        if action.startswith("add:"):
            view = check_page(
                db.session, questionnaire=questionnaire, page_key=page_key, form=request.form,
                lang=page_language(), actor=current_user, uploads=uploads,
                add_rows={action.removeprefix("add:"): 1},
            )  # fmt: skip
            return _page(questionnaire, view, version)
        outcome = save_page(
            db.session, questionnaire=questionnaire, page_key=page_key, form=request.form,
            lang=page_language(), version=version, actor=current_user, uploads=uploads,
            direction=PREVIOUS if action == PREVIOUS else NEXT,
        )  # fmt: skip
    except InvalidState:
        db.session.refresh(questionnaire)  # completed by someone else a moment ago?
        if questionnaire.state == "open":  # the dossier was cancelled
            flash(_("Deze vragenlijst kan niet meer worden ingevuld."), "info")
            return redirect(url_for("portal.show_dossier", dossier_id=questionnaire.dossier_id))
        flash(_("Deze vragenlijst is al voltooid. Er is niets gewijzigd."), "info")
        return _not_open(questionnaire)
    if outcome.go_to is None:
        return _page(questionnaire, outcome.view, outcome.version, conflict=outcome.conflict)
    return _to(questionnaire, outcome.go_to)


@bp.route("/questionnaires/<int:questionnaire_id>/summary")
@for_clients
def show_summary(questionnaire_id: int):
    questionnaire = _load(questionnaire_id)
    if questionnaire.state != "open":
        return _not_open(questionnaire)
    state = summary_state(db.session, questionnaire=questionnaire, lang=page_language())
    return render_template(
        "questionnaires/summary.html",
        questionnaire=questionnaire,
        definition=definition_of(questionnaire),
        summary=state,
        titles={page.key: page.title for page in state.pages},
    )


@bp.route("/questionnaires/<int:questionnaire_id>/complete", methods=["POST"])
@for_clients
def complete(questionnaire_id: int):
    questionnaire = _load(questionnaire_id)
    back = redirect(url_for("questionnaires.show_summary", questionnaire_id=questionnaire.id))
    try:
        complete_questionnaire(
            db.session, questionnaire=questionnaire, actor=current_user, lang=page_language(),
            store=file_store(), revision=request.form.get("revision", -1, type=int),
        )  # fmt: skip
    except AnswersInvalid:
        flash(_("Nog niet alle vragen zijn goed beantwoord. Hieronder staat wat nog nodig is."),
              "error")  # fmt: skip
        return back
    except AnswersChanged:
        flash(_("Intussen is een pagina opgeslagen, misschien door iemand anders van uw "
                "organisatie. Bekijk de antwoorden nog eens en kies dan opnieuw Voltooien."),
              "error")  # fmt: skip
        return back
    except InvalidState:
        flash(_("Deze vragenlijst is al voltooid. Er is niets gewijzigd."), "info")
        return _not_open(questionnaire)
    deliver_after_commit()
    flash(_("Dank u wel. De vragenlijst is voltooid en als PDF in uw dossier geplaatst."),
          "success")  # fmt: skip
    return redirect(url_for("questionnaires.show_result", questionnaire_id=questionnaire.id))


@bp.route("/questionnaires/<int:questionnaire_id>/result")
@for_clients
def show_result(questionnaire_id: int):
    """The completed questionnaire, with a print view (questionnaires.css) and its PDF."""
    questionnaire = _load(questionnaire_id, to_fill=False)
    if questionnaire.state != "completed":
        return redirect(url_for("questionnaires.fill", questionnaire_id=questionnaire.id))
    definition = definition_of(questionnaire)
    pages = summarise(definition, answers_of(db.session, questionnaire), page_language())
    return render_template(
        "questionnaires/result.html",
        questionnaire=questionnaire,
        definition=definition,
        pages=pages,
    )


@bp.route("/questionnaires/<int:questionnaire_id>/pdf")
def download_pdf(questionnaire_id: int):
    """The questionnaire's PDF (?version=n for an earlier one), for the client and for staff:
    authorised through the questionnaire, audited, marked read."""
    questionnaire = _load(questionnaire_id, to_fill=False)
    version = request.args.get("version", type=int)
    return download_document(*pdf_of(db.session, questionnaire, version))


@bp.route("/questionnaires/<int:questionnaire_id>/files/<int:file_id>")
def download_file(questionnaire_id: int, file_id: int):
    """A file answered in the completed questionnaire (a document under "Door mij
    aangeleverd" since), for the client and for staff."""
    questionnaire = _load(questionnaire_id, to_fill=False)
    return download_document(*answered_file(db.session, questionnaire, file_id))
