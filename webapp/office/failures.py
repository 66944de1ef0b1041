"""Storingen: what stopped and needs the office. Failed dossiers (a step raised, or the run
kept stopping) with their error and a retry from the failed step; outbox messages given up
after too many attempts, with their last error and a retry."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from casemodel.queries.dossiers import get_dossier_for
from casemodel.queries.failures import dead_messages, failed_dossiers
from casemodel.services.errors import InvalidState, NotFound
from casemodel.services.failures import retry_dossier
from casemodel.services.outbox import retry_message
from webapp.extensions import db
from webapp.office import bp
from webapp.outbox import deliver_after_commit
from webapp.urls import same_origin


@bp.route("/failures")
def list_failures():
    return render_template(
        "office/failures.html",
        dossiers=db.session.execute(failed_dossiers(current_user)).all(),
        messages=dead_messages(db.session, current_user),
    )


@bp.route("/dossiers/<int:dossier_id>/retry", methods=["POST"])
def retry_failed_dossier(dossier_id: int):
    dossier = get_dossier_for(db.session, dossier_id, current_user)
    try:
        retry_dossier(db.session, dossier_id=dossier.id, actor=current_user)
    except InvalidState:
        flash(_("Dit dossier staat niet (meer) stil."), "info")
    else:
        deliver_after_commit()
        flash(_("Dossier %(number)s gaat verder vanaf de mislukte stap.", number=dossier.number),
              "success")  # fmt: skip
    return redirect(_back(url_for("office.show_dossier", dossier_id=dossier.id)))


@bp.route("/outbox/<int:message_id>/retry", methods=["POST"])
def retry_dead_message(message_id: int):
    if message_id not in {m.id for m in dead_messages(db.session, current_user)}:
        raise NotFound(f"outbox message {message_id}")  # not one this user may see
    try:
        retry_message(db.session, message_id=message_id, actor=current_user)
    except InvalidState:
        flash(_("Dit bericht wordt al opnieuw verstuurd."), "info")
    else:
        deliver_after_commit()
        flash(_("Het bericht wordt opnieuw verstuurd."), "success")
    return redirect(url_for("office.list_failures"))


def _back(default: str) -> str:
    return same_origin(request.form.get("next")) or default
