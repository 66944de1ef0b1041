"""The managers' page ("Beheer") and an office's one settings page: name, primary colour
(refused below 4.5:1 against white, saying so), contact line, logo, the authenticator offer
after an SMS login, whether clients' changes wait for review, the support desk clients see under
"Ondersteuning", and the kinds of document it names. casemodel decides who may
(services.office_settings: the office's managers)."""

from __future__ import annotations

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user

from casemodel.colours import MIN_CONTRAST
from casemodel.filestore import FileRejected
from casemodel.models import Office
from casemodel.queries.offices import related_office_ids
from casemodel.queries.people import document_kinds_of
from casemodel.services.details import InvalidDetails
from casemodel.services.office_settings import (
    MAX_CONTACT_CHARS,
    MAX_NAME_CHARS,
    InvalidSetting,
    OfficeSettings,
    add_document_kind,
    get_office_for_manager,
    remove_office_logo,
    set_office_logo,
    update_office_settings,
)
from webapp.details_messages import show_problems
from webapp.extensions import db, file_store
from webapp.office_settings import bp
from webapp.office_settings.forms import DocumentKindForm, LogoForm, OfficeSettingsForm
from webapp.theming import office_logo_url, show_office
from webapp.uploads import file_refused_message, store_upload


@bp.route("/office/manage")
def manage():
    """ "Beheer": what a manager looks after. Each office's settings, failed dossiers and
    undelivered messages ("Storingen"), the running dossiers in the Prefect UI, everybody's
    open steps."""
    if not current_user.is_staff:
        abort(404)  # clients do not learn that office pages exist
    if not current_user.is_manager:
        abort(403)
    return render_template(
        "office_settings/manage.html",
        offices=current_user.offices,
        prefect_ui=current_app.config["PREFECT_UI_URL"],
    )


@bp.app_template_global("document_kinds")
def document_kinds(office_id: int):
    return document_kinds_of(db.session, office_id)


def _page(office: Office, *, form=None, logo_form=None, kind_form=None, status: int = 200):
    """The one settings page, with the form that was posted (and refused) in place."""
    return render_template(
        "office_settings/settings.html", office=office,
        form=form or OfficeSettingsForm(formdata=None, obj=office),
        logo_form=logo_form or LogoForm(formdata=None),
        kind_form=kind_form or DocumentKindForm(formdata=None),
        kinds=document_kinds_of(db.session, office.id), logo_url=office_logo_url(office),
    ), status  # fmt: skip


@bp.route("/office/settings/<int:office_id>", methods=["GET", "POST"])
def edit_settings(office_id: int):
    office = get_office_for_manager(db.session, office_id, current_user)
    show_office(office)
    form = OfficeSettingsForm(obj=office)  # a POST's fields win over the office's
    if form.validate_on_submit():
        try:
            update_office_settings(
                db.session, office=office, actor=current_user,
                settings=OfficeSettings(
                    name=form.name.data, primary_colour=form.primary_colour.data or "",
                    contact_line=form.contact_line.data or "",
                    offer_authenticator=form.offer_authenticator.data,
                    changes_need_review=form.changes_need_review.data,
                    support_name=form.support_name.data or "",
                    support_phone=form.support_phone.data or "",
                    support_email=form.support_email.data or "",
                ),
            )  # fmt: skip
        except InvalidSetting as refused:
            _field_for(form, refused.reason).errors.append(setting_refused_message(refused))
        except InvalidDetails as problem:
            show_problems(form, problem)
        else:
            flash(_("De instellingen van %(office)s zijn opgeslagen.", office=office.name),
                  "success")  # fmt: skip
            return redirect(url_for("office_settings.edit_settings", office_id=office.id))
    if request.method == "POST" and form.errors:
        db.session.rollback()  # the name shown in the header stays the saved one
        office = get_office_for_manager(db.session, office_id, current_user)
    return _page(office, form=form, status=422 if form.errors else 200)


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
    return _page(office, logo_form=form, status=422)


@bp.route("/office/settings/<int:office_id>/kinds", methods=["POST"])
def add_kind(office_id: int):
    office = get_office_for_manager(db.session, office_id, current_user)
    show_office(office)
    form = DocumentKindForm()
    if form.validate_on_submit():
        try:
            add_document_kind(db.session, office=office, name_nl=form.name_nl.data or "",
                              name_en=form.name_en.data or "", actor=current_user)  # fmt: skip
        except InvalidDetails as problem:
            show_problems(form, problem)
            return _page(office, kind_form=form, status=422)
        flash(_("De documentsoort is toegevoegd."), "success")
    return redirect(url_for("office_settings.edit_settings", office_id=office.id) + "#kinds")


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
