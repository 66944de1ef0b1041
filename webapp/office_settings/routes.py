"""The managers' page and an office's settings: name, primary colour (refused below 4.5:1
against white, saying so), contact line, logo, and the authenticator offer after an SMS login.
casemodel decides who may (services.office_settings: the office's managers)."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, send_file, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user

from casemodel.colours import MIN_CONTRAST
from casemodel.filestore import FileRejected
from casemodel.models import Office
from casemodel.queries.offices import related_office_ids
from casemodel.services.office_settings import (
    MAX_CONTACT_CHARS,
    MAX_NAME_CHARS,
    InvalidSetting,
    get_office_for_manager,
    remove_office_logo,
    set_office_logo,
    update_office_settings,
)
from webapp.extensions import db, file_store
from webapp.office_settings import bp
from webapp.office_settings.forms import LogoForm, OfficeSettingsForm
from webapp.theming import office_logo_url, show_office
from webapp.uploads import file_refused_message, store_upload


@bp.route("/office/manage")
def manage():
    """"Beheer": what a manager looks after. Each office's settings, the running dossiers in
    the Prefect UI, everybody's open steps; the monitoring of failed dossiers and undelivered
    messages ("Storingen") comes here when it exists."""
    if not current_user.is_manager:
        abort(404)
    return render_template(
        "office_settings/manage.html",
        offices=current_user.offices,
        prefect_ui=current_app.config["PREFECT_UI_URL"],
    )


@bp.route("/office/settings/<int:office_id>", methods=["GET", "POST"])
def edit_settings(office_id: int):
    office = get_office_for_manager(db.session, office_id, current_user)
    show_office(office)
    form = OfficeSettingsForm(obj=office)  # a POST's fields win over the office's
    if form.validate_on_submit():
        try:
            update_office_settings(
                db.session, office=office, actor=current_user, name=form.name.data,
                primary_colour=form.primary_colour.data or "",
                contact_line=form.contact_line.data or "",
                offer_authenticator=form.offer_authenticator.data,
            )  # fmt: skip
        except InvalidSetting as refused:
            _field_for(form, refused.reason).errors.append(setting_refused_message(refused))
        else:
            flash(_("De instellingen van %(office)s zijn opgeslagen.", office=office.name),
                  "success")  # fmt: skip
            return redirect(url_for("office_settings.edit_settings", office_id=office.id))
    status = 422 if form.errors else 200
    return render_template(
        "office_settings/settings.html", office=office, form=form, logo_form=LogoForm(),
        logo_url=office_logo_url(office),
    ), status  # fmt: skip


@bp.route("/office/settings/<int:office_id>/logo", methods=["POST"])
def upload_logo(office_id: int):
    office = get_office_for_manager(db.session, office_id, current_user)
    show_office(office)
    form = LogoForm()
    if form.validate_on_submit():
        try:
            stored = store_upload(form.logo.data)
            set_office_logo(db.session, office=office, actor=current_user, stored=stored)
        except FileRejected as refused:
            form.logo.errors.append(file_refused_message(refused.reason))
        except InvalidSetting as refused:
            form.logo.errors.append(setting_refused_message(refused))
        else:
            flash(_("Het logo is opgeslagen."), "success")
            return redirect(url_for("office_settings.edit_settings", office_id=office.id))
    return render_template(
        "office_settings/settings.html", office=office, form=OfficeSettingsForm(obj=office),
        logo_form=form, logo_url=office_logo_url(office),
    ), 422  # fmt: skip


@bp.route("/office/settings/<int:office_id>/logo/remove", methods=["POST"])
def remove_logo(office_id: int):
    office = get_office_for_manager(db.session, office_id, current_user)
    remove_office_logo(db.session, office=office, actor=current_user)
    flash(_("Het logo is verwijderd."), "success")
    return redirect(url_for("office_settings.edit_settings", office_id=office.id))


@bp.route("/offices/<int:office_id>/logo")
def show_logo(office_id: int):
    """The logo, for the people of the office and of its clients (another office's answers
    404). Its address names its content (?v=), so it may be kept by the browser."""
    office = db.session.get(Office, office_id)
    if office is None or office.logo_sha256 is None:
        abort(404)
    if office.id not in db.session.scalars(related_office_ids(current_user)).all():
        abort(404)
    response = send_file(file_store().path(office.logo_sha256),
                         mimetype=office.logo_content_type, conditional=True,
                         etag=office.logo_sha256, max_age=365 * 24 * 3600)  # fmt: skip
    response.headers["Cache-Control"] = "private, max-age=31536000, immutable"
    return response


def _field_for(form: OfficeSettingsForm, reason: str):
    if reason.startswith("name"):
        return form.name
    if reason.startswith("colour"):
        return form.primary_colour
    return form.contact_line


def setting_refused_message(refused: InvalidSetting) -> str:
    """Why a setting was refused, in the user's language."""
    reason = refused.reason
    if reason == "name_required":
        return _("Vul de naam van het kantoor in.")
    if reason == "name_too_long":
        return _("De naam mag hoogstens %(max)s tekens lang zijn.", max=MAX_NAME_CHARS)
    if reason == "name_taken":
        return _("Er is al een kantoor met deze naam.")
    if reason == "colour_unreadable":
        return _("Vul de kleur in als hexadecimale code, bijvoorbeeld #1f4e79.")
    if reason == "colour_low_contrast":
        return _("Deze kleur heeft te weinig contrast met wit: %(ratio)s:1, en minstens "
                 "%(minimum)s:1 is nodig om tekst leesbaar te houden (WCAG 2.1 AA). Kies een "
                 "donkerdere kleur.", ratio=format_decimal(round(refused.ratio, 2)),
                 minimum=format_decimal(MIN_CONTRAST))  # fmt: skip
    if reason == "contact_too_long":
        return _("De contactregel mag hoogstens %(max)s tekens lang zijn.", max=MAX_CONTACT_CHARS)
    if reason == "logo_too_large":
        return _("Het logo is te groot: hoogstens 1 MB.")
    return _("Kies een PNG- of JPEG-afbeelding als logo.")

