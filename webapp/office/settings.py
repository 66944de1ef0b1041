"""An office's own settings, for its managers: whether clients' changes wait for review, the
support desk clients see under "Ondersteuning", and the kinds of document it names (an
approval right can be limited to some of them)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField

from casemodel.models import Office
from casemodel.queries.people import document_kinds_of
from casemodel.services.details import InvalidDetails
from casemodel.services.office_settings import (
    add_document_kind,
    check_manager_of,
    update_office_settings,
)
from webapp.details_messages import show_problems
from webapp.extensions import db
from webapp.office import bp


class OfficeSettingsForm(FlaskForm):
    changes_need_review = BooleanField(
        _l("Wijzigingen van cliënten in hun gegevens eerst beoordelen"),
        description=_l("Uit: een wijziging geldt meteen (het kantoor ziet die in de historie)."),
    )
    support_name = StringField(_l("Naam van de helpdesk of contactpersoon"))
    support_phone = StringField(_l("Telefoonnummer"))
    support_email = StringField(_l("E-mailadres"))


class DocumentKindForm(FlaskForm):
    name_nl = StringField(_l("Naam (Nederlands)"))
    name_en = StringField(_l("Naam (Engels)"))


@bp.app_template_global("document_kinds")
def document_kinds(office_id: int):
    return document_kinds_of(db.session, office_id)


def _office(office_id: int | None) -> Office:
    """The office asked for (or the manager's first), which the manager works for."""
    if office_id is None:
        if not current_user.offices:
            abort(404)
        office_id = current_user.offices[0].id
    office = db.session.get(Office, office_id)
    if office is None:
        abort(404)
    check_manager_of(current_user, office)
    return office


def _page(office, form=None, kind_form=None, status: int = 200):
    return render_template(
        "office/settings.html",
        office=office,
        form=form or OfficeSettingsForm(formdata=None, obj=office),
        kind_form=kind_form or DocumentKindForm(formdata=None),
        kinds=document_kinds_of(db.session, office.id),
        managed=[o for o in current_user.offices],
    ), status


@bp.route("/settings")
def show_settings():
    return _page(_office(request.args.get("office_id", type=int)))


@bp.route("/settings/<int:office_id>", methods=["POST"])
def save_settings(office_id: int):
    office = _office(office_id)
    form = OfficeSettingsForm()
    if form.validate_on_submit():
        try:
            update_office_settings(
                db.session, office=office, changes_need_review=form.changes_need_review.data,
                support_name=form.support_name.data or "",
                support_phone=form.support_phone.data or "",
                support_email=form.support_email.data or "", actor=current_user,
            )  # fmt: skip
        except InvalidDetails as problem:
            show_problems(form, problem)
            return _page(office, form=form, status=422)
        flash(_("De instellingen van %(office)s zijn opgeslagen.", office=office.name), "success")
    return redirect(url_for("office.show_settings", office_id=office.id))


@bp.route("/settings/<int:office_id>/kinds", methods=["POST"])
def add_kind(office_id: int):
    office = _office(office_id)
    form = DocumentKindForm()
    if form.validate_on_submit():
        try:
            add_document_kind(db.session, office=office, name_nl=form.name_nl.data or "",
                              name_en=form.name_en.data or "", actor=current_user)  # fmt: skip
        except InvalidDetails as problem:
            show_problems(form, problem)
            return _page(office, kind_form=form, status=422)
        flash(_("De documentsoort is toegevoegd."), "success")
    return redirect(url_for("office.show_settings", office_id=office.id) + "#kinds")
