"""The office's client organisations and their people: a list to search, an organisation's
page with its details (changed at once: the office's own change), its contact person and
relationship manager, its members with their rights and notification modules, and taking a
member out. Staff of one office reach nothing of another's (casemodel decides: queries.people,
services.memberships)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectChoice, SelectField

from casemodel.queries.offices import colleagues_in
from casemodel.queries.people import (
    document_kinds_of,
    get_organisation_for,
    members_of,
    open_invitations_of,
    organisations_for,
    proposals_about,
)
from casemodel.services.memberships import (
    RightsRefused,
    get_member_for,
    notification_modules,
    remove_member,
    set_notifications,
    set_rights,
)
from casemodel.services.office_settings import set_office_people
from casemodel.services.proposals import pending_changes, propose_organisation_changes
from casemodel.services.rights import Rights
from webapp.beheer.users import refused_message
from webapp.beheer.views import submitted, typed
from webapp.extensions import db
from webapp.form_base import Form
from webapp.office import bp
from webapp.paging import paginate
from webapp.people_forms import ModulesForm, OrganisationDetailsForm, RightsForm


def _optional_id(value):
    return int(value) if value else None


class OfficePeopleForm(Form):
    contact_person_id = SelectField(_l("Contactpersoon"), coerce=_optional_id)
    relationship_manager_id = SelectField(_l("Relatiebeheerder"), coerce=_optional_id)


@bp.route("/organisations")
def list_organisations():
    search = request.args.get("q", "")[:100]
    page = paginate(
        db.session, organisations_for(current_user, search), request.args.get("page", 1, type=int)
    )
    return render_template("office/organisations.html", page=page, search=search)


def _people_form(organisation, formdata=None) -> OfficePeopleForm:
    form = OfficePeopleForm(formdata=formdata, obj=organisation if formdata is None else None)
    choices = [SelectChoice("", _("(niemand)"))] + [
        SelectChoice(str(u.id), u.name)
        for u in db.session.scalars(colleagues_in(organisation.office_id))
    ]
    form.contact_person_id.choices = choices
    form.relationship_manager_id.choices = choices
    return form


def _organisation_page(organisation, *, details_form=None, status: int = 200):
    return render_template(
        "office/organisation.html",
        organisation=organisation,
        members=members_of(db.session, organisation.id),
        invitations=open_invitations_of(db.session, organisation.id),
        details_form=details_form or OrganisationDetailsForm(formdata=None, obj=organisation),
        people_form=_people_form(organisation),
        pending=pending_changes(db.session, organisation=organisation),
        proposals=proposals_about(db.session, organisation=organisation),
    ), status


@bp.route("/organisations/<int:organisation_id>")
def show_organisation(organisation_id: int):
    return _organisation_page(get_organisation_for(db.session, organisation_id, current_user))


@bp.route("/organisations/<int:organisation_id>/details", methods=["POST"])
def change_organisation_details(organisation_id: int):
    organisation = get_organisation_for(db.session, organisation_id, current_user)
    form = OrganisationDetailsForm()
    if not submitted(form, lambda: propose_organisation_changes(
        db.session, organisation=organisation, values=typed(form, form.FIELDS),
        actor=current_user,
    )) and form.errors:  # fmt: skip
        return _organisation_page(organisation, details_form=form, status=422)
    return redirect(url_for("office.show_organisation", organisation_id=organisation.id))


@bp.route("/organisations/<int:organisation_id>/office-people", methods=["POST"])
def change_office_people(organisation_id: int):
    organisation = get_organisation_for(db.session, organisation_id, current_user)
    form = _people_form(organisation, formdata=request.form)
    if form.validate_on_submit():
        set_office_people(
            db.session, organisation=organisation, contact_person_id=form.contact_person_id.data,
            relationship_manager_id=form.relationship_manager_id.data, actor=current_user,
        )  # fmt: skip
        flash(_("De contactpersoon en de relatiebeheerder zijn opgeslagen."), "success")
    return redirect(url_for("office.show_organisation", organisation_id=organisation.id))


def _member(organisation_id: int, user_id: int):
    membership, _manager = get_member_for(
        db.session, organisation_id=organisation_id, user_id=user_id, actor=current_user
    )
    return membership


@bp.route("/organisations/<int:organisation_id>/members/<int:user_id>")
def show_member(organisation_id: int, user_id: int):
    membership = _member(organisation_id, user_id)
    rights_form = RightsForm(formdata=None)
    _kinds(rights_form, membership.organisation.office_id)
    rights_form.show(Rights.of(membership))
    return render_template(
        "office/member.html",
        membership=membership,
        organisation=membership.organisation,
        person=membership.user,
        rights_form=rights_form,
        modules_form=ModulesForm(formdata=None, data=notification_modules(membership)),
    )


def _kinds(form: RightsForm, office_id: int) -> None:
    form.approve_kinds.choices = [
        SelectChoice(kind.id, kind.name(current_user.locale))
        for kind in document_kinds_of(db.session, office_id)
    ]


def _back_to_member(organisation_id: int, user_id: int):
    return redirect(url_for("office.show_member", organisation_id=organisation_id,
                            user_id=user_id))  # fmt: skip


@bp.route("/organisations/<int:organisation_id>/members/<int:user_id>/rights", methods=["POST"])
def change_member_rights(organisation_id: int, user_id: int):
    membership = _member(organisation_id, user_id)
    form = RightsForm()
    _kinds(form, membership.organisation.office_id)
    if form.validate_on_submit():
        try:
            set_rights(db.session, membership=membership, rights=form.rights(), actor=current_user)
        except RightsRefused as exc:  # the office is held to none of these; kept for safety
            flash(refused_message(exc.reason), "error")
        else:
            flash(_("De rechten van %(name)s zijn opgeslagen.", name=membership.user.name),
                  "success")  # fmt: skip
    return _back_to_member(organisation_id, user_id)


@bp.route(
    "/organisations/<int:organisation_id>/members/<int:user_id>/notifications", methods=["POST"]
)
def change_member_notifications(organisation_id: int, user_id: int):
    membership = _member(organisation_id, user_id)
    form = ModulesForm()
    if form.validate_on_submit():
        set_notifications(db.session, membership=membership, modules=form.modules(),
                          actor=current_user)  # fmt: skip
        flash(_("De e-mailnotificaties zijn opgeslagen."), "success")
    return _back_to_member(organisation_id, user_id)


@bp.route("/organisations/<int:organisation_id>/members/<int:user_id>/remove", methods=["POST"])
def remove_organisation_member(organisation_id: int, user_id: int):
    membership = _member(organisation_id, user_id)
    name = membership.user.name
    remove_member(db.session, membership=membership, actor=current_user)
    flash(_("%(name)s heeft geen toegang meer tot deze organisatie.", name=name), "success")
    return redirect(url_for("office.show_organisation", organisation_id=organisation_id))
